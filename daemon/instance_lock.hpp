// The lock that lets only one `dirsync daemon` work on a database at a time (DESIGN.md §12).
//
// The lock is flock(2) on DATABASE.lock, held for the life of the process; the kernel releases it
// when the process ends however it ends, so a crash never leaves a stale lock behind. The holder
// writes its pid into the file so that a second instance, and `dirsync status`, can name it.
#pragma once

#include <filesystem>
#include <optional>
#include <sys/types.h>

namespace dirsync::daemon {

// DATABASE.lock beside the database.
std::filesystem::path lock_path_for(const std::filesystem::path& database);

class InstanceLock
{
public:
  // Takes the lock on `lock_file` (created if needed, mode 0644) and writes this process's pid into
  // it. Throws Error naming the other instance (its pid) and what to do when another process holds
  // it, or when the file cannot be created.
  explicit InstanceLock(std::filesystem::path lock_file);
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
};
std::optional<LockHolder> find_lock_holder(const std::filesystem::path& lock_file);

} // namespace dirsync::daemon
