// The daemon's signals, read synchronously (DESIGN.md §12): SIGTERM and SIGINT ask it to stop,
// SIGHUP to reload its configuration.
//
// The constructor blocks the three signals in the calling thread, so it must run before any other
// thread is started (threads inherit the mask, and a blocked signal is then never delivered
// asynchronously anywhere). A thread of its own reads them from a signalfd and calls the given
// functions, which therefore run as ordinary code, not in a signal handler: they may log, lock and
// allocate. The destructor stops that thread and restores the previous mask.
#pragma once

#include <functional>
#include <thread>

#include <signal.h>

namespace dirsync::daemon {

class SignalWatcher
{
public:
  // on_stop receives the signal number (SIGTERM or SIGINT). Throws Error when the signalfd or the
  // thread cannot be made.
  SignalWatcher(std::function<void(int signal)> on_stop, std::function<void()> on_reload);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

private:
  void watch();

  std::function<void(int)> m_on_stop;
  std::function<void()> m_on_reload;
  sigset_t m_previous_mask{};
  int m_signal_fd = -1;
  int m_quit_fd = -1;
  std::thread m_thread;
};

} // namespace dirsync::daemon
