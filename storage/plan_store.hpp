// Plans as stored: the plans, operations and plan_decisions tables (DESIGN.md §7).
//
// A plan is saved whole, before anything is applied: the plan, its operations in seq order, its
// decisions and the links the planner found, in one transaction, which also supersedes the older
// plans that never started (draft, held, approved). Afterwards only its status and its
// operations' journal change (the journal's writes are sync/apply's, through its own store).
#pragma once

#include "storage/database.hpp"
#include "storage/plan.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dirsync::storage {

class PlanStore
{
public:
  explicit PlanStore(Database& db);

  // Saves `plan` (id 0) with its operations, decisions and new links, and supersedes every older
  // plan in draft, held or approved status (finished at plan.created_at). Counts are derived from
  // the operations. Sets plan.id and the operations' ids and returns the plan id. Throws
  // StorageError (nothing is saved then).
  std::int64_t save(Plan& plan);

  // The plan with its operations (seq order) and decisions; nullopt when there is none.
  std::optional<Plan> find(std::int64_t plan_id) const;
  // The newest plans first, without operations and decisions.
  std::vector<Plan> list(int limit = 20) const;
  // The newest plan whose status is done: its HR file is the drift baseline.
  std::optional<Plan> find_last_done() const;
  // The newest plan that has a decision or an operation about this employee number; without its
  // operations and decisions (use decisions_for and operations_for).
  std::optional<Plan> find_latest_about(const std::string& employee_no) const;
  std::vector<PlanDecision> decisions_for(std::int64_t plan_id, const std::string& employee_no) const;
  std::vector<Operation> operations_for(std::int64_t plan_id, const std::string& employee_no) const;

  // Deletes and freezes whose journal state is done and that finished at or after `since`.
  std::int64_t count_leavers_done_since(std::int64_t since) const;
  // Whether any plan computed from a refresh of `app_id` at `base_url` was ever approved (by a
  // person or automatically): if none was, the next one is the first plan against the tenant.
  bool has_approved_plan(const std::string& base_url, const std::string& app_id) const;
  // The oldest plan that was approved (by `dirsync approve`, or by a cycle that stopped before
  // applying it) and has not begun; nullopt when there is none.
  std::optional<std::int64_t> find_approved_unstarted() const;

  // held → approved, by `by` at `at`. Returns false (and changes nothing) when the plan is not held.
  bool approve(std::int64_t plan_id, const std::string& by, std::int64_t at);
  // Sets the status; applying sets started_at, done/failed/superseded set finished_at, failed
  // records `error`. Throws StorageError when the plan does not exist or the schema's rules refuse.
  void set_status(std::int64_t plan_id, PlanStatus status, std::int64_t at, const std::string& error = {});

private:
  Database& m_db;
};

} // namespace dirsync::storage
