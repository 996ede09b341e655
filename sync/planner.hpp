// The planner: what must change in Feishu so that it says what HR says (DESIGN.md §6, §7).
//
// Pure: Roster × MirrorSnapshot × links × configuration → Plan (operations in order, decisions,
// new links). No I/O, no clock: `now` is passed in. The same inputs give the same plan, byte for
// byte, client tokens included. The algorithm is described at the top of planner.cpp.
#pragma once

#include "config/config.hpp"
#include "hr/roster.hpp"
#include "storage/link.hpp"
#include "storage/mirror.hpp"
#include "storage/plan.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dirsync::sync {

struct PlanInput
{
  const hr::Roster& roster;                 // the accepted HR file's usable rows
  config::HrMode mode = config::HrMode::full; // full: absence means leaver; delta: only listed rows
  const storage::MirrorSnapshot& mirror;    // a trusted refresh
  const std::vector<storage::Link>& links;  // the current links (closed ones are ignored)
  // The roster of the HR file of the last plan that was applied, or null. It tells a Feishu-side
  // edit (HR's value is the same as then, Feishu's differs) from an HR change; without it every
  // difference counts as an HR change.
  const hr::Roster* baseline = nullptr;
  std::int64_t now = 0;                     // unix seconds
  std::int64_t hr_file_id = 0;              // copied into the plan
};

class Planner
{
public:
  // `app_id` is part of every create's client_token (a token means one request to one tenant).
  Planner(config::SyncConfig sync, config::DepartmentKey department_key, std::string app_id);

  // The plan, status draft (gates decide held or approved). Never throws for data problems: a
  // person who cannot be planned gets a decision saying why.
  storage::Plan plan(const PlanInput& input) const;

  // The entries of sync.scope (departments and exclude_departments) that name no department of
  // `mirror` ("0" always exists): they match nothing, which narrows or empties the scope.
  std::vector<std::string> unknown_scope_entries(const storage::MirrorSnapshot& mirror) const;

private:
  config::SyncConfig m_sync;
  config::DepartmentKey m_department_key;
  std::string m_app_id;
};

// The idempotency key of a create: a UUID-shaped hash of the app, the employee number, the
// account the create replaces (empty for a first hire) and the request body. See planner.cpp.
std::string create_client_token(const std::string& app_id, const std::string& employee_no,
                                const std::string& replaces_open_id, const json::Value& payload);


} // namespace dirsync::sync
