#include "daemon/instance_lock.hpp"

#include "common/error.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

namespace dirsync::daemon {

namespace {

// A status probe holds the lock for microseconds; waiting this long tells it from a real holder.
constexpr auto k_probe_patience = std::chrono::milliseconds(500);

// What the holder wrote: "PID COMMAND\n".
LockHolder read_holder(int fd)
{
  char buffer[128] = {};
  const ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
  LockHolder holder;
  if (n <= 0) {
    return holder;
  }
  char* end = nullptr;
  const long pid = std::strtol(buffer, &end, 10);
  if (end == buffer || pid <= 0) {
    return holder;
  }
  holder.pid = static_cast<pid_t>(pid);
  std::string rest(end);
  const auto first = rest.find_first_not_of(' ');
  const auto last = rest.find_first_of("\n");
  if (first != std::string::npos && first < last) {
    holder.command = rest.substr(first, last - first);
  }
  return holder;
}

// "dirsync apply (pid 1234)", or as much of it as is known.
std::string describe(const LockHolder& holder)
{
  std::string out = holder.command.empty() ? std::string("another dirsync process") : holder.command;
  if (holder.pid) {
    out += fmt::format(" (pid {})", *holder.pid);
  }
  return out;
}

} // namespace

std::filesystem::path lock_path_for(const std::filesystem::path& database)
{
  return std::filesystem::path(database.string() + ".lock");
}

InstanceLock::InstanceLock(std::filesystem::path lock_file, std::string_view command)
  : m_path(std::move(lock_file))
{
  m_fd = ::open(m_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (m_fd < 0) {
    throw Error(fmt::format("{}: cannot create the instance lock: {} (is the database's folder writable "
                            "by this user?)",
                            m_path.string(), std::strerror(errno)));
  }
  const auto deadline = std::chrono::steady_clock::now() + k_probe_patience;
  while (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    if (error == EWOULDBLOCK && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    const LockHolder holder = read_holder(m_fd);
    ::close(m_fd);
    m_fd = -1;
    if (error != EWOULDBLOCK) {
      throw Error(fmt::format("{}: cannot take the instance lock: {}", m_path.string(), std::strerror(error)));
    }
    throw Error(fmt::format(
      "{} is already working on this database (it holds {}); wait for it to finish, or stop it "
      "(the daemon: systemctl stop dirsync), or give this one another storage.database",
      describe(holder), m_path.string()));
  }
  const std::string pid = fmt::format("{} {}\n", ::getpid(), command);
  if (::ftruncate(m_fd, 0) != 0 || ::pwrite(m_fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int error = errno;
    ::close(m_fd);
    m_fd = -1;
    throw Error(fmt::format("{}: cannot write the pid into the instance lock: {}", m_path.string(),
                            std::strerror(error)));
  }
}

InstanceLock::~InstanceLock()
{
  if (m_fd >= 0) {
    // Empty the file first so that a reader never takes our pid for a live holder.
    if (::ftruncate(m_fd, 0) != 0) {
      // Nothing to do: the lock goes away with the descriptor, which is what counts.
    }
    ::close(m_fd);
  }
}

std::optional<LockHolder> find_lock_holder(const std::filesystem::path& lock_file)
{
  const int fd = ::open(lock_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return std::nullopt;
    }
    throw Error(fmt::format("{}: cannot tell whether the daemon runs: {} (run this as root or as the user "
                            "dirsync, or join the group dirsync)",
                            lock_file.string(), std::strerror(errno)));
  }
  std::optional<LockHolder> holder;
  if (::flock(fd, LOCK_SH | LOCK_NB) == 0) {
    ::flock(fd, LOCK_UN);
  } else if (errno == EWOULDBLOCK) {
    holder = read_holder(fd);
  }
  ::close(fd);
  return holder;
}

} // namespace dirsync::daemon
