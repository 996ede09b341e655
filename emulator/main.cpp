// feishu-emulator: a local HTTP server that behaves like Feishu's contact v3 API (docs/emulator.md).
//
// It loads a tenant (--state if that file exists, else --seed), listens, prints one line
// "feishu-emulator listening on http://HOST:PORT" to stdout when ready, and runs until SIGTERM or
// SIGINT. With --state, a background thread rewrites the state file (atomically) at most every
// half second while the tenant changes, and once more on shutdown.
#include "common/error.hpp"
#include "common/version.hpp"
#include "emulator/api.hpp"
#include "emulator/server.hpp"
#include "emulator/state_file.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <iostream>
#include <mutex>
#include <pthread.h>
#include <thread>

namespace {

using dirsync::emulator::Api;

struct Settings
{
  std::string listen = "127.0.0.1:18080";
  bool allow_remote = false;
  std::string seed_file;
  std::string state_file;
  std::int64_t token_ttl = 7200;
  double rate_limit_scale = 1.0;
  int latency_ms = 0;
  double fail_rate = 0;
  double drop_rate = 0;
  std::uint64_t random_seed = 1;
  std::size_t fetch_child_limit = 0;
  std::string log_level = "info";
};

std::pair<std::string, int> split_listen(const std::string& listen)
{
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    throw dirsync::Error("--listen: expected HOST:PORT (got \"" + listen + "\")");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = 0;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
    port = -1;
  }
  if (port < 1 || port > 65535) {
    throw dirsync::Error("--listen: the port must be 1 to 65535 (got \"" + listen + "\")");
  }
  return {host, port};
}

bool is_loopback(const std::string& host)
{
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

// Rewrites the state file while the tenant changes; at most every half second.
class StateSaver
{
public:
  StateSaver(Api& api, std::string path) : m_api(api), m_path(std::move(path)), m_saved(api.generation())
  {
    m_thread = std::thread([this] { run(); });
  }

  ~StateSaver() { stop(); }

  void stop()
  {
    {
      std::lock_guard lock(m_mutex);
      if (m_stopping) {
        return;
      }
      m_stopping = true;
    }
    m_wake.notify_one();
    m_thread.join();
    save_if_changed(); // the last word
  }

private:
  void run()
  {
    std::unique_lock lock(m_mutex);
    while (!m_stopping) {
      m_wake.wait_for(lock, std::chrono::milliseconds(500));
      lock.unlock();
      save_if_changed();
      lock.lock();
    }
  }

  void save_if_changed()
  {
    const auto generation = m_api.generation();
    if (generation == m_saved) {
      return;
    }
    try {
      dirsync::emulator::save_json_file_atomically(m_path, m_api.state());
      m_saved = generation;
    } catch (const dirsync::Error& e) {
      spdlog::error("cannot save the state: {}", e.what());
    }
  }

  Api& m_api;
  std::string m_path;
  std::uint64_t m_saved;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stopping = false;
  std::thread m_thread;
};

} // namespace

