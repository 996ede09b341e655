#include "sync/intake.hpp"

#include "storage/hr_store.hpp"
#include "storage/sqlite_access.hpp"
#include "support/hr_fixtures.hpp"
#include "support/scratch_dir.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

using dirsync::storage::Database;
using dirsync::storage::HrStore;
using dirsync::sync::intake_file;
using dirsync::testing::has_problem;
using dirsync::testing::hr_row;
using dirsync::testing::k_hr_header;
using dirsync::testing::ScratchDir;

namespace {

dirsync::config::Config make_config()
{
  dirsync::config::Config config;
  config.hr = dirsync::testing::hr_config();
  return config;
}

// A full export of `people` rows E1..En.
std::string export_of(int people)
{
  std::string out(k_hr_header);
  out += '\n';
  for (int i = 1; i <= people; ++i) {
    out += hr_row(fmt::format("E{}", i), i) + '\n';
  }
  return out;
}

} // namespace

TEST_CASE("intake_file records an accepted file and its roster", "[sync][intake]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  auto file = dir.write("inbox/employees.csv", export_of(20));

  auto outcome = intake_file(db, make_config(), file);

  CHECK(outcome.result.report.accepted);
  CHECK(outcome.hr_file_id > 0);
  HrStore store(db);
  CHECK(store.load_roster(outcome.hr_file_id).people.size() == 20);
  CHECK(std::filesystem::exists(file)); // intake never moves or deletes the file
}

TEST_CASE("intake_file rejects a full export much smaller than the last accepted one",
          "[sync][intake]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  auto config = make_config();
  config.sync.safety.max_source_shrink_percent = 10;

  auto first = intake_file(db, config, dir.write("a.csv", export_of(100)));
  REQUIRE(first.result.report.accepted);

  SECTION("a truncated export is rejected, and stays out of the shrink gate's history")
  {
    auto second = intake_file(db, config, dir.write("b.csv", export_of(50)));
    CHECK_FALSE(second.result.report.accepted);
    CHECK(has_problem(second.result.report, "source_shrink"));
    // The next comparison is still against the last ACCEPTED export (100 people), not 50.
    auto third = intake_file(db, config, dir.write("c.csv", export_of(89)));
    CHECK_FALSE(third.result.report.accepted);
    CHECK(HrStore(db).find_latest_accepted("full")->id == first.hr_file_id);
  }
  SECTION("a shrink within the limit is accepted")
  {
    auto second = intake_file(db, config, dir.write("b.csv", export_of(91)));
    CHECK(second.result.report.accepted);
  }
}

TEST_CASE("intake_file checks departments against the mirror once it knows some", "[sync][intake]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  auto config = make_config();

  SECTION("an empty mirror skips the check and says so")
  {
    auto outcome = intake_file(db, config, dir.write("a.csv", export_of(3)));
    CHECK(outcome.result.report.accepted);
    CHECK(has_problem(outcome.result.report, "check_skipped"));
  }
  SECTION("a department the mirror does not have is a row problem")
  {
    auto& sql = dirsync::storage::SqliteAccess::connection(db);
    sql.exec("INSERT INTO departments (open_department_id, parent_open_department_id, name, raw, "
             "first_seen, last_seen) VALUES ('0', NULL, '', '{}', 1, 1), "
             "('od-1', '0', '总部', '{}', 1, 1), ('od-2', 'od-1', '技术部', '{}', 1, 1)");
    auto outcome = intake_file(db, config, dir.write("a.csv", export_of(3)));
    // Every row names 总部/技术部/后端组, which the mirror lacks.
    CHECK(has_problem(outcome.result.report, "unknown_department", 2));
    CHECK(outcome.result.roster.people.empty());
  }
}

TEST_CASE("intake_file throws InputError for a file that cannot be read, recording nothing",
          "[sync][intake]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  CHECK_THROWS_AS(intake_file(db, make_config(), dir / "missing.csv"), dirsync::InputError);
  CHECK_FALSE(HrStore(db).find_latest_accepted());
}
