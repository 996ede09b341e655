#include "hr/inbox.hpp"

#include "common/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace dirsync::hr {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& what, int error)
{
  throw InputError(fmt::format("{}: {}", what, std::strerror(error)));
}

// A file descriptor closed on scope exit.
class Fd
{
public:
  explicit Fd(int fd) : m_fd(fd) {}
  ~Fd()
  {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return m_fd; }
  // Closes now, reporting a failure (a close can report a write that did not reach the disk).
  void close(const fs::path& path)
  {
    const int fd = m_fd;
    m_fd = -1;
    if (::close(fd) != 0) {
      fail("cannot close " + path.string(), errno);
    }
  }

private:
  int m_fd;
};

void fsync_dir(const fs::path& dir)
{
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) {
    fail("cannot flush the folder " + dir.string(), errno);
  }
}

void write_all(int fd, std::string_view data, const fs::path& path)
{
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      fail("cannot write " + path.string(), errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Creates `path` with `content`, flushed, failing (false) when it already exists.
bool create_exclusive(const fs::path& path, std::string_view content)
{
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) {
    if (errno == EEXIST) {
      return false;
    }
    fail("cannot create " + path.string(), errno);
  }
  write_all(fd.get(), content, path);
  if (::fsync(fd.get()) != 0) {
    fail("cannot flush " + path.string(), errno);
  }
  fd.close(path);
  return true;
}

// NAME for attempt 0, then STEM.1.EXT, STEM.2.EXT, ...
std::string numbered_name(const std::string& name, unsigned attempt)
{
  if (attempt == 0) {
    return name;
  }
  const fs::path p(name);
  const std::string ext = p.extension().string();
  return fmt::format("{}.{}{}", p.stem().string(), attempt, ext);
}

} // namespace

bool copy_then_remove(const fs::path& from, const fs::path& to)
{
  Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) {
    fail("cannot open " + from.string(), errno);
  }
  struct stat st{};
  if (::fstat(in.get(), &st) != 0) {
    fail("cannot read the attributes of " + from.string(), errno);
  }
  std::string temp = (to.parent_path() / fmt::format(".{}.dirsync-XXXXXX", to.filename().string())).string();
  Fd out(::mkstemp(temp.data()));
  if (out.get() < 0) {
    fail("cannot create a temporary file in " + to.parent_path().string(), errno);
  }
  const fs::path temp_path(temp);
  try {
    std::array<char, 1 << 16> buffer{};
    while (true) {
      const ssize_t n = ::read(in.get(), buffer.data(), buffer.size());
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        fail("cannot read " + from.string(), errno);
      }
      if (n == 0) {
        break;
      }
      write_all(out.get(), std::string_view(buffer.data(), static_cast<std::size_t>(n)), temp_path);
    }
    // Keep what a person looking at archive/ cares about: permissions and modification time.
    ::fchmod(out.get(), st.st_mode & 07777);
    const std::array<timespec, 2> times{st.st_atim, st.st_mtim};
    ::futimens(out.get(), times.data());
    if (::fsync(out.get()) != 0) {
      fail("cannot flush " + temp_path.string(), errno);
    }
    out.close(temp_path);
    // link() never replaces an existing name, unlike rename().
    if (::link(temp_path.c_str(), to.c_str()) != 0) {
      const int error = errno;
      ::unlink(temp_path.c_str());
      if (error == EEXIST) {
        return false;
      }
      fail("cannot link " + to.string(), error);
    }
    ::unlink(temp_path.c_str());
    fsync_dir(to.parent_path());
  } catch (...) {
    ::unlink(temp_path.c_str());
    throw;
  }
  // The copy is complete and on disk under its final name: only now does the original go.
  if (::unlink(from.c_str()) != 0) {
    fail(fmt::format("copied {} to {} but cannot remove the original", from.string(), to.string()), errno);
  }
  return true;
}

bool move_without_replacing(const fs::path& from, const fs::path& to)
{
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
    fsync_dir(to.parent_path());
    return true;
  }
  if (errno == EEXIST) {
    return false;
  }
  if (errno == EXDEV) {
    return copy_then_remove(from, to);
  }
  if (errno == EINVAL || errno == ENOSYS) {
    // A file system without RENAME_NOREPLACE: link() cannot replace either; then drop the old name.
    if (::link(from.c_str(), to.c_str()) == 0) {
      fsync_dir(to.parent_path());
      if (::unlink(from.c_str()) != 0) {
        fail(fmt::format("linked {} to {} but cannot remove the original", from.string(), to.string()), errno);
      }
      return true;
    }
    if (errno == EEXIST) {
      return false;
    }
    if (errno == EXDEV) {
      return copy_then_remove(from, to);
    }
  }
  fail(fmt::format("cannot move {} to {}", from.string(), to.string()), errno);
}

bool Inbox::is_candidate_name(std::string_view name)
{
  return !name.empty() && !name.starts_with('.') && !name.starts_with("~$") && !name.ends_with(".tmp") &&
         !name.ends_with(".part");
}

