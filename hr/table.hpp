// The shape every reader (CSV, JSON, JSON Lines) turns a file into: a header of column names, then
// records of cells, each with its row number. The readers know nothing of the configuration; the
// RowMapper (row_mapper.hpp) gives the cells their meaning.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace dirsync::hr {

enum class CellKind {
  text,    // CSV fields and JSON strings
  integer, // a JSON integer: `text` holds its exact decimal digits
  number,  // a JSON number with a fraction or exponent, or too large for 64 bits: digits may be lost
  other,   // a JSON boolean, array or object: `text` holds its JSON
};

struct Cell
{
  std::string text;
  CellKind kind = CellKind::text;
  bool present = true; // false: a JSON object without this key, or JSON null
};

class TableSink
{
public:
  virtual ~TableSink() = default;
  // Called once, before any record. `row` is where the header is (CSV: normally 1; JSON: 0).
  virtual void on_header(std::size_t row, std::vector<std::string> columns) = 0;
  // One record with as many cells as the header has columns. The sink may move the cells out.
  virtual void on_record(std::size_t row, std::vector<Cell>& cells) = 0;
  // A record the reader could not split into cells; the reader has reported why.
  virtual void on_unreadable_record(std::size_t row) = 0;
};

} // namespace dirsync::hr
