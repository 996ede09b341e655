// Stored plans for tests of the journal and of apply, written straight into the tables (the
// planner's own store is tested with the planner): an HR file and a refresh run for the plan to
// point at, the plan with the given status, and its operations.
#pragma once

#include "storage/database.hpp"
#include "storage/plan.hpp"

#include <cstdint>
#include <string>

namespace dirsync::testing {

// Stores `plan` (its status, counts and operations; ids and journal columns are ignored) and
// returns its id. An approved, applying or done plan gets approved_by 'test'.
std::int64_t insert_plan(storage::Database& db, const storage::Plan& plan);

// A user row in the mirror with just these fields (links reference users).
void insert_mirror_user(storage::Database& db, const std::string& open_id, const std::string& employee_no,
                        const std::string& name);

// A value of one column of one operation, as text (NULL as "NULL"), for assertions.
std::string operation_column(storage::Database& db, std::int64_t plan_id, int seq, const std::string& column);

} // namespace dirsync::testing
