#include "daemon/service_loop.hpp"

#include "common/error.hpp"
#include "support/scratch_dir.hpp"

#include <catch2/catch.hpp>

#include <deque>
#include <string>
#include <utility>
#include <vector>

using namespace dirsync;
using namespace dirsync::daemon;
using dirsync::testing::ScratchDir;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A clock the test moves; the loop's only wait (FileSource::next) moves it.
struct FakeClock
{
  SteadyTime now{};
  std::chrono::milliseconds elapsed() const { return std::chrono::duration_cast<std::chrono::milliseconds>(now - SteadyTime{}); }
};

// Files that "arrive" at given times; next() jumps the clock to the arrival or to the timeout.
class FakeSource : public FileSource
{
public:
  explicit FakeSource(FakeClock& clock)
    : m_clock(clock)
  {
  }
  void arrive(std::chrono::milliseconds at, fs::path file) { m_files.emplace_back(at, std::move(file)); }

  std::optional<fs::path> next(std::chrono::milliseconds timeout) override
  {
    ++calls;
    max_timeout = std::max(max_timeout, timeout);
    if (m_woken) {
      m_woken = false;
      return std::nullopt;
    }
    const auto deadline = m_clock.elapsed() + timeout;
    if (!m_files.empty() && m_files.front().first <= deadline) {
      auto [at, file] = m_files.front();
      m_files.pop_front();
      m_clock.now = std::max(m_clock.now, SteadyTime{} + at);
      return file;
    }
    m_clock.now += timeout;
    return std::nullopt;
  }
  void wake() override { m_woken = true; }

  int calls = 0;
  std::chrono::milliseconds max_timeout{0};

private:
  FakeClock& m_clock;
  std::deque<std::pair<std::chrono::milliseconds, fs::path>> m_files;
  bool m_woken = false;
};

class RecordingNotifier : public Notifier
{
public:
  explicit RecordingNotifier(FakeClock& clock)
    : m_clock(clock)
  {
  }
  void notify(std::string_view state) override { messages.emplace_back(m_clock.elapsed(), std::string(state)); }

  std::vector<std::chrono::milliseconds> times_of(std::string_view prefix) const
  {
    std::vector<std::chrono::milliseconds> out;
    for (const auto& [at, text] : messages) {
      if (text.starts_with(prefix)) {
        out.push_back(at);
      }
    }
    return out;
  }

  std::vector<std::pair<std::chrono::milliseconds, std::string>> messages;

private:
  FakeClock& m_clock;
};

config::Config config_with_interval(std::chrono::seconds interval)
{
  config::Config c;
  c.sync.refresh_interval = interval;
  return c;
}

struct Harness
{
  FakeClock clock;
  FakeSource source{clock};
  RecordingNotifier notifier{clock};
  ServiceLoopOptions options;
  std::int64_t unix_now = 1'700'000'000;

  Harness()
  {
    options.clock = [this] { return clock.now; };
    options.unix_time = [this] { return unix_now + clock.elapsed().count() / 1000; };
    options.random_seed = 42;
    options.first_backoff = 10s;
  }
};

struct CycleRecord
{
  std::chrono::milliseconds at;
  std::optional<fs::path> file;
};

} // namespace

TEST_CASE("ServiceLoop runs a cycle at once, then one per refresh interval with a little jitter", "[daemon]")
{
  Harness h;
  std::vector<CycleRecord> cycles;
  std::unique_ptr<ServiceLoop> loop;
  loop = std::make_unique<ServiceLoop>(
    config_with_interval(60s),
    [&](const CycleRequest& r) {
      cycles.push_back({h.clock.elapsed(), r.hr_file});
      if (cycles.size() == 5) {
        loop->request_stop();
      }
      return CycleSummary{"fine", 0, 0};
    },
    h.source, h.notifier, h.options);
  loop->run();

  REQUIRE(cycles.size() == 5);
  CHECK(cycles[0].at == 0ms);
  bool some_jitter = false;
  for (std::size_t i = 1; i < cycles.size(); ++i) {
    const auto gap = cycles[i].at - cycles[i - 1].at;
    CHECK(gap >= 57s);
    CHECK(gap <= 63s + 1ms);
    some_jitter = some_jitter || (gap != 60s && gap != 60s + 1ms);
    CHECK_FALSE(cycles[i].file.has_value());
  }
  CHECK(some_jitter);
  CHECK(loop->stats().cycles_ok == 5);
}

