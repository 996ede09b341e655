#include "feishu/rate_limiter.hpp"

#include <catch2/catch.hpp>

using namespace dirsync;
using namespace dirsync::feishu;
using namespace std::chrono_literals;

namespace {

const SteadyTime k_t0{std::chrono::hours(1)};

} // namespace

TEST_CASE("RateLimiter holds windows a margin longer than their period", "[feishu][rate]")
{
  CHECK(RateLimiter::margin(1s) == 100ms);
  CHECK(RateLimiter::margin(10s) == 250ms);
  CHECK(RateLimiter::margin(60s) == 250ms);
}

TEST_CASE("RateLimiter allows N per window and then waits until the oldest leaves it", "[feishu][rate]")
{
  // 3 per second, held 1.1 s.
  RateLimiter limiter({{3, 1s}});
  CHECK(limiter.try_acquire(k_t0) == 0ns);
  CHECK(limiter.try_acquire(k_t0 + 100ms) == 0ns);
  CHECK(limiter.try_acquire(k_t0 + 200ms) == 0ns);
  // The fourth must wait until the first (at t0) is 1.1 s old.
  CHECK(limiter.try_acquire(k_t0 + 300ms) == 800ms);
  CHECK(limiter.wait_needed(k_t0 + 1099ms) == 1ms);
  CHECK(limiter.try_acquire(k_t0 + 1100ms) == 0ns);
  // Now the window holds t0+100ms, t0+200ms, t0+1.1s.
  CHECK(limiter.wait_needed(k_t0 + 1100ms) == 100ms);
}

TEST_CASE("RateLimiter with two windows waits for whichever is full", "[feishu][rate]")
{
  // A small model of tier 4 (50/s and 1000/min): 2 per second and 5 per 10 seconds, held
  // 1.1 s and 10.25 s.
  RateLimiter limiter({{2, 1s}, {5, 10s}});
  SteadyTime t = k_t0;
  CHECK(limiter.try_acquire(t) == 0ns);
  CHECK(limiter.try_acquire(t) == 0ns);
  CHECK(limiter.try_acquire(t) == 1100ms);  // the per-second window is full
  t += 1100ms;
  CHECK(limiter.try_acquire(t) == 0ns);
  CHECK(limiter.try_acquire(t) == 0ns);
  t += 1100ms;
  CHECK(limiter.try_acquire(t) == 0ns);  // five sent in 2.2 s
  t += 1100ms;
  // The per-second window is free, but the 10 s window holds 5: wait until t0 + 10.25 s.
  CHECK(limiter.try_acquire(t) == 6950ms);
  CHECK(limiter.try_acquire(k_t0 + 10250ms) == 0ns);
}

TEST_CASE("RateLimiter never allows more than N in any window, however requests arrive", "[feishu][rate]")
{
  RateLimiter limiter({{5, 1s}});
  std::vector<SteadyTime> sent;
  SteadyTime t = k_t0;
  while (sent.size() < 200) {
    auto wait = limiter.try_acquire(t);
    if (wait == 0ns) {
      sent.push_back(t);
      t += 37ms;
    } else {
      t += wait;
    }
  }
  for (std::size_t i = 5; i < sent.size(); ++i) {
    // The request 5 back is at least 1 s older.
    CHECK(sent[i] - sent[i - 5] >= 1s);
  }
}

TEST_CASE("RateLimits counts a department-changing patch against user_patch and the 1/s limit", "[feishu][rate]")
{
  RateLimits limits;
  SteadyTime t = k_t0;
  CHECK(limits.try_acquire({"user_patch", "user_patch_department"}, t) == 0ns);
  // A second department change within the (1.1 s) window waits for the 1/s limit.
  CHECK(limits.try_acquire({"user_patch", "user_patch_department"}, t + 10ms) == 1090ms);
  // An ordinary patch is not held up by it.
  CHECK(limits.try_acquire({"user_patch", ""}, t + 10ms) == 0ns);
  CHECK(limits.try_acquire({"user_patch", "user_patch_department"}, t + 1100ms) == 0ns);

  // Both limits are taken or neither: the refused department patch at t+10ms was not recorded
  // against user_patch (50/s), so (t, t+1.1s] holds 2 patches and 48 more fit.
  for (int i = 0; i < 48; ++i) {
    REQUIRE(limits.try_acquire({"user_patch"}, t + 1100ms) == 0ns);
  }
  CHECK(limits.try_acquire({"user_patch"}, t + 1100ms) == 10ms);
}

