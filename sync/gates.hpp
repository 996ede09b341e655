// The safety gates (DESIGN.md §7): the rules that hold a plan until a person approves it.
//
// A plan is held when it breaks any of them:
//   * its leavers (deletes and freezes: both lock people out) exceed safety.max_deletes or
//     safety.max_deletes_percent of the managed users, in the plan alone or together with the
//     leavers already done in the last 24 hours;
//   * it is the first plan against the tenant (safety.hold_first_plan): no plan made against this
//     app has been approved yet, so the admin confirms a rehearsal first;
//   * sync.apply_mode is manual;
//   * the refresh it was computed from is not trusted.
// A plan with no operations is never held: there is nothing to approve.
//
// Pure: the caller gathers the facts (from storage) and passes them in.
#pragma once

#include "config/config.hpp"
#include "storage/mirror.hpp"
#include "storage/plan.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dirsync::sync {

struct GateFacts
{
  storage::RefreshRun refresh;      // the refresh the plan was computed from
  std::int64_t leavers_last_24h = 0; // deletes and freezes done in the 24 hours before the plan
  bool first_plan = false;          // no plan against this tenant has been approved yet
};

// The rules `plan` breaks, each naming the rule, the numbers and the setting; empty: none.
std::vector<std::string> check_gates(const storage::Plan& plan, const config::SyncConfig& sync,
                                     const GateFacts& facts);

// Runs the gates and sets the plan's status: held with its reasons, or approved by "auto" at `now`.
void apply_gates(storage::Plan& plan, const config::SyncConfig& sync, const GateFacts& facts, std::int64_t now);

} // namespace dirsync::sync