TEST_CASE("ServiceLoop starts a cycle for an HR file as soon as it arrives, and restarts the interval", "[daemon]")
{
  Harness h;
  ScratchDir dir;
  const fs::path file = dir.write("inbox/a.csv", "x");
  h.source.arrive(25s, file);
  std::vector<CycleRecord> cycles;
  std::unique_ptr<ServiceLoop> loop;
  loop = std::make_unique<ServiceLoop>(
    config_with_interval(60s),
    [&](const CycleRequest& r) {
      cycles.push_back({h.clock.elapsed(), r.hr_file});
      if (cycles.size() == 3) {
        loop->request_stop();
      }
      return CycleSummary{"file", r.hr_file ? 1 : 0, 0};
    },
    h.source, h.notifier, h.options);
  loop->run();

  REQUIRE(cycles.size() == 3);
  CHECK_FALSE(cycles[0].file);
  CHECK(cycles[1].at == 25s);
  REQUIRE(cycles[1].file);
  CHECK(*cycles[1].file == file);
  // The next scheduled cycle counts from the file's cycle, not from the first one.
  CHECK(cycles[2].at - cycles[1].at >= 57s);
  CHECK(loop->stats().hr_files_accepted == 1);
}

TEST_CASE("ServiceLoop logs a failing cycle, counts it, retries with a growing backoff and goes on", "[daemon]")
{
  Harness h;
  std::vector<std::chrono::milliseconds> at;
  std::unique_ptr<ServiceLoop> loop;
  loop = std::make_unique<ServiceLoop>(
    config_with_interval(15min),
    [&](const CycleRequest&) -> CycleSummary {
      at.push_back(h.clock.elapsed());
      if (at.size() <= 4) {
        throw ApiError({"GET /open-apis/contact/v3/users", 503, 0, "service unavailable", "log-1", true});
      }
      loop->request_stop();
      return CycleSummary{"recovered", 0, 0};
    },
    h.source, h.notifier, h.options);

  CHECK_FALSE(loop->health().healthy);
  loop->run();

  REQUIRE(at.size() == 5);
  // 10 s, 20 s, 40 s, 80 s, each within 20 % jitter.
  const std::chrono::milliseconds expected[] = {10s, 20s, 40s, 80s};
  for (std::size_t i = 0; i < 4; ++i) {
    const auto gap = at[i + 1] - at[i];
    INFO("retry " << i + 1 << " after " << gap.count() << " ms");
    CHECK(gap >= expected[i] * 8 / 10);
    CHECK(gap <= expected[i] * 12 / 10 + 1ms);
  }
  const ServiceStats stats = loop->stats();
  CHECK(stats.cycles_failed == 4);
  CHECK(stats.cycles_ok == 1);
  CHECK(stats.consecutive_failures == 0);
  CHECK(loop->health().healthy);

  const auto statuses = h.notifier.times_of("STATUS=Last cycle FAILED");
  CHECK(statuses.size() == 4);
  bool saw_error_text = false;
  for (const auto& [t, text] : h.notifier.messages) {
    saw_error_text = saw_error_text || text.find("service unavailable") != std::string::npos;
  }
  CHECK(saw_error_text);
  CHECK(h.notifier.messages.back().second.starts_with("STOPPING=1"));
}

TEST_CASE("ServiceLoop backoff never exceeds the refresh interval", "[daemon]")
{
  Harness h;
  std::vector<std::chrono::milliseconds> at;
  std::unique_ptr<ServiceLoop> loop;
  loop = std::make_unique<ServiceLoop>(
    config_with_interval(30s),
    [&](const CycleRequest&) -> CycleSummary {
      at.push_back(h.clock.elapsed());
      if (at.size() == 8) {
        loop->request_stop();
      }
      throw StorageError("disk full");
    },
    h.source, h.notifier, h.options);
  loop->run();
  REQUIRE(at.size() == 8);
  for (std::size_t i = 1; i < at.size(); ++i) {
    CHECK(at[i] - at[i - 1] <= 30s + 1ms);
  }
  CHECK(loop->stats().consecutive_failures == 8);
  const Health health = loop->health();
  CHECK_FALSE(health.healthy);
  CHECK_THAT(health.reason, Catch::Contains("disk full"));
}

