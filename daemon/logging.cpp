#include "daemon/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace dirsync::daemon {

namespace {

// systemd sets JOURNAL_STREAM="DEV:INO" for services whose stderr goes to the journal.
bool stderr_is_journal()
{
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) {
    return false;
  }
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) != 0) {
    return false;
  }
  unsigned long long dev = 0;
  unsigned long long ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) {
    return false;
  }
  return dev == static_cast<unsigned long long>(st.st_dev)
         && ino == static_cast<unsigned long long>(st.st_ino);
}

} // namespace

std::optional<spdlog::level::level_enum> try_parse_log_level(std::string_view name)
{
  static constexpr std::pair<std::string_view, spdlog::level::level_enum> k_levels[] = {
    {"trace", spdlog::level::trace},
    {"debug", spdlog::level::debug},
    {"info", spdlog::level::info},
    {"warn", spdlog::level::warn},
    {"warning", spdlog::level::warn},
    {"error", spdlog::level::err},
    {"critical", spdlog::level::critical},
    {"off", spdlog::level::off},
  };
  for (const auto& [n, level] : k_levels) {
    if (n == name) {
      return level;
    }
  }
  return std::nullopt;
}

void setup_logging(spdlog::level::level_enum level)
{
  std::shared_ptr<spdlog::logger> logger;
  if (stderr_is_journal()) {
    auto sink = std::make_shared<spdlog::sinks::systemd_sink_mt>("dirsync");
    logger = std::make_shared<spdlog::logger>("dirsync", sink);
  } else {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    sink->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
    logger = std::make_shared<spdlog::logger>("dirsync", sink);
  }
  logger->set_level(level);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

} // namespace dirsync::daemon
