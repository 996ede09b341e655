#include "storage/plan_store.hpp"

#include "common/error.hpp"
#include "storage/link_store.hpp"
#include "storage/sqlite_access.hpp"
#include "support/scratch_dir.hpp"

#include <catch2/catch.hpp>

using namespace dirsync;
using namespace dirsync::storage;
using dirsync::testing::ScratchDir;

namespace {

// A database with one HR file, one refresh of app cli_a at http://feishu, and users ou_1, ou_2.
void seed(Database& db)
{
  SqliteAccess::connection(db).exec(R"(
    INSERT INTO hr_files (path, name, sha256, size_bytes, mode, received_at, status, rows_total, rows_valid)
    VALUES ('/inbox/e.csv', 'e.csv', printf('%064d', 0), 10, 'full', 5, 'accepted', 2, 2);
    INSERT INTO refresh_runs (started_at, finished_at, result, base_url, app_id)
    VALUES (1, 2, 'ok', 'http://feishu', 'cli_a');
    INSERT INTO users (open_id, employee_no, name, raw, first_seen, last_seen)
    VALUES ('ou_1', 'E1', 'Alice', '{}', 1, 1), ('ou_2', 'E2', 'Bob', '{}', 1, 1), ('ou_3', NULL, 'Carol', '{}', 1, 1);
  )");
}

Plan sample_plan(std::int64_t created_at)
{
  Plan plan;
  plan.created_at = created_at;
  plan.hr_file_id = 1;
  plan.refresh_run_id = 1;
  plan.managed_users = 2;
  Operation create;
  create.seq = 1;
  create.kind = OperationKind::create;
  create.employee_no = "E3";
  create.client_token = "tok-1";
  create.reason = "new in HR (row 4)";
  create.payload = json::Value::object({{"name", "Carl"}, {"employee_no", "E3"}});
  Operation del;
  del.seq = 2;
  del.kind = OperationKind::delete_user;
  del.employee_no = "E2";
  del.open_id = "ou_2";
  del.reason = "absent from the full HR export";
  del.precondition = json::Value::object({{"is_resigned", false}});
  plan.operations = {create, del};
  plan.decisions = {{"E3", "", "create", "create.new_hire", "new in HR (row 4)"},
                    {"", "ou_3", "unclaimed", "scope.unclaimed", "ou_3 (Carol) is in scope but no HR row claims them"}};
  Link l;
  l.employee_no = "E1";
  l.open_id = "ou_1";
  l.method = LinkMethod::employee_no;
  l.linked_at = created_at;
  plan.new_links = {l};
  return plan;
}

} // namespace

TEST_CASE("PlanStore saves a plan with its operations, decisions and links and loads it back", "[storage][plan_store]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  seed(db);
  PlanStore store(db);
  Plan plan = sample_plan(100);
  plan.status = PlanStatus::held;
  plan.held_reasons = {"safety.max_deletes: 1 deletes and freezes in this plan, more than 0"};
  const std::int64_t id = store.save(plan);
  CHECK(plan.id == id);
  CHECK(plan.operations[1].id != 0);

  const std::optional<Plan> loaded = store.find(id);
  REQUIRE(loaded);
  CHECK(loaded->status == PlanStatus::held);
  CHECK(loaded->held_reasons == plan.held_reasons);
  CHECK(loaded->counts.creates == 1);
  CHECK(loaded->counts.deletes == 1);
  CHECK(loaded->managed_users == 2);
  REQUIRE(loaded->operations.size() == 2);
  CHECK(loaded->operations[0].kind == OperationKind::create);
  CHECK(loaded->operations[0].client_token == "tok-1");
  CHECK(loaded->operations[0].open_id.empty());
  CHECK(loaded->operations[0].precondition.is_null());
  CHECK(loaded->operations[0].payload.dump() == R"({"name":"Carl","employee_no":"E3"})");
  CHECK(loaded->operations[1].precondition.dump() == R"({"is_resigned":false})");
  CHECK(loaded->operations[1].state == OperationState::pending);
  REQUIRE(loaded->decisions.size() == 2);
  CHECK(loaded->decisions[1].open_id == "ou_3");
  CHECK(loaded->decisions[1].employee_no.empty());
  REQUIRE(loaded->new_links.size() == 1);
  CHECK(loaded->new_links[0].plan_id == id);
  CHECK(LinkStore(db).find_current("E1")->open_id == "ou_1");

  CHECK(store.find(id + 1) == std::nullopt);
  CHECK(store.find_latest_about("E3")->id == id);
  CHECK(store.decisions_for(id, "E3").size() == 1);
  CHECK(store.operations_for(id, "E2").size() == 1);
}