TEST_CASE("RateLimits has the platform's tiers as defaults", "[feishu][rate]")
{
  RateLimits limits;
  CHECK(describe(limits.windows("user_create")) == "50/s + 1000/min");
  CHECK(describe(limits.windows("department_children")) == "50/s + 1000/min");
  CHECK(describe(limits.windows("unit_list_department")) == "50/s + 1000/min");
  CHECK(describe(limits.windows("user_update_user_id")) == "20/s");
  CHECK(describe(limits.windows("unit_bind_department")) == "20/s");
  CHECK(describe(limits.windows("user_resurrect")) == "10/min");
  CHECK(describe(limits.windows("job_title_list")) == "10/min");
  CHECK(describe(limits.windows("job_title_get")) == "10/min");
  CHECK(describe(limits.windows("user_patch_department")) == "1/s");
  CHECK(describe(limits.windows("department_get")) == "unlimited");

  SteadyTime t = k_t0;
  for (int i = 0; i < 10; ++i) {
    REQUIRE(limits.try_acquire({"job_title_list"}, t) == 0ns);
  }
  CHECK(limits.try_acquire({"job_title_list"}, t) == 60250ms);
  // An unlimited endpoint never waits.
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(limits.try_acquire({"department_get"}, t) == 0ns);
  }
}

TEST_CASE("RateLimits takes overrides by name and rejects unknown names", "[feishu][rate]")
{
  SECTION("an override replaces the default windows; an empty list removes the limit")
  {
    RateLimits limits({{"user_create", {{5, std::chrono::seconds(1)}}}, {"user_resurrect", {}}});
    CHECK(describe(limits.windows("user_create")) == "5/s");
    CHECK(describe(limits.windows("user_resurrect")) == "unlimited");
    CHECK(describe(limits.windows("user_delete")) == "50/s + 1000/min");
  }
  SECTION("unknown names and bad windows are reported together, by config path")
  {
    try {
      RateLimits limits({{"user_creat", {{5, std::chrono::seconds(1)}}},
                         {"user_get", {{0, std::chrono::seconds(1)}}}});
      FAIL("no error");
    } catch (const ConfigError& e) {
      REQUIRE(e.problems().size() == 2);
      CHECK(e.problems()[0].rfind("feishu.rate_limits.user_creat: unknown endpoint name; known names are: "
                                  "tenant_access_token, user_create,", 0) == 0);
      CHECK(e.problems()[1] == "feishu.rate_limits.user_get: a window must allow at least 1 request (got 0)");
    }
  }
}

TEST_CASE("RateLimits.pause holds an endpoint back until Feishu's reset time", "[feishu][rate]")
{
  RateLimits limits;
  limits.pause("user_get", k_t0 + 3s);
  CHECK(limits.try_acquire({"user_get"}, k_t0) == 3s);
  CHECK(limits.try_acquire({"user_get"}, k_t0 + 2500ms) == 500ms);
  CHECK(limits.try_acquire({"user_create"}, k_t0) == 0ns);  // other endpoints go on
  CHECK(limits.try_acquire({"user_get"}, k_t0 + 3s) == 0ns);
  // An earlier pause does not shorten a later one.
  limits.pause("department_get", k_t0 + 5s);
  limits.pause("department_get", k_t0 + 1s);
  CHECK(limits.try_acquire({"department_get"}, k_t0) == 5s);
}
