// One planning step of a cycle (DESIGN.md §2 "plan", "gate"): plan an accepted roster against a
// trusted mirror snapshot, run the safety gates and store the plan, before anything is applied.
//
// It gathers from the database what the pure planner and gates need: the current links, the
// roster of the last applied plan (the drift baseline), the deletes done in the last 24 hours and
// whether a plan against this tenant was ever approved. A held plan is logged at warning level
// with its reasons and the command that releases it.
#pragma once

#include "config/config.hpp"
#include "hr/roster.hpp"
#include "storage/database.hpp"
#include "storage/mirror.hpp"
#include "storage/plan.hpp"

#include <cstdint>

namespace dirsync::sync {

// Plans `roster` (the accepted HR file `hr_file_id`, read under config.hr.mode) against `mirror`,
// gates and stores it (superseding older unapplied plans). Returns the stored plan: id set,
// status held or approved. Throws StorageError when the database fails.
storage::Plan plan_and_store(storage::Database& db, const config::Config& config, std::int64_t hr_file_id,
                             const hr::Roster& roster, const storage::MirrorSnapshot& mirror, std::int64_t now);

} // namespace dirsync::sync
