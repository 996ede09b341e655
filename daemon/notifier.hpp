// Telling the service manager how the daemon is doing (sd_notify(3)): READY=1, STATUS=...,
// WATCHDOG=1, STOPPING=1. The service loop talks to the Notifier interface, so tests can record
// what it says; SystemdNotifier is the real one (a no-op when not started by systemd).
#pragma once

#include <chrono>
#include <string_view>

namespace dirsync::daemon {

class Notifier
{
public:
  virtual ~Notifier() = default;
  // One or more newline-separated assignments, e.g. "READY=1\nSTATUS=serving".
  virtual void notify(std::string_view state) = 0;
};

class SystemdNotifier : public Notifier
{
public:
  // Sends to $NOTIFY_SOCKET when it is set; otherwise does nothing.
  void notify(std::string_view state) override;

  // The watchdog interval systemd expects pings within (WatchdogSec=, passed as $WATCHDOG_USEC to
  // this process), or zero when the watchdog is off.
  static std::chrono::microseconds watchdog_interval();
};

} // namespace dirsync::daemon
