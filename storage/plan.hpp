// A plan and its operations as stored (tables plans and operations; DESIGN.md §7, §8).
//
// sync/planner makes a Plan from a Roster and a MirrorSnapshot; storage/plan_store.hpp keeps it
// before anything is applied; sync/apply walks its operations in seq order through the journal
// (pending -> in_flight, committed before the request is sent -> done | failed | skipped).
#pragma once

#include "common/json.hpp"
#include "storage/link.hpp"

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
  // The request, exactly as the client sends it (feishu/models.hpp's encode()):
  //   create:     a UserCreate (no leader_user_id when the leader is created in the same plan);
  //   update:     a UserPatch with only the changed fields (HR-owned fields, employee_no, is_frozen);
  //   delete:     a UserDelete with the acceptors (empty object: Feishu's defaults);
  //   resurrect:  a UserResurrect with the departments; the update that follows it in the same
  //               plan restores the owned fields, which Feishu does not;
  //   freeze:     a UserPatch {"is_frozen": true};
  //   set_leader: {"leader_employee_no": "..."}: not a request body; apply looks both people up in
  //               links when it runs (the leader, and a target created in the same plan, have no
  //               open_id when planned) and sends UserPatch {"leader_user_id": ...}.
  json::Value payload = json::Value::object();
  // What the target looked like when planned; apply skips an operation whose target no longer
  // matches (DESIGN.md §7 "Exactness"). An object whose members are compared with the mirror:
  //   update and set_leader: each key of the payload (leader_user_id for set_leader) with the
  //               mirror's value at planning time, in the payload's JSON shape;
  //   delete:     {"is_resigned": false};  freeze: {"is_frozen": false};
  //   resurrect:  {"is_resigned": true}.
  // Null when there is nothing to compare: a create, an operation on a user created or
  // resurrected earlier in the same plan.
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

// One thing the planner decided about a person (or a Feishu user no HR row claims), with the rule
// that decided it: what `dirsync explain` shows and v_plan_decisions lists. Operations get one
// each; so do the people the plan deliberately leaves alone (conflicts, held rows, future hires,
// protected users, drift reported, users outside the scope, unknown departments). A person whose
// HR row and Feishu user already agree gets none.
struct PlanDecision
{
  std::string employee_no; // empty for a Feishu user no HR row claims
  std::string open_id;     // empty when there is no Feishu user (yet)
  // create, update, delete, resurrect, freeze, set_leader (an operation was planned), or
  // conflict, held, future_hire, protected, drift, unclaimed, out_of_scope, unknown_department,
  // unresolved_leader, left_alone (nothing was planned; detail says why).
  std::string decision;
  std::string rule;        // the rule that decided: "leaver.absent_from_full_export", "drift.report", ...
  std::string detail;      // for people: both sides of a conflict, old and new values, dates
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
  std::vector<PlanDecision> decisions;   // in the order the planner made them
  // Links the planner found (by employee number, email or mobile) for people it had no link for;
  // stored with the plan, in the same transaction. Links made by a create or resurrect are
  // recorded by apply when the operation lands.
  std::vector<Link> new_links;
};

} // namespace dirsync::storage
