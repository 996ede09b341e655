#include "hr/json_reader.hpp"

#include "hr/normalize.hpp"

#include <fmt/format.h>

#include <unordered_map>

namespace dirsync::hr {

namespace {

struct Item
{
  std::size_t row;
  json::Value object;
};

Cell to_cell(const json::Value& v)
{
  Cell cell;
  switch (v.type()) {
  case json::Type::null:
    cell.present = false;
    break;
  case json::Type::string:
    cell.text = v.as_string();
    break;
  case json::Type::integer:
    cell.text = std::to_string(v.as_int());
    cell.kind = CellKind::integer;
    break;
  case json::Type::number:
    cell.text = fmt::format("{}", v.as_double());
    cell.kind = CellKind::number;
    break;
  default:
    cell.text = v.dump();
    cell.kind = CellKind::other;
    break;
  }
  return cell;
}

// Hands the objects to the sink with one column per key seen.
void emit(std::vector<Item>& items, TableSink& sink, Report& report)
{
  if (items.empty()) {
    return; // no object, so no columns to check: the gates report "no rows" instead
  }
  std::vector<std::string> columns;
  std::unordered_map<std::string, std::size_t> index;
  for (const auto& item : items) {
    for (const auto& [key, value] : item.object.as_object()) {
      std::string name(trim(key));
      if (index.emplace(name, columns.size()).second) {
        columns.push_back(std::move(name));
      }
    }
  }
  const std::size_t width = columns.size();
  sink.on_header(0, std::move(columns));
  std::vector<Cell> cells;
  for (auto& item : items) {
    cells.assign(width, Cell{{}, CellKind::text, false});
    std::vector<bool> seen(width, false);
    bool duplicate = false;
    for (const auto& [key, value] : item.object.as_object()) {
      const std::size_t i = index.at(std::string(trim(key)));
      if (seen[i]) {
        report.add({item.row, std::string(trim(key)), {}, Severity::error, "duplicate_key",
                    fmt::format("the key \"{}\" appears twice in this object", trim(key))});
        duplicate = true;
        break;
      }
      seen[i] = true;
      cells[i] = to_cell(value);
    }
    item.object = json::Value(); // free as we go
    if (duplicate) {
      sink.on_unreadable_record(item.row);
      continue;
    }
    sink.on_record(item.row, cells);
  }
}

void not_an_object(std::size_t row, const json::Value& v, std::string_view word, Report& report)
{
  report.add({row, {}, {}, Severity::error, "not_an_object",
              fmt::format("{} {} is {}, not an object with the employee's fields", word, row,
                          json::type_name(v.type()))});
}

} // namespace

void read_json_array(std::string_view text, TableSink& sink, Report& report)
{
  if (trim(text).empty()) {
    report.add({0, {}, {}, Severity::fatal, "empty_file", "the file is empty"});
    return;
  }
  json::Value doc;
  try {
    doc = json::parse(text);
  } catch (const json::JsonError& e) {
    report.add({0, {}, {}, Severity::fatal, "json_syntax",
                fmt::format("the file is not valid JSON ({}); if the problem is at the very end, "
                            "the file is probably cut off",
                            e.what())});
    return;
  }
  if (!doc.is_array()) {
    report.add({0, {}, {}, Severity::fatal, "json_shape",
                fmt::format("the file holds {}; it must hold an array of objects, one per "
                            "employee ([{{...}}, {{...}}])",
                            json::type_name(doc.type()))});
    return;
  }
  std::vector<Item> items;
  std::vector<std::size_t> bad_rows;
  auto& array = doc.as_array();
  items.reserve(array.size());
  for (std::size_t i = 0; i < array.size(); ++i) {
    if (!array[i].is_object()) {
      not_an_object(i + 1, array[i], "item", report);
      bad_rows.push_back(i + 1);
      continue;
    }
    items.push_back({i + 1, std::move(array[i])});
  }
  doc = json::Value();
  emit(items, sink, report);
  for (std::size_t row : bad_rows) {
    sink.on_unreadable_record(row);
  }
}

void read_json_lines(std::string_view text, TableSink& sink, Report& report)
{
  std::vector<Item> items;
  std::vector<std::size_t> bad_rows;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    ++line_no;
    std::size_t end = text.find('\n', pos);
    const bool has_line_end = end != std::string_view::npos;
    if (!has_line_end) {
      end = text.size();
    }
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (trim(line).empty()) {
      continue;
    }
    json::Value v;
    try {
      v = json::parse(line);
    } catch (const json::JsonError& e) {
      if (!has_line_end) {
        report.add({line_no, {}, {}, Severity::fatal, "truncated",
                    fmt::format("the last line is not valid JSON ({}) and has no line end: the file "
                                "looks cut off",
                                e.what())});
        return;
      }
      report.add({line_no, {}, {}, Severity::error, "json_syntax",
                  fmt::format("the line is not valid JSON: {}", e.what())});
      bad_rows.push_back(line_no);
      continue;
    }
    if (!v.is_object()) {
      not_an_object(line_no, v, "line", report);
      bad_rows.push_back(line_no);
      continue;
    }
    items.push_back({line_no, std::move(v)});
  }
  if (items.empty() && bad_rows.empty()) {
    report.add({0, {}, {}, Severity::fatal, "empty_file", "the file is empty: it has no lines"});
    return;
  }
  emit(items, sink, report);
  for (std::size_t row : bad_rows) {
    sink.on_unreadable_record(row);
  }
}

} // namespace dirsync::hr