TEST_CASE("ServiceLoop sends READY=1 first and STOPPING=1 last", "[daemon]")
{
  Harness h;
  std::unique_ptr<ServiceLoop> loop;
  loop = std::make_unique<ServiceLoop>(
    config_with_interval(60s),
    [&](const CycleRequest&) {
      loop->request_stop();
      return CycleSummary{"3 created", 0, 0};
    },
    h.source, h.notifier, h.options);
  loop->run();
  REQUIRE(h.notifier.messages.size() >= 3);
  CHECK(h.notifier.messages.front().second.starts_with("READY=1"));
  CHECK(h.notifier.messages.back().second.starts_with("STOPPING=1"));
  CHECK(h.notifier.times_of("STATUS=Last cycle OK: 3 created").size() == 1);
}

TEST_CASE("ServiceLoop feeds the watchdog at half its interval while it waits, and not from a hung cycle", "[daemon]")
{
  Harness h;
  h.options.watchdog_interval = 20s;
  int cycles = 0;
  std::size_t pings_before_hang = 0;
  std::size_t pings_after_hang = 0;
  std::size_t pings_after_progress = 0;
  std::unique_ptr<ServiceLoop> loop;
  loop = std::make_unique<ServiceLoop>(
    config_with_interval(60s),
    [&](const CycleRequest& r) {
      ++cycles;
      if (cycles == 3) {
        // A cycle that hangs for 100 s without saying it progresses: no ping may be sent for it.
        pings_before_hang = h.notifier.times_of("WATCHDOG=1").size();
        h.clock.now += 100s;
        pings_after_hang = h.notifier.times_of("WATCHDOG=1").size();
        // One that reports progress is fed.
        r.control.progress();
        pings_after_progress = h.notifier.times_of("WATCHDOG=1").size();
        loop->request_stop();
      }
      return CycleSummary{"ok", 0, 0};
    },
    h.source, h.notifier, h.options);
  loop->run();

  CHECK(h.source.max_timeout <= 10s);
  const auto pings = h.notifier.times_of("WATCHDOG=1");
  REQUIRE(pings.size() >= 12);
  for (std::size_t i = 1; i < pings.size() && pings[i] <= 120s; ++i) {
    CHECK(pings[i] - pings[i - 1] <= 10s + 1ms);
  }
  CHECK(pings_after_hang == pings_before_hang);
  CHECK(pings_after_progress == pings_after_hang + 1);
}

TEST_CASE("ServiceLoop sends no WATCHDOG=1 when the watchdog is off", "[daemon]")
{
  Harness h;
  std::unique_ptr<ServiceLoop> loop;
  int cycles = 0;
  loop = std::make_unique<ServiceLoop>(
    config_with_interval(60s),
    [&](const CycleRequest&) {
      if (++cycles == 3) {
        loop->request_stop();
      }
      return CycleSummary{"ok", 0, 0};
    },
    h.source, h.notifier, h.options);
  loop->run();
  CHECK(h.notifier.times_of("WATCHDOG=1").empty());
}

