// How a plan is shown to people (`dirsync plan`, text) and to programs (`--json`).
//
// Text: a summary line, why it is held and how to release it, then the operations grouped by kind
// in their order, each with its reason and every field it sets (an update shows each field's old
// value and new value), then what the plan left alone and why (conflicts, protected users, drift,
// future hires, ...). JSON: the same, as {"plan": {...}, "operations": [...], "decisions": [...]}.
#pragma once

#include "common/json.hpp"
#include "storage/plan.hpp"

#include <iosfwd>

namespace dirsync::daemon {

void print_plan(std::ostream& out, const storage::Plan& plan);
json::Value plan_to_json(const storage::Plan& plan);

} // namespace dirsync::daemon
