#include "support/daemon_process.hpp"

#include "support/scratch_dir.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

extern char** environ;

namespace dirsync::testing {

namespace {

constexpr const char* k_dropped[] = {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM",
                                     "DIRSYNC_CONFIG", "DIRSYNC_APP_SECRET"};

int decode(int status)
{
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

} // namespace

DaemonProcess::DaemonProcess(const std::filesystem::path& config, std::map<std::string, std::string> env,
                             const std::filesystem::path& log_file)
  : m_log(log_file)
{
  std::vector<std::string> argv{DIRSYNC_BINARY_PATH, "daemon", "--config", config.string()};
  std::vector<std::string> envs;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    bool drop = false;
    for (const char* name : k_dropped) {
      drop = drop || entry.starts_with(std::string(name) + "=");
    }
    if (!drop) {
      envs.push_back(entry);
    }
  }
  for (const auto& [name, value] : env) {
    envs.push_back(name + "=" + value);
  }
  // Everything the child needs is prepared before fork() (the test process has threads).
  std::vector<char*> cargs;
  for (auto& a : argv) {
    cargs.push_back(a.data());
  }
  cargs.push_back(nullptr);
  std::vector<char*> cenv;
  for (auto& e : envs) {
    cenv.push_back(e.data());
  }
  cenv.push_back(nullptr);
  const int log_fd = ::open(m_log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log_fd < 0 || null_fd < 0) {
    throw std::runtime_error("cannot open " + m_log.string() + " or /dev/null");
  }
  sigset_t none;
  sigemptyset(&none);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) {
      ::_exit(127);
    }
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::execve(cargs[0], cargs.data(), cenv.data());
    ::_exit(127);
  }
  ::close(log_fd);
  ::close(null_fd);
  m_pid = pid;
}

DaemonProcess::~DaemonProcess()
{
  if (m_pid > 0 && !m_exit) {
    ::kill(m_pid, SIGTERM);
    if (!wait_exit(std::chrono::seconds(10))) {
      ::kill(m_pid, SIGKILL);
      int status = 0;
      ::waitpid(m_pid, &status, 0);
    }
  }
}

void DaemonProcess::signal(int signal) const
{
  if (m_pid > 0 && !m_exit) {
    ::kill(m_pid, signal);
  }
}

std::optional<int> DaemonProcess::wait_exit(std::chrono::milliseconds timeout)
{
  if (m_exit) {
    return m_exit;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(m_pid, &status, WNOHANG);
    if (r == m_pid) {
      m_exit = decode(status);
      return m_exit;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string DaemonProcess::log() const
{
  try {
    return read_file(m_log);
  } catch (const std::exception&) {
    return {};
  }
}

bool DaemonProcess::wait_for_log(const std::string& text, std::chrono::milliseconds timeout)
{
  bool exited = false;
  const bool done = eventually(
    [&] {
      if (log().find(text) != std::string::npos) {
        return true;
      }
      exited = wait_exit(std::chrono::milliseconds(0)).has_value();
      return exited;
    },
    timeout);
  return done && log().find(text) != std::string::npos;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout)
{
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

} // namespace dirsync::testing