TEST_CASE("ServiceLoop reload swaps in a valid configuration and keeps the old one when the new is invalid", "[daemon]")
{
  Harness h;
  int reloads = 0;
  h.options.reload_config = [&] {
    ++reloads;
    if (reloads == 1) {
      config::Config c = config_with_interval(120s);
      c.storage.database = "/elsewhere/mirror.db"; // needs a restart: kept as it was
      return c;
    }
    throw ConfigError("dirsync.yaml:3:5: sync.refresh_interval: must be at least 30s (got \"5s\")");
  };
  config::Config initial = config_with_interval(60s);
  initial.storage.database = "/var/lib/dirsync/mirror.db";
  std::vector<std::chrono::seconds> intervals_seen;
  std::unique_ptr<ServiceLoop> loop;
  loop = std::make_unique<ServiceLoop>(
    initial,
    [&](const CycleRequest& r) {
      intervals_seen.push_back(r.config.sync.refresh_interval);
      if (intervals_seen.size() < 3) {
        loop->request_reload();
      } else {
        loop->request_stop();
      }
      return CycleSummary{"ok", 0, 0};
    },
    h.source, h.notifier, h.options);
  loop->run();

  REQUIRE(intervals_seen.size() == 3);
  CHECK(intervals_seen[0] == 60s);
  CHECK(intervals_seen[1] == 120s);
  CHECK(intervals_seen[2] == 120s); // the invalid reload changed nothing
  const ServiceStats stats = loop->stats();
  CHECK(stats.reloads_ok == 1);
  CHECK(stats.reloads_failed == 1);
  CHECK(loop->config().storage.database == "/var/lib/dirsync/mirror.db");
  CHECK(loop->config().sync.refresh_interval == 120s);
}

TEST_CASE("ServiceLoop stops at once when asked during a wait, and a cycle sees the request", "[daemon]")
{
  Harness h;
  bool saw_stop = false;
  std::unique_ptr<ServiceLoop> loop;
  int cycles = 0;
  loop = std::make_unique<ServiceLoop>(
    config_with_interval(60s),
    [&](const CycleRequest& r) {
      ++cycles;
      loop->request_stop();
      saw_stop = r.control.stop_requested();
      return CycleSummary{"ok", 0, 0};
    },
    h.source, h.notifier, h.options);
  loop->run();
  CHECK(cycles == 1);
  CHECK(saw_stop);
  CHECK(h.clock.elapsed() < 1s);
}

TEST_CASE("ServiceLoop health turns bad when the last success is older than two intervals", "[daemon]")
{
  Harness h;
  std::unique_ptr<ServiceLoop> loop;
  loop = std::make_unique<ServiceLoop>(
    config_with_interval(60s),
    [&](const CycleRequest&) {
      loop->request_stop();
      return CycleSummary{"ok", 0, 0};
    },
    h.source, h.notifier, h.options);
  const Health before = loop->health();
  CHECK_FALSE(before.healthy);
  CHECK_THAT(before.reason, Catch::Contains("first cycle"));
  loop->run();
  CHECK(loop->health().healthy);
  h.clock.now += 121s;
  const Health stale = loop->health();
  CHECK_FALSE(stale.healthy);
  CHECK_THAT(stale.reason, Catch::Contains("two refresh intervals"));
}

TEST_CASE("ServiceLoop retries a file whose cycle failed after the backoff, before files that came later",
          "[daemon]")
{
  Harness h;
  ScratchDir dir;
  const fs::path first = dir.write("inbox/first.csv", "x");
  const fs::path second = dir.write("inbox/second.csv", "x");
  h.source.arrive(5s, first);
  h.source.arrive(7s, second); // arrives during the backoff after first's failure
  std::vector<CycleRecord> cycles;
  std::unique_ptr<ServiceLoop> loop;
  loop = std::make_unique<ServiceLoop>(
    config_with_interval(60s),
    [&](const CycleRequest& r) -> CycleSummary {
      cycles.push_back({h.clock.elapsed(), r.hr_file});
      if (cycles.size() == 2) {
        throw ApiError({"GET /open-apis/contact/v3/departments/0/children", 0, 0, "connection refused", "", true});
      }
      if (cycles.size() == 4) {
        loop->request_stop();
      }
      return CycleSummary{"ok", r.hr_file ? 1 : 0, 0};
    },
    h.source, h.notifier, h.options);
  loop->run();

  REQUIRE(cycles.size() == 4);
  CHECK_FALSE(cycles[0].file);
  REQUIRE(cycles[1].file);
  CHECK(*cycles[1].file == first); // failed at 5 s
  CHECK(cycles[1].at == 5s);
  REQUIRE(cycles[2].file);
  CHECK(*cycles[2].file == first); // retried first, after the backoff (10 s +- 20 %)
  CHECK(cycles[2].at - cycles[1].at >= 8s);
  REQUIRE(cycles[3].file);
  CHECK(*cycles[3].file == second); // then the one that waited, at once
  CHECK(cycles[3].at == cycles[2].at);
}