Inbox::Inbox(fs::path inbox, fs::path archive, fs::path rejected)
  : m_inbox(std::move(inbox)),
    m_archive(std::move(archive)),
    m_rejected(std::move(rejected))
{
  m_inotify = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (m_inotify < 0) {
    fail("cannot start watching the HR inbox (inotify)", errno);
  }
  m_wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (m_wake < 0) {
    const int error = errno;
    ::close(m_inotify);
    fail("cannot create the inbox's wake-up descriptor", error);
  }
  // Watch first, then list: a file that arrives in between is seen twice, never missed.
  m_watch = ::inotify_add_watch(m_inotify, m_inbox.c_str(),
                                IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
  if (m_watch < 0) {
    const int error = errno;
    ::close(m_inotify);
    ::close(m_wake);
    fail(fmt::format("cannot watch the HR inbox {} (hr.inbox); it must be an existing folder",
                     m_inbox.string()),
         error);
  }
  scan();
}

Inbox::~Inbox()
{
  ::close(m_inotify);
  ::close(m_wake);
}

void Inbox::wake()
{
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(m_wake, &one, sizeof one);
}

void Inbox::scan()
{
  struct Entry
  {
    fs::file_time_type mtime;
    std::string name;
  };
  std::vector<Entry> entries;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(m_inbox, ec)) {
    std::string name = e.path().filename().string();
    std::error_code sec;
    if (!is_candidate_name(name) || !e.is_regular_file(sec) || e.is_symlink(sec) || m_queued.contains(name)) {
      continue;
    }
    entries.push_back({e.last_write_time(sec), std::move(name)});
  }
  if (ec) {
    fail("cannot list the HR inbox " + m_inbox.string(), ec.value());
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.mtime != b.mtime ? a.mtime < b.mtime : a.name < b.name;
  });
  for (auto& e : entries) {
    enqueue(e.name);
  }
}

void Inbox::enqueue(const std::string& name)
{
  if (m_queued.insert(name).second) {
    m_queue.push_back(name);
  }
}

void Inbox::read_events()
{
  alignas(inotify_event) std::array<char, 16 * 1024> buffer{};
  while (true) {
    const ssize_t n = ::read(m_inotify, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN) {
        return;
      }
      fail("cannot read inotify events for " + m_inbox.string(), errno);
    }
    bool rescan = false;
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buffer.data() + off);
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      if ((ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) != 0) {
        throw InputError(fmt::format("the HR inbox {} was removed or moved; recreate it (hr.inbox)",
                                     m_inbox.string()));
      }
      if ((ev->mask & IN_Q_OVERFLOW) != 0) {
        rescan = true; // events were lost: look at the folder itself
        continue;
      }
      if (ev->len == 0 || (ev->mask & IN_ISDIR) != 0) {
        continue;
      }
      const std::string name(ev->name);
      if (is_candidate_name(name)) {
        enqueue(name);
      }
    }
    if (rescan) {
      scan();
    }
  }
}

std::optional<fs::path> Inbox::next(std::chrono::milliseconds timeout)
{
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    read_events();
    while (!m_queue.empty()) {
      std::string name = std::move(m_queue.front());
      m_queue.pop_front();
      m_queued.erase(name);
      const fs::path path = m_inbox / name;
      std::error_code ec;
      const auto status = fs::symlink_status(path, ec);
      if (!ec && fs::is_regular_file(status)) {
        return path;
      }
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    std::array<pollfd, 2> fds{pollfd{m_inotify, POLLIN, 0}, pollfd{m_wake, POLLIN, 0}};
    const int rc = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<long long>(0, left.count())));
    if (rc < 0) {
      if (errno == EINTR) {
        continue;
      }
      fail("cannot wait for the HR inbox", errno);
    }
    if ((fds[1].revents & POLLIN) != 0) {
      std::uint64_t count = 0;
      [[maybe_unused]] const auto n = ::read(m_wake, &count, sizeof count);
      return std::nullopt;
    }
    if (rc == 0) {
      // Timed out; events may still have come in at the last moment.
      read_events();
      if (m_queue.empty()) {
        return std::nullopt;
      }
      continue;
    }
  }
}

Inbox::Filed Inbox::file_away(const fs::path& file, const Report& report)
{
  const fs::path& folder = report.accepted ? m_archive : m_rejected;
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) {
    fail("cannot create " + folder.string(), ec.value());
  }
  const std::string json = to_json(report).dump_pretty() + "\n";
  const std::string text = to_text(report);
  const std::string name = file.filename().string();
  constexpr unsigned k_max_attempts = 10'000;
  for (unsigned attempt = 0; attempt < k_max_attempts; ++attempt) {
    const std::string target = numbered_name(name, attempt);
    Filed filed{folder / target, folder / (target + ".report.json"), folder / (target + ".report.txt")};
    if (fs::exists(fs::symlink_status(filed.file, ec))) {
      continue;
    }
    // The reports first, so that the file never sits in archive/ without them.
    if (!create_exclusive(filed.report_json, json)) {
      continue;
    }
    if (!create_exclusive(filed.report_txt, text)) {
      ::unlink(filed.report_json.c_str());
      continue;
    }
    try {
      if (move_without_replacing(file, filed.file)) {
        return filed;
      }
    } catch (...) {
      ::unlink(filed.report_json.c_str());
      ::unlink(filed.report_txt.c_str());
      throw;
    }
    ::unlink(filed.report_json.c_str());
    ::unlink(filed.report_txt.c_str());
  }
  throw InputError(fmt::format("cannot find a free name for {} in {} after {} attempts", name,
                               folder.string(), k_max_attempts));
}

} // namespace dirsync::hr
