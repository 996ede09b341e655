// The daemon's main loop (DESIGN.md §12): it runs the sync cycle on the refresh interval and as
// soon as an HR file arrives, survives failing cycles, reloads the configuration on request, feeds
// the systemd watchdog while it makes progress, and stops promptly when asked.
//
// How it schedules. The first cycle runs at once; after a cycle that succeeded, the next is due one
// refresh interval later (give or take up to 5 %, so that many daemons do not hit Feishu in step);
// after one that failed, a backoff that doubles per consecutive failure (from `first_backoff`, at
// most the refresh interval) with up to 20 % jitter. Between cycles the loop waits on the file
// source (the inbox): a file that arrives starts a cycle for that file at once, and a due cycle
// also takes a file that is already waiting. Every cycle, for a file or not, restarts the interval.
// A plan released by `dirsync approve` also starts a cycle, within `work_poll_interval`.
// HR files are processed in the order they came, and none is lost to a failure: a file whose cycle
// failed (Feishu unreachable, the database locked) is tried again first after the backoff, and
// files that arrive during a backoff wait for it rather than overtake the failed one (a newer full
// export applied before an older one would be undone by it). A waiting file that vanished from the
// inbox meanwhile is skipped.
//
// How it waits. FileSource::next(timeout) is the one place the loop sleeps; wake() cuts it short,
// so request_stop() and request_reload() (safe from any thread) take effect at once. The wait is
// never longer than half the watchdog interval, and WATCHDOG=1 is sent only from the loop itself
// (or from a cycle reporting progress through CycleControl), so a loop that hangs stops feeding the
// watchdog and systemd restarts it.
//
// What it catches. A cycle that throws is logged at error, counted, and retried after the backoff;
// the loop goes on. A configuration that fails to reload is logged and the old one kept. Errors of
// the file source (the inbox folder vanished) end run() with the exception: the service manager
// restarts the daemon, which recreates what it can.
#pragma once

#include "config/config.hpp"
#include "daemon/notifier.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>

