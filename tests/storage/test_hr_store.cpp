#include "storage/hr_store.hpp"

#include "common/error.hpp"
#include "storage/sqlite_access.hpp"
#include "support/hr_fixtures.hpp"
#include "support/scratch_dir.hpp"

#include <catch2/catch.hpp>

using dirsync::storage::Database;
using dirsync::storage::HrStore;
using dirsync::storage::SqliteAccess;
using dirsync::testing::hr_row;
using dirsync::testing::k_hr_header;
using dirsync::testing::ScratchDir;

namespace {

std::string csv(std::initializer_list<std::string> rows)
{
  std::string out(k_hr_header);
  out += '\n';
  for (const auto& row : rows) {
    out += row + '\n';
  }
  return out;
}

std::int64_t count(Database& db, const std::string& query)
{
  SQLite::Statement st(SqliteAccess::connection(db), query);
  REQUIRE(st.executeStep());
  return st.getColumn(0).getInt64();
}

void add_department(Database& db, const std::string& open_id, const std::string& parent,
                    const std::string& name, const std::string& department_id = "")
{
  SQLite::Statement st(SqliteAccess::connection(db),
                       "INSERT INTO departments (open_department_id, department_id, "
                       "parent_open_department_id, name, raw, first_seen, last_seen) "
                       "VALUES (?, NULLIF(?, ''), NULLIF(?, ''), ?, '{}', 1, 1)");
  st.bind(1, open_id);
  st.bind(2, department_id);
  st.bind(3, parent);
  st.bind(4, name);
  st.exec();
}

} // namespace

TEST_CASE("HrStore round-trips an accepted roster exactly", "[storage][hr]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  HrStore store(db);
  auto file = dir.write("employees.csv", "");
  auto result = dirsync::testing::intake(
    "employees.csv", csv({hr_row("00042", 1), hr_row("00043", 2, "00042"), hr_row("E9", 3, "", "离职")}));
  REQUIRE(result.report.accepted);

  const auto id = store.record(file, result);
  auto roster = store.load_roster(id);

  REQUIRE(roster.people.size() == result.roster.people.size());
  for (std::size_t i = 0; i < roster.people.size(); ++i) {
    const auto& a = result.roster.people[i];
    const auto& b = roster.people[i];
    CAPTURE(a.employee_no);
    CHECK(b.row == a.row);
    CHECK(b.employee_no == a.employee_no);
    CHECK(b.name == a.name);
    CHECK(b.email == a.email);
    CHECK(b.mobile == a.mobile);
    CHECK(b.department_path == a.department_path);
    CHECK(b.department_id == a.department_id);
    CHECK(b.job_title == a.job_title);
    CHECK(b.leader_employee_no == a.leader_employee_no);
    CHECK(b.employee_type == a.employee_type);
    CHECK(b.join_time == a.join_time);
    CHECK(b.status == a.status);
  }
  CHECK(roster.people[0].employee_no == "00042"); // leading zeros kept
  CHECK(roster.people[0].department_path == std::vector<std::string>{"总部", "技术部", "后端组"});
  CHECK(roster.people[2].status == dirsync::hr::EmploymentStatus::terminated);
  // The readable date is the HR date (China Standard Time), not the UTC date of join_time.
  CHECK(count(db, "SELECT count(*) FROM hr_rows WHERE join_date = '2024-03-01'") == 3);

  auto record = store.find_file(id);
  REQUIRE(record);
  CHECK(record->accepted);
  CHECK(record->name == "employees.csv");
  CHECK(record->rows_valid == 3);
  CHECK(record->present == static_cast<std::int64_t>(result.report.counts.present));
  CHECK(record->sha256 == result.report.sha256);
}

TEST_CASE("HrStore keeps rows with errors as held and shows them in v_rejected_rows", "[storage][hr]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  HrStore store(db);
  auto result = dirsync::testing::intake(
    "employees.csv",
    csv({hr_row("E1", 1), hr_row("E2", 2), hr_row("E3", 3),
         "E4,员工4,not-an-email,13800000004,总部/技术部/后端组,工程师,,正式,2024-03-01,在职"}));
  REQUIRE(result.report.accepted);
  const auto id = store.record(dir / "employees.csv", result);

  auto roster = store.load_roster(id);
  CHECK(roster.people.size() == 3);
  CHECK(roster.held_employee_nos == std::vector<std::string>{"E4"});
  CHECK(count(db, "SELECT count(*) FROM v_rejected_rows WHERE employee_no = 'E4' AND row_number = 5 "
                  "AND json_extract(problems, '$[0].code') = 'bad_email'") == 1);
}

TEST_CASE("HrStore records a rejected file with its reason and refuses to give it a roster",
          "[storage][hr]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  HrStore store(db);
  auto result = dirsync::testing::intake("employees.csv", csv({hr_row("E1", 1), hr_row("E1", 2)}));
  REQUIRE_FALSE(result.report.accepted);
  const auto id = store.record(dir / "employees.csv", result);

  auto record = store.find_file(id);
  REQUIRE(record);
  CHECK_FALSE(record->accepted);
  CHECK_FALSE(record->reason.empty());
  CHECK_FALSE(store.find_latest_accepted());
  CHECK_THROWS_WITH(store.load_roster(id), Catch::Contains("was rejected and has no roster"));
  CHECK_THROWS_WITH(store.load_roster(id + 100), Catch::Contains("is not recorded"));
}

TEST_CASE("HrStore finds the newest accepted file of a mode", "[storage][hr]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  HrStore store(db);
  auto full = dirsync::testing::intake("a.csv", csv({hr_row("E1", 1)}));
  auto delta = dirsync::testing::intake(
    "b.csv", csv({hr_row("E2", 2)}), dirsync::testing::hr_config(dirsync::config::HrMode::delta));
  const auto full_id = store.record(dir / "a.csv", full);
  const auto delta_id = store.record(dir / "b.csv", delta);

  CHECK(store.find_latest_accepted("full")->id == full_id);
  CHECK(store.find_latest_accepted("delta")->id == delta_id);
  CHECK(store.find_latest_accepted()->id == delta_id);
  store.set_moved_to(full_id, dir / "archive" / "a.csv");
  CHECK(store.find_file(full_id)->moved_to == (dir / "archive" / "a.csv").string());
}

TEST_CASE("HrStore gives the mirror's departments as paths of names and HR ids", "[storage][hr]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  HrStore store(db);
  add_department(db, "0", "", "");
  add_department(db, "od-1", "0", "总部", "HQ");
  add_department(db, "od-2", "od-1", "技术部", "TECH");
  add_department(db, "od-3", "od-2", "后端组");
  add_department(db, "od-9", "od-missing", "孤儿"); // its parent is outside the mirror

  auto known = store.load_known_departments();
  using Path = std::vector<std::string>;
  CHECK(known.paths == std::set<Path>{{"总部"}, {"总部", "技术部"}, {"总部", "技术部", "后端组"}});
  CHECK(known.ids == std::set<std::string>{"HQ", "TECH"});
}
