// The CSV reader (RFC 4180, with libcsv in strict mode).
//
// Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row 2, and
// blank lines count. A record whose quoted value spans several lines is ONE row (as in a
// spreadsheet), so after it the row numbers run behind the line numbers of a text editor.
//
// What it accepts: quoted and unquoted fields, "" inside quotes, commas and line breaks inside
// quotes, CRLF, LF or CR line ends, a last record with or without a line end. Blank lines and
// records whose fields are all empty (Excel writes ",,,,") are skipped. Fields beyond the header's
// width are ignored when empty (Excel pads rows) and an error otherwise.
//
// What makes the file unusable (a fatal problem in the report, and no more records): a quote in an
// unquoted field or text after a closing quote (the structure can no longer be trusted); a quoted
// value that is never closed (the file was cut off, or a quote is missing); a last record without
// a line end that is shorter than the header (the file was cut off mid-record). A file without a
// header gets a fatal problem too.
#pragma once

#include "hr/report.hpp"
#include "hr/table.hpp"

#include <string_view>

namespace dirsync::hr {

// Reads `text` (UTF-8) into `sink`, adding problems to `report`.
void read_csv(std::string_view text, TableSink& sink, Report& report);

} // namespace dirsync::hr