int main(int argc, char** argv)
{
  Settings s;
  CLI::App app("A local server that behaves like Feishu's contact v3 API, for tests, benchmarks and demos.\n"
               "Documentation: docs/emulator.md.",
               "feishu-emulator");
  app.set_version_flag("--version", std::string("feishu-emulator ") + std::string(dirsync::version()));
  app.add_option("--listen", s.listen, "HOST:PORT to listen on (loopback only unless --allow-remote)")
    ->capture_default_str();
  app.add_flag("--allow-remote", s.allow_remote, "Allow a --listen address that is not loopback");
  app.add_option("--seed", s.seed_file, "Tenant to load at start (JSON seed format; see docs/emulator.md)");
  app.add_option("--state", s.state_file,
                 "Keep the tenant in this file: loaded at start if it exists (instead of --seed), "
                 "rewritten atomically after changes and at shutdown");
  app.add_option("--token-ttl", s.token_ttl, "Lifetime of access tokens, in seconds")
    ->capture_default_str()
    ->check(CLI::Range(std::int64_t{1}, std::int64_t{365} * 24 * 3600));
  app.add_option("--rate-limit-scale", s.rate_limit_scale,
                 "Multiply every per-endpoint rate limit by F (10 = ten times the real limits; 0 = no limits)")
    ->capture_default_str()
    ->check(CLI::Range(0.0, 1e6));
  app.add_option("--latency-ms", s.latency_ms, "Delay every /open-apis answer by N milliseconds")
    ->capture_default_str()
    ->check(CLI::Range(0, 600000));
  app.add_option("--fail-rate", s.fail_rate, "Share (0 to 1) of /open-apis requests answered with a 5xx")
    ->capture_default_str()
    ->check(CLI::Range(0.0, 1.0));
  app.add_option("--drop-rate", s.drop_rate,
                 "Share (0 to 1) of /open-apis requests whose connection is closed without a usable answer "
                 "(half of them after the request took effect)")
    ->capture_default_str()
    ->check(CLI::Range(0.0, 1.0));
  app.add_option("--random-seed", s.random_seed,
                 "Seed for faults, tokens and generated ids: the same seed and the same requests give the same run")
    ->capture_default_str();
  app.add_option("--fetch-child-limit", s.fetch_child_limit,
                 "Answer 43010 (big dept forbid recursion) to a fetch_child listing of more departments than N "
                 "(0 = never)")
    ->capture_default_str();
  app.add_option("--log-level", s.log_level, "trace, debug (one line per request), info, warn, error or off")
    ->capture_default_str()
    ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and version exit 0; any usage error exits 2, as dirsync's do.
    return app.exit(e) == 0 ? 0 : 2;
  }

  auto logger = spdlog::stderr_color_mt("feishu-emulator");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(s.log_level));

  // Signals are taken synchronously by the main thread; every other thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  try {
    const auto [host, port] = split_listen(s.listen);
    if (!s.allow_remote && !is_loopback(host)) {
      throw dirsync::Error("--listen " + s.listen +
                           ": not a loopback address; the emulator holds test data and has no "
                           "authentication of its own. Pass --allow-remote if you mean it.");
    }
    if (s.fail_rate + s.drop_rate > 1.0) {
      throw dirsync::Error("--fail-rate plus --drop-rate must not exceed 1");
    }

    dirsync::json::Value seed = dirsync::json::Value::object();
    std::string source = "an empty tenant";
    if (!s.state_file.empty()) {
      if (auto state = dirsync::emulator::try_load_json_file(s.state_file)) {
        seed = std::move(*state);
        source = s.state_file;
      }
    }
    if (source == "an empty tenant" && !s.seed_file.empty()) {
      auto loaded = dirsync::emulator::try_load_json_file(s.seed_file);
      if (!loaded) {
        throw dirsync::Error("--seed " + s.seed_file + ": no such file");
      }
      seed = std::move(*loaded);
      source = s.seed_file;
    }

    Api::Options options;
    options.token_ttl = s.token_ttl;
    options.rate_limit_scale = s.rate_limit_scale;
    options.latency = std::chrono::milliseconds(s.latency_ms);
    options.fail_rate = s.fail_rate;
    options.drop_rate = s.drop_rate;
    options.random_seed = s.random_seed;
    options.fetch_child_limit = s.fetch_child_limit;
    Api api(options, seed);
    spdlog::info("tenant loaded from {}", source);
    if (source == "an empty tenant") {
      spdlog::warn("no --seed given: the tenant has no app, so every token request fails with 10014");
    }

    std::unique_ptr<StateSaver> saver;
    if (!s.state_file.empty()) {
      saver = std::make_unique<StateSaver>(api, s.state_file);
    }
    dirsync::emulator::Server server(api, host, port);
    std::cout << "feishu-emulator listening on " << server.url() << std::endl;

    int received = 0;
    sigwait(&signals, &received);
    spdlog::info("signal {} received, shutting down", received);
    server.close();
    if (saver) {
      saver->stop();
    }
    return 0;
  } catch (const dirsync::Error& e) {
    std::cerr << "feishu-emulator: " << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "feishu-emulator: unexpected error: " << e.what() << '\n';
    return 1;
  }
}
