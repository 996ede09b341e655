#include "daemon/notifier.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace dirsync::daemon {

void SystemdNotifier::notify(std::string_view state)
{
  const std::string text(state);
  const int r = sd_notify(0, text.c_str());
  if (r < 0) {
    spdlog::debug("sd_notify failed: {}", std::strerror(-r));
  }
}

std::chrono::microseconds SystemdNotifier::watchdog_interval()
{
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0) {
    return std::chrono::microseconds(usec);
  }
  return std::chrono::microseconds(0);
}

} // namespace dirsync::daemon
