#include "support/cli.hpp"
#include "daemon/exit_code.hpp"
#include "storage/plan_store.hpp"
#include "storage/sqlite_access.hpp"
#include "support/scratch_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using namespace dirsync;
using dirsync::testing::ScratchDir;

using dirsync::testing::CliResult;
using dirsync::testing::EnvGuard;

namespace {

auto run(const std::vector<std::string>& args)
{
  return dirsync::testing::run_dirsync(args);
}


// A config and a database with one held plan (id 1); returns the config path.
std::string setup(const ScratchDir& dir, storage::PlanStatus status = storage::PlanStatus::held)
{
  const auto config = dir.write("dirsync.yaml", "feishu:\n  app_id: cli_test\nstorage:\n  database: mirror.db\n");
  storage::Database db(dir / "mirror.db");
  storage::SqliteAccess::connection(db).exec(R"(
    INSERT INTO hr_files (path, name, sha256, size_bytes, mode, received_at, status, rows_total, rows_valid)
    VALUES ('/inbox/e.csv', 'e.csv', printf('%064d', 0), 10, 'full', 5, 'accepted', 0, 0);
    INSERT INTO refresh_runs (started_at, finished_at, result, base_url, app_id)
    VALUES (1, 2, 'ok', 'http://127.0.0.1:1', 'cli_test');
  )");
  storage::Plan plan;
  plan.created_at = 10;
  plan.hr_file_id = 1;
  plan.refresh_run_id = 1;
  plan.status = status;
  if (status == storage::PlanStatus::held) {
    plan.held_reasons = {"safety.max_deletes: 30 deletes and freezes in this plan, more than 20"};
  } else {
    plan.approved_by = "auto";
    plan.approved_at = 10;
  }
  storage::PlanStore(db).save(plan);
  return config.string();
}

} // namespace

TEST_CASE("dirsync approve releases a held plan and records who", "[daemon][approve]")
{
  ScratchDir dir;
  EnvGuard secret("DIRSYNC_APP_SECRET", "test-secret");
  const std::string config = setup(dir);
  const CliResult r = run({"--config", config.c_str(), "approve", "1", "--by", "alice"});
  CHECK(r.code == 0);
  CHECK(r.out.find("plan 1 approved by alice") != std::string::npos);
  CHECK(r.out.find("safety.max_deletes") != std::string::npos);
  storage::Database db(dir / "mirror.db");
  const storage::Plan plan = *storage::PlanStore(db).find(1);
  CHECK(plan.status == storage::PlanStatus::approved);
  CHECK(plan.approved_by == "alice");
  CHECK(plan.approved_at.has_value());

  SECTION("a plan that is no longer held is refused")
  {
    const CliResult again = run({"--config", config.c_str(), "approve", "1"});
    CHECK(again.code == 1);
    CHECK(again.err.find("plan 1 cannot be approved: only a held plan can, and it is already approved (by alice)") !=
          std::string::npos);
  }
}

TEST_CASE("dirsync approve defaults the approver to $SUDO_USER, then $USER", "[daemon][approve]")
{
  ScratchDir dir;
  EnvGuard secret("DIRSYNC_APP_SECRET", "test-secret");
  const std::string config = setup(dir);
  EnvGuard sudo_user("SUDO_USER", std::nullopt);
  EnvGuard user("USER", "bob");
  CHECK(run({"--config", config.c_str(), "approve", "1"}).code == 0);
  storage::Database db(dir / "mirror.db");
  CHECK(storage::PlanStore(db).find(1)->approved_by == "bob");
}

TEST_CASE("dirsync approve refuses an unknown plan", "[daemon][approve]")
{
  ScratchDir dir;
  EnvGuard secret("DIRSYNC_APP_SECRET", "test-secret");
  const std::string config = setup(dir);
  const CliResult r = run({"--config", config.c_str(), "approve", "42"});
  CHECK(r.code == 1);
  CHECK(r.err.find("plan 42 does not exist") != std::string::npos);
}
