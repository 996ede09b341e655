// The journal: the state machine of a plan's operations, kept in the plans and operations tables
// (DESIGN.md §8), so that an apply interrupted at any instant can be resumed.
//
// An operation moves
//
//     pending ──start──► in_flight ──finish_done──► done
//        │                  │ ▲ └──finish_failed──► failed
//        │                  └─┘ start again (a retry, or a resume after a crash)
//        └──────────────skip (or from in_flight)──► skipped
//
// and start() is committed BEFORE the request is sent: after a crash, an operation that is still
// in_flight may or may not have reached Feishu, and whoever resumes must find out (sync/apply.cpp
// does) before sending it again. A plan moves approved ──begin──► applying ──finish──► done | failed;
// at most one plan is applying at a time (a unique index), and a plan that is still applying after
// a crash is the one to resume.
//
// Every method is one transaction (one journal step). Each checks the state it moves from and
// throws StorageError when the row is not there, which means another process is applying the same
// plan or the caller has a bug: the journal never moves an operation backwards.
#pragma once

#include "storage/database.hpp"
#include "storage/plan.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dirsync::storage {

// What Feishu answered to an operation's last request (all empty when no answer came back).
struct ApiOutcome
{
  std::optional<int> http_status;
  std::optional<std::int64_t> code; // Feishu's business code; 0 for success
  std::string msg;
  std::string log_id;
};

// How many of a plan's operations are in each state.
struct OperationTally
{
  int pending = 0;
  int in_flight = 0;
  int done = 0;
  int failed = 0;
  int skipped = 0;

  int total() const { return pending + in_flight + done + failed + skipped; }
  int finished() const { return done + failed + skipped; }
};

// A plan as the journal sees it: its row without the operations.
struct PlanHeader
{
  std::int64_t id = 0;
  PlanStatus status = PlanStatus::draft;
  std::optional<std::int64_t> started_at;
  std::optional<std::int64_t> finished_at;
  std::string error;
};

class Journal
{
public:
  explicit Journal(Database& db);

  // --- Plans ----------------------------------------------------------------------------------

  std::optional<PlanHeader> find_plan(std::int64_t plan_id) const;
  // The plan whose status is 'applying' (there is at most one): the one a resumed run continues.
  std::optional<std::int64_t> find_applying_plan() const;
  // approved -> applying, with started_at = now. Throws StorageError when the plan is not
  // approved (a held plan needs `dirsync approve`) or another plan is applying.
  void begin_plan(std::int64_t plan_id, std::int64_t now);
  // applying -> done, or -> failed with `error`; finished_at = now.
  void finish_plan(std::int64_t plan_id, PlanStatus status, const std::string& error, std::int64_t now);

  // --- Operations -----------------------------------------------------------------------------

  // All operations of a plan in seq order, with their journal columns.
  std::vector<Operation> load_operations(std::int64_t plan_id) const;
  // Those in one state (e.g. in_flight after a crash), in seq order.
  std::vector<Operation> load_operations(std::int64_t plan_id, OperationState state) const;
  OperationTally tally(std::int64_t plan_id) const;

  // pending | in_flight -> in_flight: attempts + 1, started_at = now, the last answer cleared.
  // Commit this before sending the request. Returns the new attempt count.
  int start(std::int64_t operation_id, std::int64_t now);
  // in_flight -> done. `open_id` is the user the operation acted on (for a create, the one it made;
  // it is recorded on the row). `in_same_transaction`, when given, runs inside the journal step's
  // transaction before it commits (the mirror's update from the answer), so the mirror and the
  // journal change together or not at all; it must not open a transaction of its own.
  void finish_done(std::int64_t operation_id, const std::string& open_id, const ApiOutcome& outcome,
                   std::int64_t now, const std::function<void()>& in_same_transaction = {});
  // in_flight -> failed, with Feishu's answer (or the transport's description in msg).
  void finish_failed(std::int64_t operation_id, const ApiOutcome& outcome, std::int64_t now);
  // pending | in_flight -> skipped; `why` is kept in msg ("target changed since planning: ...").
  void skip(std::int64_t operation_id, const std::string& why, std::int64_t now);

private:
  Database& m_db;
};

} // namespace dirsync::storage
