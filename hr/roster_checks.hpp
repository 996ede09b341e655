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

// Every mapped row of a file, in file order: people[i] and whether it is usable, ok[i]. Two
// vectors rather than one of pairs, so that the accepted people can become the Roster in place.
struct MappedRows
{
  std::vector<Person> people;
  std::vector<char> ok;
};

// Checks the rows and clears `ok` of those with new errors. Returns false when duplicate employee
// numbers make the whole file unusable (a fatal problem has been added).
bool check_rows(MappedRows& rows, const CheckInput& input, Report& report);

} // namespace dirsync::hr
