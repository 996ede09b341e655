#include "daemon/status_report.hpp"

#include "daemon/instance_lock.hpp"
#include "daemon/service_loop.hpp"
#include "support/scratch_dir.hpp"
#include "support/status_fixture.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

using namespace dirsync;
using namespace dirsync::daemon;
using namespace dirsync::testing;

namespace {

config::Config config_in(const ScratchDir& dir)
{
  config::Config c;
  c.storage.database = dir / "mirror.db";
  c.hr.inbox = dir / "inbox";
  c.hr.archive = dir / "archive";
  c.hr.rejected = dir / "rejected";
  std::filesystem::create_directories(c.hr.inbox);
  return c;
}

} // namespace

TEST_CASE("build_status reports a missing database and the inbox without failing", "[daemon]")
{
  ScratchDir dir;
  const config::Config c = config_in(dir);
  dir.write("inbox/employees.csv", "工号\n");
  dir.write("inbox/.hidden.csv", "x");
  dir.write("inbox/upload.part", "x");
  const json::Value s = build_status(c);
  CHECK_FALSE(s.find("daemon")->get_bool("running", true));
  CHECK_FALSE(s.find("database")->get_bool("exists", true));
  const json::Value& waiting = *s.find("inbox")->find("waiting");
  REQUIRE(waiting.size() == 1);
  CHECK(waiting.as_array()[0].get_string("name") == "employees.csv");
  CHECK_THAT(status_text(s, 1700000000), Catch::Contains("does not exist yet"));
}

TEST_CASE("build_status shows held plans with how to release them, failures and counts", "[daemon]")
{
  ScratchDir dir;
  const config::Config c = config_in(dir);
  write_status_fixture(c.storage.database);
  const json::Value s = build_status(c);

  const json::Value& held = *s.find("held_plans");
  REQUIRE(held.size() == 1);
  CHECK(held.as_array()[0].get_string("release") == "dirsync approve 2");
  CHECK(s.find("failed_operations")->get_int("total") == 1);
  CHECK(s.find("mirror")->find("users")->get_int("active") == 2);
  CHECK(s.find("hr_files")->get_int("rejected") == 1);
  CHECK(s.find("refresh_runs")->size() == 2);

  const std::string text = status_text(s, 1700000400);
  CHECK_THAT(text, Catch::Contains("Daemon:    not running"));
  CHECK_THAT(text, Catch::Contains("then release it: dirsync approve 2"));
  CHECK_THAT(text, Catch::Contains("held: 3 deletes > max_deletes 2"));
  CHECK_THAT(text, Catch::Contains("mobile already exists (log id log-abc)"));
  CHECK_THAT(text, Catch::Contains("2 users active, 1 resigned"));
  CHECK_THAT(text, Catch::Contains("b.csv"));
}

TEST_CASE("build_status tells a command-line run holding the lock from a running daemon", "[daemon]")
{
  ScratchDir dir;
  const config::Config c = config_in(dir);
  write_status_fixture(c.storage.database);
  InstanceLock lock(lock_path_for(c.storage.database), "dirsync apply");

  const json::Value s = build_status(c);
  const json::Value& d = *s.find("daemon");
  CHECK_FALSE(d.get_bool("running"));
  CHECK(d.get_string("busy") == "dirsync apply");
  CHECK_THAT(status_text(s, 1700000360),
             Catch::Contains("not running; dirsync apply (pid " + std::to_string(::getpid()) + ") is working"));
}

TEST_CASE("build_status sees a running daemon through its lock and its state file", "[daemon]")
{
  ScratchDir dir;
  const config::Config c = config_in(dir);
  write_status_fixture(c.storage.database);
  InstanceLock lock(lock_path_for(c.storage.database));
  ServiceStats stats;
  stats.started_at = 1700000000;
  stats.cycles_ok = 4;
  stats.cycles_failed = 1;
  stats.last_cycle_at = 1700000300;
  stats.last_cycle_ok = true;
  stats.last_success_at = 1700000300;
  stats.last_summary = "HR file a.csv accepted";
  stats.refresh_interval = std::chrono::seconds(900);
  write_daemon_state(daemon_state_path_for(c.storage.database), stats);

  const json::Value s = build_status(c);
  const json::Value& d = *s.find("daemon");
  CHECK(d.get_bool("running"));
  CHECK(d.get_int("pid") == ::getpid());
  CHECK(d.get_int("cycles_ok") == 4);
  const std::string text = status_text(s, 1700000360);
  CHECK_THAT(text, Catch::Contains("running (pid " + std::to_string(::getpid()) + ")"));
  CHECK_THAT(text, Catch::Contains("OK, HR file a.csv accepted"));
  CHECK_THAT(text, Catch::Contains("4 ok, 1 failed"));
}
