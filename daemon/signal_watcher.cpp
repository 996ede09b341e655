#include "daemon/signal_watcher.hpp"

#include "common/error.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace dirsync::daemon {

SignalWatcher::SignalWatcher(std::function<void(int)> on_stop, std::function<void()> on_reload)
  : m_on_stop(std::move(on_stop)),
    m_on_reload(std::move(on_reload))
{
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  if (pthread_sigmask(SIG_BLOCK, &mask, &m_previous_mask) != 0) {
    throw Error("cannot block SIGTERM, SIGINT and SIGHUP");
  }
  m_signal_fd = ::signalfd(-1, &mask, SFD_CLOEXEC);
  m_quit_fd = ::eventfd(0, EFD_CLOEXEC);
  if (m_signal_fd < 0 || m_quit_fd < 0) {
    const int error = errno;
    if (m_signal_fd >= 0) {
      ::close(m_signal_fd);
    }
    if (m_quit_fd >= 0) {
      ::close(m_quit_fd);
    }
    pthread_sigmask(SIG_SETMASK, &m_previous_mask, nullptr);
    throw Error(fmt::format("cannot watch signals: {}", std::strerror(error)));
  }
  m_thread = std::thread([this] { watch(); });
}

SignalWatcher::~SignalWatcher()
{
  const std::uint64_t one = 1;
  if (::write(m_quit_fd, &one, sizeof one) != sizeof one) {
    spdlog::error("cannot stop the signal thread: {}", std::strerror(errno));
  }
  m_thread.join();
  ::close(m_signal_fd);
  ::close(m_quit_fd);
  pthread_sigmask(SIG_SETMASK, &m_previous_mask, nullptr);
}

void SignalWatcher::watch()
{
  pollfd fds[2] = {{m_signal_fd, POLLIN, 0}, {m_quit_fd, POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      spdlog::error("waiting for signals failed: {}; signals are no longer handled", std::strerror(errno));
      return;
    }
    if ((fds[1].revents & POLLIN) != 0) {
      return;
    }
    signalfd_siginfo info{};
    if (::read(m_signal_fd, &info, sizeof info) != sizeof info) {
      continue;
    }
    const int signal = static_cast<int>(info.ssi_signo);
    if (signal == SIGHUP) {
      m_on_reload();
    } else {
      m_on_stop(signal);
    }
  }
}

} // namespace dirsync::daemon
