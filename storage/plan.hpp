// A plan and its operations as stored (tables plans and operations; DESIGN.md §7, §8).
//
// sync/planner makes a Plan from a Roster and a MirrorSnapshot; storage/plan_store.hpp keeps it
// before anything is applied; sync/apply walks its operations in seq order through the journal
// (pending -> in_flight, committed before the request is sent -> done | failed | skipped).
#pragma once

#include "common/json.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dirsync::storage {

enum class OperationKind { create, update, delete_user, resurrect, freeze, set_leader };
enum class OperationState { pending, in_flight, done, failed, skipped };
enum class PlanStatus { draft, held, approved, applying, done, failed, superseded };

// The names used in the database and in `--json` output: "create", "delete", "in_flight", ...
std::string_view to_string(OperationKind kind);
std::string_view to_string(OperationState state);
std::string_view to_string(PlanStatus status);
std::optional<OperationKind> try_parse_operation_kind(std::string_view text);
std::optional<OperationState> try_parse_operation_state(std::string_view text);
std::optional<PlanStatus> try_parse_plan_status(std::string_view text);

struct Operation
{
  std::int64_t id = 0;          // 0 until stored
  int seq = 0;                  // 1-based order of application within the plan
  OperationKind kind = OperationKind::update;
  std::string employee_no;      // the HR person; empty for a user no HR row claims
  std::string open_id;          // the Feishu user; for a create, empty until it lands
  std::string client_token;     // create only: deterministic, the same on every retry
  std::string reason;           // for people: "new in HR (row 12)", "job title changed", ...
  // The request: for create/update the fields to set (update: only the changed owned fields), for
  // delete the acceptors, for resurrect the departments, for set_leader the leader's employee_no.
  json::Value payload = json::Value::object();
  // What the target looked like when planned (the old values of the fields it changes, and the
  // user's state); apply skips an operation whose target no longer matches. Null for a create.
  json::Value precondition;

  // The journal: filled in by apply.
  OperationState state = OperationState::pending;
  int attempts = 0;
  std::optional<int> http_status;
  std::optional<std::int64_t> code;
  std::string msg;
  std::string log_id;
  std::optional<std::int64_t> started_at;
  std::optional<std::int64_t> finished_at;
};

struct PlanCounts
{
  int creates = 0;
  int updates = 0;
  int deletes = 0;
  int resurrects = 0;
  int freezes = 0;
  int set_leaders = 0;
};

struct Plan
{
  std::int64_t id = 0;          // 0 until stored
  std::int64_t created_at = 0;
  std::int64_t hr_file_id = 0;
  std::int64_t refresh_run_id = 0;
  PlanStatus status = PlanStatus::draft;
  std::vector<std::string> held_reasons; // each names the rule and how to release the plan
  int managed_users = 0;                 // users in scope: the base of the percentage gates
  PlanCounts counts;                     // derived from operations when stored
  std::optional<std::string> approved_by;
  std::optional<std::int64_t> approved_at;
  std::optional<std::int64_t> started_at;
  std::optional<std::int64_t> finished_at;
  std::string error;
  std::vector<Operation> operations;     // in seq order
};

} // namespace dirsync::storage
