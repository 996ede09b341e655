#include "emulator/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace dirsync::emulator {

RateLimiter::RateLimiter(double scale)
  : m_scale(scale)
{
}

int RateLimiter::scaled(int limit) const
{
  return std::max(1, static_cast<int>(std::lround(limit * m_scale)));
}

std::optional<RateLimiter::Refusal> RateLimiter::try_acquire(const std::string& key,
                                                            const std::vector<RateWindow>& windows,
                                                            Clock::time_point now)
{
  if (m_scale <= 0 || windows.empty()) {
    return std::nullopt;
  }
  auto& queues = m_calls[key];
  queues.resize(windows.size());
  for (std::size_t i = 0; i < windows.size(); ++i) {
    auto& q = queues[i];
    while (!q.empty() && q.front() + windows[i].period <= now) {
      q.pop_front();
    }
    const int limit = scaled(windows[i].limit);
    if (static_cast<int>(q.size()) >= limit) {
      const auto wait = q.front() + windows[i].period - now;
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(wait).count();
      return Refusal{limit, std::max<int>(1, static_cast<int>((ms + 999) / 1000))};
    }
  }
  for (auto& q : queues) {
    q.push_back(now);
  }
  return std::nullopt;
}

void RateLimiter::clear()
{
  m_calls.clear();
}

} // namespace dirsync::emulator
