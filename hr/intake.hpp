// HR intake: one HR export in, a Roster and a Report out (DESIGN.md §7 source gate, §11).
//
// The steps: hash the bytes; choose the format (hr.format, or the file's extension); decode the
// text (decode.hpp); read it into records (csv_reader.hpp, json_reader.hpp); map and normalize each
// row (row_mapper.hpp); check the rows against each other (roster_checks.hpp); then decide whether
// the file as a whole can be used (the source gate).
//
// The file is rejected (Report::accepted false, the reasons in Report::rejection_reasons) when it
// cannot be decoded or parsed, looks cut off, lacks a mapped column, has duplicate employee numbers,
// has no data rows or no valid rows, has more invalid rows than valid ones, or, in full mode, lists
// more than safety.max_source_shrink_percent fewer people than the last accepted full export. When
// it is accepted, the Roster holds the valid rows and the employee numbers of the invalid ones.
//
// hr/ does not touch the database: what intake needs from it comes in an IntakeContext, and what
// it produces (Roster, Report) is plain data the caller stores.
#pragma once

#include "config/config.hpp"
#include "hr/report.hpp"
#include "hr/roster.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace dirsync::hr {

// The departments the mirror knows, for the department check. With department_key: path, each
// entry is a path of names from the top (as Person::department_path); with department_id, the HR
// department ids.
struct KnownDepartments
{
  std::set<std::vector<std::string>> paths;
  std::set<std::string> ids;
};

// What intake needs to know from outside the file. Every member is optional; a check whose input is
// missing is skipped, and the report says so (severity info, code "check_skipped").
struct IntakeContext
{
  // Report::counts.present of the last accepted full-mode export, for the shrink gate. nullopt
  // when there is none yet (a first export is not compared with anything).
  std::optional<std::size_t> previous_present;
  // False when the caller could not consult its history at all (e.g. `dirsync validate` without a
  // database): the shrink gate is then skipped with a note, instead of passing silently.
  bool history_available = true;
  // The departments that exist; nullopt: not checked.
  std::optional<KnownDepartments> known_departments;
  // Delta mode: whether an employee number exists outside the file (in the mirror), for leaders
  // the file does not list. Empty: such leaders cannot be checked (a warning per row).
  std::function<bool(const std::string& employee_no)> is_known_employee;
  // Unix seconds written into the report; 0 takes the current time.
  std::int64_t now = 0;
};

struct IntakeResult
{
  Roster roster;
  Report report;
};

// Reads and checks the export `file`. Throws InputError only when the file cannot be read at all
// (missing, unreadable); everything about its content goes into the report.
IntakeResult read_export_file(const std::filesystem::path& file, const config::HrConfig& hr,
                              const config::SafetyConfig& safety, const IntakeContext& context);

// The same for bytes already in memory; `file_name` chooses the format under hr.format: auto and
// names the file in the report. Never throws for bad content.
IntakeResult read_export(std::string_view file_name, std::string bytes, const config::HrConfig& hr,
                         const config::SafetyConfig& safety, const IntakeContext& context);

// The format hr.format (or, under auto, the extension of `file_name`) asks for; nullopt when auto
// cannot tell (an extension other than .csv, .json, .jsonl, .ndjson).
std::optional<config::HrFormat> find_format(std::string_view file_name, config::HrFormat configured);

} // namespace dirsync::hr