namespace dirsync::daemon {

using SteadyTime = std::chrono::steady_clock::time_point;

// What a cycle hands back to the loop.
struct CycleSummary
{
  std::string text;           // one line for the log and systemd's STATUS=
  int hr_files_accepted = 0;  // HR files this cycle read and accepted
  int hr_files_rejected = 0;  // ... and rejected
  // The cycle ran but did not achieve its purpose (e.g. the mirror could not be trusted): counted
  // and retried like a cycle that threw, with `text` as the error.
  bool failed = false;
};

// Given to a running cycle: whether it should wrap up (finish the requests in flight, record its
// journal, return), and a way to say it is still making progress during long work. progress() may
// be called from any thread (e.g. apply's workers); it feeds the watchdog when a ping is due.
class CycleControl
{
public:
  virtual ~CycleControl() = default;
  virtual bool stop_requested() const = 0;
  // The flag behind stop_requested(), for code that takes a `const std::atomic<bool>*`.
  virtual const std::atomic<bool>& stop_flag() const = 0;
  virtual void progress() = 0;
};

struct CycleRequest
{
  const config::Config& config;
  std::optional<std::filesystem::path> hr_file; // the HR file this cycle is for, if any
  CycleControl& control;
};

// One cycle: refresh → intake → plan → gate → apply. Throws on failure.
using Cycle = std::function<CycleSummary(const CycleRequest&)>;

// Where HR files come from, and the loop's only way to wait (hr::Inbox in the daemon).
class FileSource
{
public:
  virtual ~FileSource() = default;
  // The next file, waiting up to `timeout`; nullopt on timeout or after wake().
  virtual std::optional<std::filesystem::path> next(std::chrono::milliseconds timeout) = 0;
  virtual void wake() = 0;
};

struct ServiceLoopOptions
{
  std::chrono::microseconds watchdog_interval{0}; // 0: no watchdog
  std::chrono::milliseconds first_backoff{10'000};
  std::function<SteadyTime()> clock = [] { return std::chrono::steady_clock::now(); };
  std::function<std::int64_t()> unix_time; // seconds; defaults to the system clock
  std::uint64_t random_seed = std::random_device{}();
  // Loads the configuration again for request_reload(); throws ConfigError when it is invalid.
  std::function<config::Config()> reload_config;
  // Called after each cycle with the loop's statistics (the daemon saves them for `dirsync status`).
  std::function<void()> after_cycle;
  // Whether work waits that an admin released since the last cycle (a plan approved with `dirsync
  // approve`): asked at most every `work_poll_interval` while the loop is idle, and a cycle starts
  // at once when it answers true (unless the loop is backing off after a failure).
  std::function<bool()> work_waiting;
  std::chrono::milliseconds work_poll_interval{5'000};
};

// What the loop has done so far; a consistent copy from ServiceLoop::stats().
struct ServiceStats
{
  std::uint64_t cycles_ok = 0;
  std::uint64_t cycles_failed = 0;
  std::uint64_t hr_files_accepted = 0;
  std::uint64_t hr_files_rejected = 0;
  std::uint64_t reloads_ok = 0;
  std::uint64_t reloads_failed = 0;
  int consecutive_failures = 0;
  bool cycle_running = false;
  std::int64_t started_at = 0;             // unix seconds
  std::optional<SteadyTime> last_success;  // when the last good cycle ended
  std::optional<std::int64_t> last_success_at; // the same in unix seconds
  std::optional<std::int64_t> last_cycle_at;   // when the last cycle (good or bad) ended
  bool last_cycle_ok = false;
  std::string last_summary;                // the last good cycle's summary
  std::string last_error;                  // the last failed cycle's error
  std::chrono::seconds refresh_interval{0};
};

// The answer of /healthz.
struct Health
{
  bool healthy = false;
  std::string reason;
};

class ServiceLoop
{
public:
  ServiceLoop(config::Config config, Cycle cycle, FileSource& files, Notifier& notifier,
              ServiceLoopOptions options);

  // Runs until request_stop(); then sends STOPPING=1 and returns. READY=1 is sent when the loop
  // starts. Rethrows what the file source throws.
  void run();

  // Thread-safe; for the signal thread.
  void request_stop();
  void request_reload();
  bool stop_requested() const { return m_stop.load(); }

  ServiceStats stats() const;
  // Healthy while the last cycle succeeded and did so within two refresh intervals.
  Health health() const;
  // The configuration in use (a copy).
  config::Config config() const;

private:
  class Control;

  // Runs one cycle; whether it succeeded.
  bool run_cycle(std::optional<std::filesystem::path> file);
  // options.work_waiting(), with a failure logged and taken as "no" (the next cycle will tell).
  bool work_waiting();
  std::optional<std::filesystem::path> take_waiting_file();
  void reload();
  void feed_watchdog(bool force);
  std::chrono::milliseconds jittered(std::chrono::milliseconds base, double spread);
  std::int64_t now_unix() const;

  mutable std::mutex m_mutex; // guards m_config and m_stats
  config::Config m_config;
  ServiceStats m_stats;

  Cycle m_cycle;
  FileSource& m_files;
  Notifier& m_notifier;
  ServiceLoopOptions m_options;
  std::mt19937_64 m_random;
  std::atomic<bool> m_stop{false};
  std::atomic<bool> m_reload{false};
  SteadyTime m_next_cycle{};
  // Files taken from the source but not processed yet, oldest first: one whose cycle failed (it
  // is retried first), and those that arrived while the loop was backing off.
  std::deque<std::filesystem::path> m_waiting;
  std::mutex m_watchdog_mutex; // guards m_last_watchdog: progress() may come from other threads
  SteadyTime m_last_watchdog{};
};

} // namespace dirsync::daemon
