// What an accepted HR export says: one normalized Person per usable row (DESIGN.md §11).
//
// These are plain structs so that storage/ can keep them (hr_rows) and sync/ can plan from them
// without knowing how the file was read. Every string is UTF-8, trimmed, and in its canonical form:
// employee numbers exactly as HR wrote them (leading zeros kept), emails lower-cased, mobiles in
// E.164 ("+8613812345678"), dates as unix seconds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dirsync::hr {

enum class EmploymentStatus { active, terminated };

struct Person
{
  // Where the row is in the file: the spreadsheet row (CSV: header = 1, first data row = 2), the
  // line (JSON Lines) or the 1-based position in the array (JSON).
  std::size_t row = 0;
  std::string employee_no;                // never empty
  std::string name;                       // empty only for a terminated row that left it out
  std::string en_name;
  std::string email;                      // lower-case; empty when the row has none
  std::string mobile;                     // E.164; empty when the row has none
  // department_key: path → the levels from the top ({"总部", "技术部", "后端组"});
  // department_key: department_id → empty, and department_id holds HR's code.
  std::vector<std::string> department_path;
  std::string department_id;
  std::string job_title;
  std::string leader_employee_no;         // empty: no leader
  std::optional<int> employee_type;       // mapped through hr.values.employee_type
  std::optional<std::int64_t> join_time;  // unix seconds; see docs/hr-files.md for the time zone
  EmploymentStatus status = EmploymentStatus::active;
  std::string city;
  std::string work_station;
  std::optional<int> gender;              // 0 secret, 1 male, 2 female, 3 other
};

// The usable content of an accepted file.
//
// `people` are the rows without errors, in file order. `held_employee_nos` are the employee numbers
// of rows that had errors: those people ARE in the export, so a full-mode plan must neither change
// them nor treat them as leavers; they stay as they are until HR fixes the row. (A row with no
// readable employee number cannot be held; that is why such rows count against the file, see
// docs/hr-files.md.)
struct Roster
{
  std::vector<Person> people;
  std::vector<std::string> held_employee_nos;
};

} // namespace dirsync::hr
