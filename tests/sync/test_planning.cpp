#include "sync/planning.hpp"

#include "storage/hr_store.hpp"
#include "storage/link_store.hpp"
#include "storage/plan_store.hpp"
#include "storage/sqlite_access.hpp"
#include "support/hr_fixtures.hpp"
#include "support/plan_fixtures.hpp"
#include "support/scratch_dir.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

using namespace dirsync;
using namespace dirsync::testing;

namespace {

// A database with a trusted refresh of cli_test and users ou_1..ou_n (E1..En in 总部/技术部/后端组,
// without a job title), and the same users in a snapshot.
struct World
{
  ScratchDir dir;
  storage::Database db{dir / "mirror.db"};
  storage::MirrorSnapshot mirror;
  config::Config config;

  explicit World(int n)
  {
    config.feishu.app_id = "cli_test";
    config.feishu.base_url = "http://127.0.0.1:1";
    config.sync.safety.hold_first_plan = false;
    auto& sql = storage::SqliteAccess::connection(db);
    sql.exec("INSERT INTO refresh_runs (started_at, finished_at, result, base_url, app_id) "
             "VALUES (1, 2, 'ok', 'http://127.0.0.1:1', 'cli_test')");
    mirror.refresh.id = 1;
    mirror.refresh.result = storage::RefreshResult::ok;
    auto dept = [](std::string id, std::string parent, std::vector<std::string> path) {
      storage::MirrorDepartment d;
      d.department.open_department_id = std::move(id);
      d.department.parent_department_id = std::move(parent);
      d.department.name = path.back();
      d.path = std::move(path);
      return d;
    };
    mirror.departments = {dept("od-1", "0", {"总部"}), dept("od-2", "od-1", {"总部", "技术部"}),
                          dept("od-3", "od-2", {"总部", "技术部", "后端组"})};
    for (int i = 1; i <= n; ++i) {
      storage::MirrorUser u;
      u.user.open_id = fmt::format("ou_{}", i);
      u.user.employee_no = fmt::format("E{}", i);
      u.user.name = fmt::format("员工{}", i);
      u.user.email = fmt::format("user{}@example.com", i);
      u.user.mobile = fmt::format("+86138{:08d}", i);
      u.user.department_ids = {"od-3"};
      u.user.employee_type = 1;
      mirror.users.push_back(u);
      sql.exec(fmt::format("INSERT INTO users (open_id, employee_no, name, raw, first_seen, last_seen) "
                           "VALUES ('ou_{0}', 'E{0}', '员工{0}', '{{}}', 1, 1)",
                           i));
    }
  }

  // Records an HR file listing E<from>..E<to> and returns its id and roster.
  std::pair<std::int64_t, hr::Roster> hr_file(int from, int to)
  {
    std::string csv = std::string(k_hr_header) + "\n";
    for (int i = from; i <= to; ++i) {
      csv += hr_row(fmt::format("E{}", i), i) + "\n";
    }
    hr::IntakeResult result = intake(fmt::format("e{}-{}.csv", from, to), csv);
    REQUIRE(result.report.accepted);
    const std::int64_t id = storage::HrStore(db).record(dir / "e.csv", result);
    return {id, result.roster};
  }

  storage::Plan plan(int from, int to)
  {
    auto [id, roster] = hr_file(from, to);
    return sync::plan_and_store(db, config, id, roster, mirror, k_now);
  }
};

} // namespace

TEST_CASE("plan_and_store holds the first plan against a tenant until it is approved", "[sync][planning]")
{
  World w(3);
  w.config.sync.safety.hold_first_plan = true;
  const storage::Plan first = w.plan(1, 3);
  CHECK(first.id != 0);
  CHECK(first.status == storage::PlanStatus::held);
  CHECK(first.held_reasons ==
        std::vector<std::string>{"safety.hold_first_plan: the first plan against this tenant waits for a person to review it"});
  CHECK(first.counts.updates == 3); // job titles and join dates
  // The links it found are stored with it.
  REQUIRE(storage::LinkStore(w.db).current().size() == 3);
  CHECK(storage::LinkStore(w.db).find_current("E2")->plan_id == first.id);

  storage::PlanStore plans(w.db);
  const storage::Plan again = w.plan(1, 3);
  CHECK(again.status == storage::PlanStatus::held); // still no plan approved
  CHECK(plans.find(first.id)->status == storage::PlanStatus::superseded);

  REQUIRE(plans.approve(again.id, "alice", k_now));
  const storage::Plan next = w.plan(1, 3);
  CHECK(next.status == storage::PlanStatus::approved);
  CHECK(next.approved_by == "auto");
}

