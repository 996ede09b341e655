// The checks that need more than one row: duplicates, leaders (missing, self, cycles) and
// departments against the ones the mirror knows. They run after every row has been mapped and
// mark rows as not ok (adding errors to the report) or add warnings.
#pragma once

#include "hr/intake.hpp"
#include "hr/row_mapper.hpp"

#include <vector>

namespace dirsync::hr {

struct CheckInput
{
  config::HrMode mode = config::HrMode::full;
  config::DepartmentKey department_key = config::DepartmentKey::path;
  const RowMapper* mapper = nullptr; // for the column names in problems
  const IntakeContext* context = nullptr;
};

// Checks `rows` (in file order) and updates their `ok`. Returns false when duplicate employee
// numbers make the whole file unusable (a fatal problem has been added).
bool check_rows(std::vector<RowMapper::Mapped>& rows, const CheckInput& input, Report& report);

} // namespace dirsync::hr