TEST_CASE("PlanStore saves nothing when part of a plan is refused", "[storage][plan_store]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  seed(db);
  PlanStore store(db);
  Plan plan = sample_plan(100);
  plan.operations[1].open_id.clear(); // a delete must name its user
  CHECK_THROWS_AS(store.save(plan), StorageError);
  CHECK(store.list().empty());
  CHECK_FALSE(LinkStore(db).find_current("E1"));
}

TEST_CASE("PlanStore supersedes older unapplied plans and approves only held ones", "[storage][plan_store]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  seed(db);
  PlanStore store(db);
  Plan first = sample_plan(100);
  first.new_links.clear();
  first.status = PlanStatus::held;
  first.held_reasons = {"safety.hold_first_plan: ..."};
  store.save(first);
  CHECK_FALSE(store.has_approved_plan("http://feishu", "cli_a"));

  CHECK(store.approve(first.id, "alice", 150));
  const Plan approved = *store.find(first.id);
  CHECK(approved.status == PlanStatus::approved);
  CHECK(approved.approved_by == "alice");
  CHECK(approved.approved_at == 150);
  CHECK_FALSE(store.approve(first.id, "bob", 160)); // no longer held
  CHECK(store.has_approved_plan("http://feishu", "cli_a"));
  CHECK_FALSE(store.has_approved_plan("http://feishu", "cli_other"));

  Plan second = sample_plan(200);
  second.new_links.clear();
  store.save(second);
  const Plan superseded = *store.find(first.id);
  CHECK(superseded.status == PlanStatus::superseded);
  CHECK(superseded.finished_at == 200);
  CHECK(store.list().front().id == second.id);
  CHECK(store.list().size() == 2);
}

TEST_CASE("PlanStore tracks status and counts the leavers done in a window", "[storage][plan_store]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  seed(db);
  PlanStore store(db);
  Plan plan = sample_plan(100);
  plan.new_links.clear();
  plan.status = PlanStatus::approved;
  plan.approved_by = "auto";
  plan.approved_at = 100;
  store.save(plan);
  CHECK_FALSE(store.find_last_done());

  store.set_status(plan.id, PlanStatus::applying, 110);
  SqliteAccess::connection(db).exec(
    "UPDATE operations SET state = 'done', finished_at = 120 WHERE kind = 'delete'");
  store.set_status(plan.id, PlanStatus::done, 130);
  const Plan done = *store.find(plan.id);
  CHECK(done.started_at == 110);
  CHECK(done.finished_at == 130);
  CHECK(store.find_last_done()->id == plan.id);
  CHECK(store.count_leavers_done_since(120) == 1);
  CHECK(store.count_leavers_done_since(121) == 0);
  CHECK_THROWS_AS(store.set_status(plan.id + 5, PlanStatus::done, 1), StorageError);
}

TEST_CASE("LinkStore keeps one current link per person and user, and history", "[storage][link_store]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  seed(db);
  LinkStore links(db);
  Link l;
  l.employee_no = "E1";
  l.open_id = "ou_1";
  l.method = LinkMethod::email;
  l.linked_at = 10;
  const std::int64_t id = links.open(l);
  CHECK(links.find_current("E1")->method == LinkMethod::email);
  CHECK(links.find_current_by_open_id("ou_1")->employee_no == "E1");
  l.employee_no = "E9";
  CHECK_THROWS_AS(links.open(l), StorageError); // ou_1 is linked already

  SECTION("a rehire's new account replaces the old link, which stays as history")
  {
    links.replace("E1", "ou_3", LinkMethod::created, std::nullopt, 50, "rehired: replaced by a new account");
    CHECK(links.find_current("E1")->open_id == "ou_3");
    CHECK_FALSE(links.find_current_by_open_id("ou_1"));
    const std::vector<Link> history = links.history("E1");
    REQUIRE(history.size() == 2);
    CHECK(history[0].id == id);
    CHECK(history[0].unlinked_at == 50);
    CHECK(history[0].unlink_reason == "rehired: replaced by a new account");
    CHECK(history[1].method == LinkMethod::created);
    // Replacing with the same link again changes nothing.
    CHECK(links.replace("E1", "ou_3", LinkMethod::created, std::nullopt, 60, "x") == history[1].id);
    CHECK(links.current().size() == 1);
  }
  SECTION("closing a link that is not current is refused")
  {
    links.close(id, 20, "left");
    CHECK_THROWS_AS(links.close(id, 30, "again"), StorageError);
    CHECK(links.current().empty());
  }
}
