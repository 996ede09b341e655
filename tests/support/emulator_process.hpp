// Runs the built feishu-emulator binary for a test: on a free loopback port, with a seed and extra
// options, and talks to it over HTTP.
//
// The constructor starts the process and returns once it printed its ready line (bounded; throws
// std::runtime_error with the emulator's stderr otherwise). The destructor stops it (SIGTERM, then
// SIGKILL) and reaps it; the child also gets SIGTERM if the test process dies first, so no emulator
// is ever left behind. (That signal comes when the *thread* that started it ends: construct it on a
// thread that outlives it, such as the test's own.)
#pragma once

#include "common/json.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

namespace dirsync::testing {

class EmulatorProcess
{
public:
  struct Reply
  {
    int status = 0;
    std::map<std::string, std::string> headers; // names lower-cased
    std::string body;
    json::Value json() const { return json::parse(body); }
    std::string header(const std::string& lower_name) const;
  };

  // Starts with `seed` (written to a temporary file) or with a seed file, plus `args`
  // (e.g. {"--token-ttl", "60"}). `--log-level warn` is added unless `args` sets a log level.
  explicit EmulatorProcess(const json::Value& seed, std::vector<std::string> args = {},
                           std::chrono::seconds ready_timeout = std::chrono::seconds(30));
  explicit EmulatorProcess(const std::filesystem::path& seed_file, std::vector<std::string> args = {},
                           std::chrono::seconds ready_timeout = std::chrono::seconds(30));
  ~EmulatorProcess();
  EmulatorProcess(const EmulatorProcess&) = delete;
  EmulatorProcess& operator=(const EmulatorProcess&) = delete;

  const std::string& base_url() const { return m_base_url; } // "http://127.0.0.1:PORT"
  int port() const { return m_port; }
  pid_t pid() const { return m_pid; }

  // One HTTP request to the emulator (path includes the query). Throws std::runtime_error when no
  // HTTP answer comes back (connection closed, timeout).
  Reply request(const std::string& method, const std::string& path_and_query, const std::string& body = "",
                const std::map<std::string, std::string>& headers = {},
                std::chrono::seconds timeout = std::chrono::seconds(10)) const;

  // The control API (docs/emulator.md); each throws std::runtime_error on a non-200 answer.
  json::Value state() const;
  json::Value stats() const;
  void reset() const;
  void seed(const json::Value& seed) const;
  void advance_clock(std::int64_t seconds) const;
  std::string user_token(const std::string& user_id) const;
  // A tenant_access_token for an app of the seed.
  std::string tenant_token(const std::string& app_id, const std::string& app_secret) const;

  // Sends SIGTERM and waits (bounded) for the exit; returns the exit status (-1 if it had to be killed).
  int stop();

private:
  void start(const std::filesystem::path& seed_file, const std::vector<std::string>& args,
             std::chrono::seconds ready_timeout);
  bool try_start(const std::filesystem::path& seed_file, const std::vector<std::string>& args, int port,
                 std::chrono::seconds ready_timeout, std::string& failure);
  json::Value control(const std::string& method, const std::string& path, const json::Value& body) const;

  std::filesystem::path m_dir; // temporary: seed file and the emulator's stderr
  pid_t m_pid = -1;
  int m_stdout = -1;
  int m_port = 0;
  std::string m_base_url;
};

// A free TCP port on 127.0.0.1 right now (bound to port 0, read, closed).
int find_free_loopback_port();

} // namespace dirsync::testing
