// Per-app, per-endpoint sliding-window rate limits, as the Feishu gateway applies them.
//
// Each limited call names a key (app id and endpoint) and the windows that apply to it (for example
// 1000 per minute and 50 per second). A call is admitted only when every window still has room; an
// admitted call is recorded in all of them, a refused one in none. Times come from the caller, so
// the class is testable without sleeping.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dirsync::emulator {

struct RateWindow
{
  int limit = 0;                      // calls allowed per period, before scaling
  std::chrono::milliseconds period{}; // length of the sliding window
};

class RateLimiter
{
public:
  using Clock = std::chrono::steady_clock;

  struct Refusal
  {
    int limit = 0;             // the (scaled) limit of the window that is full
    int reset_seconds = 0;     // whole seconds until that window has room again (at least 1)
  };

  // `scale` multiplies every limit (10 = ten times the real limits); 0 turns limiting off.
  explicit RateLimiter(double scale = 1.0);

  // Admits and records the call, or returns why it is refused.
  std::optional<Refusal> try_acquire(const std::string& key, const std::vector<RateWindow>& windows,
                                     Clock::time_point now);

  void clear();
  double scale() const { return m_scale; }

private:
  int scaled(int limit) const;

  double m_scale;
  // key → one deque of admitted call times per window (same order as the windows passed in).
  std::map<std::string, std::vector<std::deque<Clock::time_point>>> m_calls;
};

} // namespace dirsync::emulator
