// Client-side rate limits, so the client stays under Feishu's per-endpoint limits instead of
// learning them from 429 answers.
//
// A RateLimiter holds one or more windows ("50 per second AND 1000 per minute"; Feishu rejects a
// request that breaks either). Each window is a sliding log of the times requests were sent: a
// request may go at time t when fewer than N requests were sent in (t - per - margin, t]. Only the
// last N times of a window matter, so memory is bounded by N. A sliding log never allows more than
// N in any interval of length `per`, so it also satisfies a server that counts in fixed windows; a
// token bucket would allow a burst of 2N across a window edge.
//
// The margin (10% of the period, at most 250 ms) absorbs the difference between when we send and
// when the gateway counts: without it, a request sent exactly `per` after the one N back can
// arrive inside the gateway's window because the earlier one was slower on the wire, and each such
// 429 holds the endpoint back for a whole second. Measured against the emulator (user_get, 50/s):
// without a margin 2-10 answers in 200 were 429s and throughput was 27-37/s; with it, none (one
// thread) or one (eight threads) in 250, at 45-47/s.
//
// RateLimits is the table of limiters by endpoint name, with the platform's published tiers as
// defaults, overridable by name from config.feishu.rate_limits. It checks and records under one
// lock, so a request counted against two limiters (a user patch that changes departments counts
// against `user_patch` and `user_patch_department`) takes both or neither.
//
// When Feishu answers 429 anyway (another client of the same app, a limit lower than published),
// the endpoint is paused until the reset time Feishu gave, so every thread waits, not just the one
// that was refused.
//
// Nothing here sleeps or reads a clock: callers pass `now` and sleep for the wait returned, then
// ask again. That keeps the math testable with an injected clock.
#pragma once

#include "common/error.hpp"
#include "config/config.hpp"

#include <chrono>
#include <deque>
#include <initializer_list>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace dirsync::feishu {

using SteadyTime = std::chrono::steady_clock::time_point;

class RateLimiter
{
public:
  // Throws ConfigError when a window has requests < 1 or a period <= 0.
  explicit RateLimiter(const std::vector<config::RateWindow>& windows);

  // How long from `now` until a request may be sent; zero when it may go now. Records nothing.
  std::chrono::nanoseconds wait_needed(SteadyTime now) const;
  // Records a request sent at `now` in every window. `now` must not go backwards.
  void record(SteadyTime now);
  // Records and returns zero when a request may go now; otherwise records nothing and returns
  // the wait.
  std::chrono::nanoseconds try_acquire(SteadyTime now);
  // Holds every request back until `until` (Feishu answered 429 and said when its window resets).
  void pause_until(SteadyTime until);

  const std::vector<config::RateWindow>& windows() const { return m_config; }

  // The extra time a window is held for, beyond its period.
  static std::chrono::nanoseconds margin(std::chrono::nanoseconds per);

private:
  struct Window
  {
    int requests;
    std::chrono::nanoseconds held;  // per + margin
    std::deque<SteadyTime> sent; // the last `requests` send times, oldest first
  };

  std::vector<config::RateWindow> m_config;
  std::vector<Window> m_windows;
  SteadyTime m_paused_until{};
};

// The name of every endpoint the client calls, with its default limit (empty: the platform
// publishes no standard limit, and the client applies none unless configured).
struct EndpointLimit
{
  std::string_view name;
  std::vector<config::RateWindow> windows;
};
const std::vector<EndpointLimit>& default_rate_limits();

class RateLimits
{
public:
  // The defaults, with `overrides` (config.feishu.rate_limits) replacing the windows of the
  // endpoints they name; an empty list removes the client-side limit. Throws ConfigError naming
  // `feishu.rate_limits.<name>` for an unknown endpoint name or an invalid window, listing every
  // problem.
  explicit RateLimits(const std::map<std::string, std::vector<config::RateWindow>>& overrides = {});

  // Under one lock: when every named limiter allows a request at `now`, records it in all of them
  // and returns zero; otherwise records nothing and returns the longest wait. Names without a
  // limit are ignored.
  std::chrono::nanoseconds try_acquire(std::initializer_list<std::string_view> names, SteadyTime now);

  // Holds back every request to `name` until `until`; unknown names are ignored.
  void pause(std::string_view name, SteadyTime until);

  // The windows in force for `name` (empty: unlimited). Throws std::out_of_range for an unknown name.
  const std::vector<config::RateWindow>& windows(std::string_view name) const;

private:
  std::mutex m_mutex;
  std::map<std::string, RateLimiter, std::less<>> m_limiters;
};

// Checks config.feishu.rate_limits as RateLimits would (for `dirsync check-config`): throws
// ConfigError listing every unknown endpoint name and invalid window.
void validate_rate_limits(const std::map<std::string, std::vector<config::RateWindow>>& overrides);

// "50/s", "1000/min", "10/min", "3/5s"; windows joined with " + ".
std::string describe(const std::vector<config::RateWindow>& windows);

} // namespace dirsync::feishu
