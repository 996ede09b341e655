#include "emulator/rate_limiter.hpp"

#include <catch2/catch.hpp>

using dirsync::emulator::RateLimiter;
using dirsync::emulator::RateWindow;
using namespace std::chrono_literals;

TEST_CASE("rate limiter refuses past any window and says when it has room again", "[emulator]")
{
  RateLimiter limiter;
  const std::vector<RateWindow> tier{{1000, 60s}, {50, 1s}};
  const auto t0 = RateLimiter::Clock::time_point{} + 1h;
  for (int i = 0; i < 50; ++i) {
    REQUIRE_FALSE(limiter.try_acquire("app|GET users", tier, t0 + std::chrono::milliseconds(i)));
  }
  const auto refused = limiter.try_acquire("app|GET users", tier, t0 + 100ms);
  REQUIRE(refused);
  CHECK(refused->limit == 50);
  CHECK(refused->reset_seconds == 1);
  CHECK_FALSE(limiter.try_acquire("other|GET users", tier, t0 + 100ms)); // per app
  CHECK_FALSE(limiter.try_acquire("app|GET users", tier, t0 + 1s));      // the second slid on
}

TEST_CASE("rate limiter counts only admitted calls and scales limits", "[emulator]")
{
  RateLimiter limiter(0.5);
  const std::vector<RateWindow> per_minute{{10, 60s}};
  const auto t0 = RateLimiter::Clock::time_point{} + 1h;
  for (int i = 0; i < 5; ++i) {
    REQUIRE_FALSE(limiter.try_acquire("k", per_minute, t0));
  }
  for (int i = 0; i < 3; ++i) {
    const auto refused = limiter.try_acquire("k", per_minute, t0 + 10s);
    REQUIRE(refused);
    CHECK(refused->limit == 5);
    CHECK(refused->reset_seconds == 50);
  }
  CHECK_FALSE(limiter.try_acquire("k", per_minute, t0 + 60s));

  RateLimiter off(0);
  for (int i = 0; i < 100; ++i) {
    REQUIRE_FALSE(off.try_acquire("k", per_minute, t0));
  }
}