TEST_CASE("ServiceLoop skips a waiting file that vanished from the inbox", "[daemon]")
{
  Harness h;
  ScratchDir dir;
  const fs::path gone = dir.write("inbox/gone.csv", "x");
  h.source.arrive(5s, gone);
  std::vector<CycleRecord> cycles;
  std::unique_ptr<ServiceLoop> loop;
  loop = std::make_unique<ServiceLoop>(
    config_with_interval(60s),
    [&](const CycleRequest& r) -> CycleSummary {
      cycles.push_back({h.clock.elapsed(), r.hr_file});
      if (cycles.size() == 2) {
        fs::remove(gone);
        throw StorageError("database is locked");
      }
      if (cycles.size() == 3) {
        loop->request_stop();
      }
      return CycleSummary{"ok", 0, 0};
    },
    h.source, h.notifier, h.options);
  loop->run();
  REQUIRE(cycles.size() == 3);
  CHECK(cycles[1].file);
  CHECK_FALSE(cycles[2].file); // the retry found nothing to retry
}

TEST_CASE("ServiceLoop counts a cycle that reports failure like one that threw, and keeps its HR counts",
          "[daemon]")
{
  Harness h;
  std::vector<std::chrono::milliseconds> at;
  std::unique_ptr<ServiceLoop> loop;
  loop = std::make_unique<ServiceLoop>(
    config_with_interval(60s),
    [&](const CycleRequest&) {
      at.push_back(h.clock.elapsed());
      if (at.size() == 2) {
        loop->request_stop();
      }
      CycleSummary s{"refresh 3 not trusted, nothing planned: it lost 40 % of the users", 1, 0};
      s.failed = true;
      return s;
    },
    h.source, h.notifier, h.options);
  loop->run();
  REQUIRE(at.size() == 2);
  CHECK(at[1] - at[0] <= 12s); // the backoff, not the refresh interval
  const ServiceStats stats = loop->stats();
  CHECK(stats.cycles_failed == 2);
  CHECK(stats.cycles_ok == 0);
  CHECK(stats.hr_files_accepted == 2);
  CHECK_THAT(stats.last_error, Catch::Contains("not trusted"));
  CHECK_FALSE(loop->health().healthy);
}

namespace {

// Runs the loop with `h`'s options until `count` cycles (that succeed, with no HR file) have run.
std::vector<CycleRecord> run_cycles(Harness& h, std::chrono::seconds interval, std::size_t count)
{
  std::vector<CycleRecord> cycles;
  std::unique_ptr<ServiceLoop> loop;
  loop = std::make_unique<ServiceLoop>(
    config_with_interval(interval),
    [&](const CycleRequest&) {
      cycles.push_back({h.clock.elapsed(), std::nullopt});
      if (cycles.size() == count) {
        loop->request_stop();
      }
      return CycleSummary{"fine", 0, 0};
    },
    h.source, h.notifier, h.options);
  loop->run();
  return cycles;
}

} // namespace

TEST_CASE("ServiceLoop starts a cycle within the poll interval when an approved plan waits", "[daemon]")
{
  Harness h;
  h.options.work_poll_interval = 5s;
  // The admin approves a plan 100 s after start: well inside the 15-minute interval.
  h.options.work_waiting = [&] { return h.clock.elapsed() >= 100s; };
  const auto cycles = run_cycles(h, 900s, 2);

  REQUIRE(cycles.size() == 2);
  CHECK(cycles[0].at == 0ms);
  // Polled every 5 s while idle: the approval is seen at the first poll after 100 s.
  CHECK(cycles[1].at >= 100s);
  CHECK(cycles[1].at <= 105s);
  CHECK(h.source.max_timeout <= 5s);
}

TEST_CASE("ServiceLoop takes a failing work_waiting check as no work, and goes on", "[daemon]")
{
  Harness h;
  h.options.work_poll_interval = 5s;
  h.options.work_waiting = []() -> bool { throw StorageError("mirror.db: database is locked"); };
  const auto cycles = run_cycles(h, 60s, 2);

  REQUIRE(cycles.size() == 2);
  CHECK(cycles[1].at >= 57s); // the interval decided, not the broken check
}
