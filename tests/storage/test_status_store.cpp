#include "storage/status_store.hpp"

#include "support/scratch_dir.hpp"
#include "support/status_fixture.hpp"

#include <catch2/catch.hpp>

using namespace dirsync;
using namespace dirsync::storage;
using namespace dirsync::testing;

TEST_CASE("StatusStore reads runs, plans, held plans, failures, HR files and mirror counts read-only", "[storage]")
{
  ScratchDir dir;
  write_status_fixture(dir / "mirror.db");
  Database db(dir / "mirror.db", OpenMode::read_only);
  const StatusSnapshot s = StatusStore(db).load();

  REQUIRE(s.refresh_runs.size() == 2);
  CHECK(s.refresh_runs[0].id == 2); // newest first
  CHECK(s.refresh_runs[0].result == "ok");
  CHECK(s.refresh_runs[1].detail == "connection refused");
  REQUIRE(s.last_ok_refresh_at.has_value());
  CHECK(*s.last_ok_refresh_at == 1700000110);

  REQUIRE(s.plans.size() == 2);
  CHECK(s.plans[0].id == 2);
  CHECK(s.plans[1].ops_done == 1);
  CHECK(s.plans[1].ops_failed == 1);
  REQUIRE(s.held_plans.size() == 1);
  CHECK(s.held_plans[0].deletes == 3);
  CHECK(s.held_plans[0].held_reasons ==
        std::vector<std::string>{"3 deletes > max_deletes 2", "the first plan against this tenant"});
  CHECK(s.plans_by_status.at("held") == 1);

  CHECK(s.failed_operations_total == 1);
  REQUIRE(s.failed_operations.size() == 1);
  CHECK(s.failed_operations[0].name == "赵四"); // from the payload: the user was never created
  CHECK(s.failed_operations[0].code == 41012);
  CHECK(s.failed_operations[0].log_id == "log-abc");
  CHECK(s.operations.at({"create", "failed"}) == 1);
  CHECK(s.operations.at({"update", "done"}) == 1);

  REQUIRE(s.hr_files.size() == 2);
  CHECK(s.hr_files[0].name == "b.csv");
  CHECK(s.hr_files[0].reason == "duplicate employee numbers");
  CHECK(s.hr_files_by_status.at("accepted") == 1);
  CHECK(s.hr_files_by_status.at("rejected") == 1);

  CHECK(s.mirror.users.at("active") == 2);
  CHECK(s.mirror.users.at("resigned") == 1);
  CHECK(s.mirror.departments.at("active") == 1); // the root is not counted
  CHECK(s.mirror.links == 1);
}

TEST_CASE("StatusStore reads an empty database", "[storage]")
{
  ScratchDir dir;
  { Database create(dir / "mirror.db"); }
  Database db(dir / "mirror.db", OpenMode::read_only);
  const StatusSnapshot s = StatusStore(db).load();
  CHECK(s.refresh_runs.empty());
  CHECK(s.plans.empty());
  CHECK_FALSE(s.last_ok_refresh_at.has_value());
  CHECK(s.mirror.users.empty());
}
