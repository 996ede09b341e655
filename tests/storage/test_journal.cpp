#include "storage/journal.hpp"

#include "common/error.hpp"
#include "support/journal_fixtures.hpp"
#include "support/scratch_dir.hpp"

#include <catch2/catch.hpp>

using dirsync::StorageError;
using dirsync::storage::ApiOutcome;
using dirsync::storage::Database;
using dirsync::storage::Journal;
using dirsync::storage::OpenMode;
using dirsync::storage::Operation;
using dirsync::storage::OperationKind;
using dirsync::storage::OperationState;
using dirsync::storage::Plan;
using dirsync::storage::PlanStatus;
using dirsync::testing::insert_plan;
using dirsync::testing::operation_column;
using dirsync::testing::ScratchDir;

namespace {

Operation create_op(int seq, const std::string& employee_no)
{
  Operation op;
  op.seq = seq;
  op.kind = OperationKind::create;
  op.employee_no = employee_no;
  op.client_token = "token-" + employee_no;
  op.reason = "new in HR";
  op.payload = dirsync::json::Value::object({{"name", "Person " + employee_no}});
  return op;
}

Plan plan_with(PlanStatus status, int creates)
{
  Plan plan;
  plan.status = status;
  for (int i = 1; i <= creates; ++i) {
    plan.operations.push_back(create_op(i, "E" + std::to_string(i)));
  }
  return plan;
}

} // namespace

TEST_CASE("Journal::start commits in_flight with attempts and started_at before returning", "[storage][journal]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  const auto plan_id = insert_plan(db, plan_with(PlanStatus::approved, 2));
  Journal journal(db);
  journal.begin_plan(plan_id, 100);
  const auto ops = journal.load_operations(plan_id);
  REQUIRE(ops.size() == 2);

  CHECK(journal.start(ops[0].id, 101) == 1);

  // Another connection (another process, after a crash) sees it at once.
  Database reader(dir / "mirror.db", OpenMode::read_only);
  const auto in_flight = Journal(reader).load_operations(plan_id, OperationState::in_flight);
  REQUIRE(in_flight.size() == 1);
  CHECK(in_flight[0].seq == 1);
  CHECK(in_flight[0].attempts == 1);
  CHECK(in_flight[0].started_at == 101);
  CHECK(Journal(reader).find_applying_plan() == plan_id);

  // A resume starts it again: attempts counts every send.
  CHECK(journal.start(ops[0].id, 105) == 2);
  CHECK(operation_column(db, plan_id, 1, "started_at") == "105");
}

TEST_CASE("Journal::finish_done records the user and the answer", "[storage][journal]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  const auto plan_id = insert_plan(db, plan_with(PlanStatus::approved, 1));
  Journal journal(db);
  journal.begin_plan(plan_id, 100);
  const auto op = journal.load_operations(plan_id).at(0);
  journal.start(op.id, 101);

  ApiOutcome outcome;
  outcome.http_status = 200;
  outcome.code = 0;
  outcome.msg = "success";
  outcome.log_id = "log-1";
  journal.finish_done(op.id, "ou_new", outcome, 102);

  const auto done = journal.load_operations(plan_id).at(0);
  CHECK(done.state == OperationState::done);
  CHECK(done.open_id == "ou_new");
  CHECK(done.http_status == 200);
  CHECK(done.code == 0);
  CHECK(done.log_id == "log-1");
  CHECK(done.finished_at == 102);
  CHECK(journal.tally(plan_id).done == 1);
}

TEST_CASE("Journal::finish_done rolls back when the mirror update in its transaction fails", "[storage][journal]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  const auto plan_id = insert_plan(db, plan_with(PlanStatus::approved, 1));
  Journal journal(db);
  journal.begin_plan(plan_id, 100);
  const auto op = journal.load_operations(plan_id).at(0);
  journal.start(op.id, 101);

  CHECK_THROWS_AS(journal.finish_done(op.id, "ou_new", {}, 102, [] { throw StorageError("mirror write failed"); }),
                  StorageError);
  CHECK(operation_column(db, plan_id, 1, "state") == "in_flight");
  CHECK(operation_column(db, plan_id, 1, "open_id") == "NULL");
}

