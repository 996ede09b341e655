// The JSON readers: an array of objects (.json), or one object per line (JSON Lines: .jsonl,
// .ndjson). Each object is a row; its keys are the column names. The header handed to the sink is
// every key seen, in the order first seen, so a key that only some objects have is still a column
// (absent from the others, which is the same as an empty value).
//
// Rows are numbered by position: the Nth object of the array is item N; in JSON Lines the row is
// the line number (blank lines count, as in an editor).
//
// Values: strings are text; integers keep their exact digits (a JSON number cannot carry leading
// zeros, which the mapper reports for employee numbers); other numbers, booleans, arrays and objects
// are marked so the mapper can refuse them where only text makes sense.
//
// Fatal: text that is not JSON (an array file), a top level that is not an array, an empty file,
// and a JSON Lines file whose last line is not valid JSON and has no line end (cut off). A bad line
// elsewhere in JSON Lines is an error for that line only.
#pragma once

#include "hr/report.hpp"
#include "hr/table.hpp"

#include <string_view>

namespace dirsync::hr {

void read_json_array(std::string_view text, TableSink& sink, Report& report);
void read_json_lines(std::string_view text, TableSink& sink, Report& report);

} // namespace dirsync::hr
