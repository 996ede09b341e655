// The report of one HR file: what was read, what is wrong with it, and whether it was accepted.
//
// A Report is what a person reads when a file lands in archive/ or rejected/, and what storage/
// keeps in hr_files. Every problem carries its place (row and column), a stable machine code, and a
// sentence for people; the text form adds what to do about each kind of problem.
#pragma once

#include "common/json.hpp"
#include "config/config.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dirsync::hr {

enum class Severity {
  info,    // something the reader should know (a check that was skipped, a conversion made)
  warning, // the row is used, but something about it deserves a look
  error,   // the row is not used (and, in full mode, its person is held as is)
  fatal,   // the whole file is rejected
};

std::string_view to_string(Severity severity);

struct Problem
{
  std::size_t row = 0;     // 0: the file as a whole
  std::string column;      // the HR column name; empty when the problem is not about one column
  std::string employee_no; // of the row, when it could be read
  Severity severity = Severity::error;
  std::string code;        // stable, e.g. "bad_mobile"; see docs/hr-files.md for the list
  std::string message;     // one sentence for people
};

struct ReportCounts
{
  std::size_t data_rows = 0;      // records after the header (blank lines not counted)
  std::size_t accepted_rows = 0;  // rows without errors (Roster::people, when the file is accepted)
  std::size_t invalid_rows = 0;   // rows with at least one error
  std::size_t employees = 0;      // distinct employee numbers in the file (accepted and held)
  // People the file says are here: accepted active rows plus rows held for errors. The shrink gate
  // compares this with the same count of the last accepted full export; store it.
  std::size_t present = 0;
  std::size_t active = 0;         // accepted rows with status active
  std::size_t terminated = 0;     // accepted rows with status terminated
  std::size_t warnings = 0;
  std::size_t errors = 0;         // problems of severity error
};

struct Report
{
  std::string file_name;           // the name as received (no directory)
  std::string sha256;              // lower-case hex of the file's bytes
  std::uint64_t size = 0;          // bytes
  config::HrFormat format = config::HrFormat::csv; // the format it was read as
  std::string encoding;            // "utf-8", "utf-8 (BOM)" or "gb18030"; empty when undecodable
  config::HrMode mode = config::HrMode::full;
  std::vector<std::string> columns; // the header as read (CSV) or the keys seen (JSON)
  ReportCounts counts;
  std::int64_t checked_at = 0;     // unix seconds
  bool accepted = false;
  std::vector<std::string> rejection_reasons; // the messages of the fatal problems, when rejected
  std::vector<Problem> problems;   // file-level first, then by row

  // Adds a problem (and keeps the counts of warnings and errors).
  void add(Problem problem);
  bool has_fatal() const;
};

std::string_view to_string(config::HrFormat format);
std::string_view to_string(config::HrMode mode);

// The word for Problem::row in this format: "row" (CSV), "line" (JSON Lines), "item" (JSON).
std::string_view row_word(config::HrFormat format);

// NAME.report.json: the report as JSON (schema in docs/hr-files.md).
json::Value to_json(const Report& report);

// NAME.report.txt: a summary, then every problem by row in plain language, with what to do.
std::string to_text(const Report& report);

} // namespace dirsync::hr
