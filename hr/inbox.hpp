// The inbox: the folder HR drops exports into (DESIGN.md §11).
//
// An Inbox hands out the files to process, one at a time: first the files already present when it
// was opened, oldest first (by modification time, then name), then each file that arrives, in the
// order it arrives. A file "arrives" when a writer closes it after writing (IN_CLOSE_WRITE) or when
// it is renamed or moved into the folder (IN_MOVED_TO), so a file still being written is not handed
// out. Hidden and temporary names (".*", "*.tmp", "*.part", "~$*"), directories, symbolic links and
// other non-regular files are ignored. The safest way to deliver a file is to write it under a
// temporary name and rename it when complete; a file found at start-up is taken as complete (there
// is no way to tell whether a writer that stopped before the start-up will come back).
//
// After processing, file_away() moves the file to archive/ (accepted) or rejected/ with
// NAME.report.json and NAME.report.txt beside it. It never overwrites: when NAME, or one of its
// reports, already exists there, the file becomes STEM.1.EXT (then .2, ...) and its reports follow
// the new name. It never deletes an HR file: when archive/ is on another file system, the file is
// copied to a hidden temporary name there, flushed to disk, linked into place (which cannot
// overwrite), and only then removed from the inbox.
//
// next() waits with poll(2) on the inotify descriptor and an eventfd; wake() writes the eventfd, so
// a daemon that is stopping can interrupt a wait at once (wake() is async-signal-safe).
#pragma once

#include "hr/report.hpp"

#include <chrono>
#include <deque>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace dirsync::hr {

class Inbox
{
public:
  // Watches `inbox` (which must exist); archive/ and rejected/ are created when first needed.
  // Throws InputError when the inbox cannot be watched.
  Inbox(std::filesystem::path inbox, std::filesystem::path archive, std::filesystem::path rejected);
  ~Inbox();
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  // The next file to process, waiting up to `timeout` for one to arrive (0: only what is already
  // known). nullopt on timeout or after wake(). A file that vanished before its turn is skipped.
  // Throws InputError when the inbox itself was removed or moved.
  std::optional<std::filesystem::path> next(std::chrono::milliseconds timeout);

  // Makes the current (or the next) call of next() return nullopt at once.
  void wake();

  struct Filed
  {
    std::filesystem::path file;        // where the HR file is now
    std::filesystem::path report_json; // NAME.report.json beside it
    std::filesystem::path report_txt;  // NAME.report.txt beside it
  };

  // Moves `file` (from next()) to archive/ when report.accepted, else to rejected/, with its two
  // reports beside it. Throws InputError when it cannot (the file then stays in the inbox).
  Filed file_away(const std::filesystem::path& file, const Report& report);

  // Whether a file name is one the inbox hands out (not hidden, not temporary).
  static bool is_candidate_name(std::string_view name);

  const std::filesystem::path& folder() const { return m_inbox; }

private:
  void scan();
  void read_events();
  void enqueue(const std::string& name);

  std::filesystem::path m_inbox;
  std::filesystem::path m_archive;
  std::filesystem::path m_rejected;
  int m_inotify = -1;
  int m_watch = -1;
  int m_wake = -1;
  std::deque<std::string> m_queue;
  std::set<std::string> m_queued;
};

// Moves `from` to `to` without ever replacing an existing `to`: rename when both are on one file
// system, otherwise copy (to a hidden temporary beside `to`), fsync, link into place, and remove
// `from` last. Returns false, changing nothing, when `to` already exists. Throws InputError on
// other failures; `from` is never removed unless `to` is complete on disk.
bool move_without_replacing(const std::filesystem::path& from, const std::filesystem::path& to);

// The copying half of move_without_replacing(), used across file systems (exposed for tests).
bool copy_then_remove(const std::filesystem::path& from, const std::filesystem::path& to);

} // namespace dirsync::hr
