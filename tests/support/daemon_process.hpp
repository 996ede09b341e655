// Runs the built `dirsync daemon` as a child process for a test: with a config file, extra
// environment variables, stderr (its log) captured to a file. The destructor stops it (SIGTERM,
// then SIGKILL) and reaps it; the child also gets SIGTERM if the test process dies first.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>

namespace dirsync::testing {

class DaemonProcess
{
public:
  // Starts `dirsync daemon --config CONFIG`. The child's environment is the test's, without
  // NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID, JOURNAL_STREAM and DIRSYNC_CONFIG, plus `env`.
  DaemonProcess(const std::filesystem::path& config, std::map<std::string, std::string> env,
                const std::filesystem::path& log_file);
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  pid_t pid() const { return m_pid; }
  void signal(int signal) const;
  // Waits for the exit; its exit code, -(signal) if killed by a signal, nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  // The log so far.
  std::string log() const;
  // Waits until the log contains `text`; false on timeout or when the process exited first.
  bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(15));

private:
  std::filesystem::path m_log;
  pid_t m_pid = -1;
  std::optional<int> m_exit;
};

// Polls `condition` every 20 ms until it holds; false after `timeout`.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(15));

} // namespace dirsync::testing
