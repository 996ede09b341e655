// The lock that lets only one dirsync process change a database and the tenant at a time
// (DESIGN.md §12): the daemon, or a `refresh`, `apply` or `sync` run from the command line.
//
// The lock is flock(2) on DATABASE.lock, held for the life of the process; the kernel releases it
// when the process ends however it ends, so a crash never leaves a stale lock behind. The holder
// writes "PID COMMAND" into the file so that a second instance, and `dirsync status`, can name it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace dirsync::daemon {

// DATABASE.lock beside the database.
std::filesystem::path lock_path_for(const std::filesystem::path& database);

class InstanceLock
{
public:
  // Takes the lock on `lock_file` (created if needed, mode 0644) and writes this process's pid and
  // `command` ("dirsync daemon", "dirsync apply", ...) into it. Throws Error naming the other holder
  // (its command and pid) and what to do when another process holds it, or when the file cannot be
  // created.
  explicit InstanceLock(std::filesystem::path lock_file, std::string_view command = "dirsync daemon");
  ~InstanceLock();
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;

  const std::filesystem::path& path() const { return m_path; }

private:
  std::filesystem::path m_path;
  int m_fd = -1;
};

// Whether a process holds the lock on `lock_file`, and its pid when it wrote one; nullopt when no
// process holds it (or the file does not exist). Needs only read access to the file; throws Error
// when the file exists but cannot be opened (so "not running" is never a guess). It tests the
// lock with a shared, non-blocking flock that it drops at once; a daemon starting in that instant
// retries for a moment rather than fail.
struct LockHolder
{
  std::optional<pid_t> pid;
  std::string command; // "dirsync daemon", "dirsync apply", ...; empty when it wrote none
};
std::optional<LockHolder> find_lock_holder(const std::filesystem::path& lock_file);

} // namespace dirsync::daemon