TEST_CASE("Journal refuses to move an operation from a state it is not in", "[storage][journal]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  const auto plan_id = insert_plan(db, plan_with(PlanStatus::approved, 2));
  Journal journal(db);

  SECTION("an operation of a plan that is not being applied cannot start")
  {
    const auto op = journal.load_operations(plan_id).at(0);
    CHECK_THROWS_WITH(journal.start(op.id, 1), Catch::Contains("not pending or in_flight in a plan being applied"));
  }
  journal.begin_plan(plan_id, 100);
  const auto ops = journal.load_operations(plan_id);

  SECTION("a pending operation cannot be done or failed without being started")
  {
    CHECK_THROWS_WITH(journal.finish_done(ops[0].id, "ou_x", {}, 1), Catch::Contains("it is pending, not in_flight"));
    CHECK_THROWS_WITH(journal.finish_failed(ops[0].id, {}, 1), Catch::Contains("it is pending, not in_flight"));
  }
  SECTION("a finished operation never moves again")
  {
    journal.start(ops[0].id, 1);
    journal.finish_failed(ops[0].id, {}, 2);
    CHECK_THROWS_WITH(journal.start(ops[0].id, 3), Catch::Contains("it is failed"));
    CHECK_THROWS_WITH(journal.skip(ops[0].id, "x", 3), Catch::Contains("it is failed"));
    CHECK(operation_column(db, plan_id, 1, "state") == "failed");
  }
  SECTION("an unknown operation is named")
  {
    CHECK_THROWS_WITH(journal.start(9999, 1), Catch::Contains("there is no such operation"));
  }
}

TEST_CASE("Journal::skip keeps the reason in msg", "[storage][journal]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  const auto plan_id = insert_plan(db, plan_with(PlanStatus::approved, 1));
  Journal journal(db);
  journal.begin_plan(plan_id, 100);
  const auto op = journal.load_operations(plan_id).at(0);
  journal.skip(op.id, "target changed since planning: email", 103);
  CHECK(operation_column(db, plan_id, 1, "state") == "skipped");
  CHECK(operation_column(db, plan_id, 1, "msg") == "target changed since planning: email");
  CHECK(operation_column(db, plan_id, 1, "finished_at") == "103");
}

TEST_CASE("Journal::begin_plan applies only approved plans, one at a time", "[storage][journal]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  Journal journal(db);

  SECTION("a held plan names `dirsync approve`")
  {
    const auto held = insert_plan(db, plan_with(PlanStatus::held, 1));
    CHECK_THROWS_WITH(journal.begin_plan(held, 1), Catch::Contains("dirsync approve " + std::to_string(held)));
    CHECK(journal.find_plan(held)->status == PlanStatus::held);
  }
  SECTION("a second plan waits for the one being applied")
  {
    const auto first = insert_plan(db, plan_with(PlanStatus::approved, 1));
    const auto second = insert_plan(db, plan_with(PlanStatus::approved, 1));
    journal.begin_plan(first, 1);
    CHECK_THROWS_WITH(journal.begin_plan(second, 2), Catch::Contains("plan " + std::to_string(first) + " is being applied"));
    CHECK(journal.find_applying_plan() == first);
  }
  SECTION("an unknown plan is named")
  {
    CHECK_THROWS_WITH(journal.begin_plan(42, 1), Catch::Contains("there is no plan 42"));
  }
}

TEST_CASE("Journal::finish_plan records done or failed with its error", "[storage][journal]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  Journal journal(db);
  const auto plan_id = insert_plan(db, plan_with(PlanStatus::approved, 0));
  journal.begin_plan(plan_id, 10);
  journal.finish_plan(plan_id, PlanStatus::failed, "2 of 5 operations failed", 20);
  const auto plan = journal.find_plan(plan_id);
  REQUIRE(plan);
  CHECK(plan->status == PlanStatus::failed);
  CHECK(plan->error == "2 of 5 operations failed");
  CHECK(plan->started_at == 10);
  CHECK(plan->finished_at == 20);
  CHECK_FALSE(journal.find_applying_plan());
  CHECK_THROWS_WITH(journal.finish_plan(plan_id, PlanStatus::done, "", 21), Catch::Contains("is not being applied"));
}
