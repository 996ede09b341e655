// Showing a refresh's progress (DESIGN.md §4: long work shows progress on a TTY and periodic lines
// in the log otherwise), for `dirsync refresh` and the daemon's cycles.
#pragma once

#include "sync/refresh.hpp"

#include <chrono>
#include <string>

namespace dirsync::daemon {

// "refresh: users: 1200 departments of 2001 paged, 61230 users"
std::string describe(const sync::RefreshProgress& progress);

// When stderr is a terminal: one line on stderr, redrawn at most 5 times a second and cleared at
// the end. Otherwise: an info log line every 10 s. show() is meant for RefreshOptions::on_progress,
// which the refresh never calls concurrently.
class RefreshProgressDisplay
{
public:
  RefreshProgressDisplay();
  ~RefreshProgressDisplay();
  RefreshProgressDisplay(const RefreshProgressDisplay&) = delete;
  RefreshProgressDisplay& operator=(const RefreshProgressDisplay&) = delete;

  void show(const sync::RefreshProgress& progress);
  // Removes the terminal line, if one is drawn.
  void clear();

private:
  bool m_tty;
  bool m_drawn = false;
  std::string m_stage;
  std::chrono::steady_clock::time_point m_last;
};

} // namespace dirsync::daemon