TEST_CASE("plan_and_store holds a mass deletion, and approve releases it", "[sync][planning]")
{
  World w(10);
  w.config.sync.safety.max_deletes = 2;
  w.config.sync.safety.max_deletes_percent = 100;
  const storage::Plan links = w.plan(1, 10);
  REQUIRE(links.status == storage::PlanStatus::approved);

  const storage::Plan mass = w.plan(1, 7); // E8, E9, E10 are gone
  CHECK(mass.counts.deletes == 3);
  CHECK(mass.status == storage::PlanStatus::held);
  CHECK(mass.held_reasons == std::vector<std::string>{"safety.max_deletes: 3 deletes and freezes in this plan, more than 2"});
  storage::PlanStore plans(w.db);
  CHECK(plans.approve(mass.id, "alice", k_now + 5));
  CHECK(plans.find(mass.id)->status == storage::PlanStatus::approved);
}

TEST_CASE("plan_and_store counts deletes done in the last 24 hours", "[sync][planning]")
{
  World w(10);
  w.config.sync.safety.max_deletes = 3;
  w.config.sync.safety.max_deletes_percent = 100;
  w.plan(1, 10);
  const storage::Plan two = w.plan(1, 8);
  REQUIRE(two.status == storage::PlanStatus::approved);
  // Apply it: its two deletes are done an hour ago.
  storage::PlanStore plans(w.db);
  plans.set_status(two.id, storage::PlanStatus::applying, k_now - 3600);
  storage::SqliteAccess::connection(w.db).exec(
    fmt::format("UPDATE operations SET state = 'done', finished_at = {} WHERE plan_id = {}", k_now - 3600, two.id));
  plans.set_status(two.id, storage::PlanStatus::done, k_now - 3600);
  for (auto& u : w.mirror.users) {
    if (u.user.open_id == "ou_9" || u.user.open_id == "ou_10") {
      u.state = storage::MirrorState::resigned;
      u.user.status.is_resigned = true;
      u.resigned_seen_at = k_now - 3000;
    }
  }
  const storage::Plan more = w.plan(1, 6); // two more leavers: 2 + 2 > 3 in 24 hours
  CHECK(more.counts.deletes == 2);
  CHECK(more.status == storage::PlanStatus::held);
  CHECK(more.held_reasons == std::vector<std::string>{"safety.max_deletes: 2 deletes and freezes done in the last 24 "
                                                      "hours and 2 in this plan make 4, more than 3"});
}

TEST_CASE("plan_and_store tells a Feishu-side edit from an HR change by the last applied plan", "[sync][planning]")
{
  World w(2);
  w.config.sync.drift = config::DriftPolicy::report;
  const storage::Plan first = w.plan(1, 2);
  storage::PlanStore plans(w.db);
  plans.set_status(first.id, storage::PlanStatus::applying, k_now);
  plans.set_status(first.id, storage::PlanStatus::done, k_now);
  // The plan landed; then someone renamed ou_1's job title in Feishu.
  for (auto& u : w.mirror.users) {
    u.user.job_title = u.user.open_id == "ou_1" ? "Boss" : "工程师";
    for (const auto& op : first.operations) {
      if (op.open_id == u.user.open_id && op.payload.contains("join_time")) {
        u.user.join_time = op.payload.find("join_time")->as_int();
      }
    }
  }
  const storage::Plan next = w.plan(1, 2);
  CHECK(next.operations.empty());
  REQUIRE(has_decision(next, "drift", "E1", "drift.report"));
  CHECK(plans.decisions_for(next.id, "E1").front().detail.find(R"(job_title: Feishu has "Boss", HR still says "工程师")") !=
        std::string::npos);
}
