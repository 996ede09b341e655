// Logging is set up here, once per process; everything else just calls spdlog::info(...).
#pragma once

#include <optional>
#include <string_view>

#include <spdlog/common.h>

namespace dirsync::daemon {

// Parses a level name (trace, debug, info, warn, error, critical, off); nullopt if unknown.
std::optional<spdlog::level::level_enum> try_parse_log_level(std::string_view name);

// Installs the default logger: to the systemd journal (with priorities) when stderr is connected
// to it (JOURNAL_STREAM names stderr's device and inode), otherwise to stderr with timestamps.
void setup_logging(spdlog::level::level_enum level);

} // namespace dirsync::daemon
