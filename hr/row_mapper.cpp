#include "hr/row_mapper.hpp"

#include "common/text.hpp"

#include "common/error.hpp"

#include <fmt/format.h>

#include <charconv>
#include <unordered_map>

namespace dirsync::hr {

namespace {

constexpr std::array<std::string_view, k_field_count> k_field_names{
  "employee_no", "status",   "name",          "en_name",   "email",        "mobile", "department",
  "job_title",   "leader",   "employee_type", "join_date", "city",         "work_station", "gender"};

std::size_t at(Field f)
{
  return static_cast<std::size_t>(f);
}

// Quotes a value for a message, shortened so that a runaway cell cannot flood the report.
std::string shown(std::string_view v)
{
  constexpr std::size_t k_max = 80;
  if (v.size() <= k_max) {
    return fmt::format("\"{}\"", v);
  }
  std::size_t cut = k_max;
  while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xC0) == 0x80) {
    --cut; // do not split a UTF-8 sequence
  }
  return fmt::format("\"{}…\"", v.substr(0, cut));
}

std::optional<int> try_parse_int(std::string_view s)
{
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

// One row being mapped: collects its problems and whether any is an error.
class RowScope
{
public:
  RowScope(std::size_t row, Report& report) : m_row(row), m_report(report) {}

  void add(Severity severity, const std::string& column, std::string code, std::string message)
  {
    if (severity == Severity::error) {
      m_ok = false;
    }
    m_report.add({m_row, column, employee_no, severity, std::move(code), std::move(message)});
  }
  void error(const std::string& column, std::string code, std::string message)
  {
    add(Severity::error, column, std::move(code), std::move(message));
  }

  bool ok() const { return m_ok; }
  std::string employee_no;

private:
  std::size_t m_row;
  Report& m_report;
  bool m_ok = true;
};

} // namespace

std::string_view to_string(Field field)
{
  return k_field_names[at(field)];
}

std::optional<Field> try_parse_field(std::string_view name)
{
  for (std::size_t i = 0; i < k_field_count; ++i) {
    if (k_field_names[i] == name) {
      return static_cast<Field>(i);
    }
  }
  return std::nullopt;
}

RowMapper::RowMapper(const config::HrConfig& config)
  : m_config(config),
    m_mobiles(config.default_region)
{
  std::vector<std::string> problems;
  for (const auto& [field, column] : config.columns) {
    if (auto f = try_parse_field(field)) {
      m_columns[at(*f)] = column;
    } else {
      problems.push_back(fmt::format("hr.columns: unknown field \"{}\"", field));
    }
  }
  for (Field f : {Field::employee_no, Field::name, Field::department}) {
    if (m_columns[at(f)].empty()) {
      problems.push_back(fmt::format("hr.columns: {} is required", to_string(f)));
    }
  }
  if (m_columns[at(Field::email)].empty() && m_columns[at(Field::mobile)].empty()) {
    problems.push_back("hr.columns: email or mobile (or both) is required");
  }
  if (!problems.empty()) {
    throw ConfigError(problems);
  }
}

const std::string& RowMapper::column_of(Field field) const
{
  return m_columns[at(field)];
}

bool RowMapper::bind(const std::vector<std::string>& header, Report& report)
{
  std::unordered_map<std::string_view, std::size_t> first;
  std::vector<std::string> duplicated;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (!first.emplace(header[i], i).second) {
      duplicated.push_back(header[i]);
    }
  }
  std::vector<std::string> missing;
  std::vector<std::string> ambiguous;
  for (std::size_t f = 0; f < k_field_count; ++f) {
    m_index[f].reset();
    if (m_columns[f].empty()) {
      continue;
    }
    auto it = first.find(m_columns[f]);
    if (it == first.end()) {
      missing.push_back(m_columns[f]);
      continue;
    }
    m_index[f] = it->second;
    for (const auto& d : duplicated) {
      if (d == m_columns[f]) {
        ambiguous.push_back(d);
        break;
      }
    }
  }
  const auto join = [](const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) {
      out += out.empty() ? "" : ", ";
      out += n.empty() ? "(empty)" : n;
    }
    return out;
  };
  bool ok = true;
  if (!missing.empty()) {
    std::string hint;
    if (header.size() == 1 && (header[0].find(';') != std::string::npos ||
                               header[0].find('\t') != std::string::npos)) {
      hint = " The header looks separated by semicolons or tabs; the file must use commas.";
    }
    report.add({0, {}, {}, Severity::fatal, "missing_column",
                fmt::format("the file lacks the column(s) {} that hr.columns maps; the file has: {}. "
                            "Export those columns, or change hr.columns.{}",
                            join(missing), header.empty() ? "no columns" : join(header), hint)});
    ok = false;
  }
  if (!ambiguous.empty()) {
    report.add({0, {}, {}, Severity::fatal, "duplicate_column",
                fmt::format("the column(s) {} appear more than once in the header, so it is not "
                            "clear which to read; remove the extra column(s)",
                            join(ambiguous))});
    ok = false;
  }
  return ok;
}

RowMapper::Mapped RowMapper::map(std::size_t row, std::vector<Cell>& cells, Report& report)
{
  RowScope scope(row, report);
  Mapped out;
  Person& p = out.person;
  p.row = row;

  // The trimmed text of a field; empty when unmapped, absent or blank. Refuses JSON booleans,
  // arrays and objects.
  const auto value = [&](Field f) -> std::string {
    const auto& index = m_index[at(f)];
    if (!index) {
      return {};
    }
    Cell& cell = cells[*index];
    if (!cell.present) {
      return {};
    }
    if (cell.kind == CellKind::other) {
      scope.error(m_columns[at(f)], "bad_type",
                  fmt::format("{} is {}; it must be text", m_columns[at(f)], shown(cell.text)));
      return {};
    }
    return std::string(trim(cell.text));
  };
  // Whether a field is unmapped, absent or blank, without reporting anything.
  const auto blank = [&](Field f) {
    const auto& index = m_index[at(f)];
    return !index || !cells[*index].present || trim(cells[*index].text).empty();
  };
  const auto kind = [&](Field f) {
    const auto& index = m_index[at(f)];
    return index ? cells[*index].kind : CellKind::text;
  };

  // An employee number (the row's own, or its leader's): exactly as written, full-width forms made
  // ASCII, never through a number.
  const auto code = [&](Field f) -> std::string {
    const std::string& column = m_columns[at(f)];
    std::string v = fullwidth_to_ascii(value(f));
    if (v.empty()) {
      return v;
    }
    if (kind(f) == CellKind::number) {
      scope.error(column, "bad_employee_no",
                  fmt::format("{} {} is a JSON number that is not an exact integer, so its digits "
                              "cannot be trusted; write employee numbers as JSON strings",
                              column, v));
      return {};
    }
    if (looks_like_scientific_notation(v)) {
      scope.error(column, "bad_employee_no",
                  fmt::format("{} {} was written by a spreadsheet in scientific notation, so its "
                              "digits are lost; format the column as text and export again",
                              column, shown(v)));
      return {};
    }
    for (unsigned char c : v) {
      if (c < 0x20 || c == ' ' || c == 0x7F) {
        scope.error(column, "bad_employee_no",
                    fmt::format("{} {} contains a space or a control character", column, shown(v)));
        return {};
      }
    }
    if (v.size() > 255) {
      scope.error(column, "bad_employee_no",
                  fmt::format("{} is longer than 255 bytes, Feishu's limit", column));
      return {};
    }
    return v;
  };

  // A value mapped through hr.values.<field>; nullopt when blank or unknown (reported).
  const auto mapped_value = [&](Field f, std::string_view raw) -> std::optional<std::string> {
    const std::string& column = m_columns[at(f)];
    auto table = m_config.values.find(std::string(to_string(f)));
    if (table == m_config.values.end() || table->second.empty()) {
      return std::string(raw);
    }
    if (auto it = table->second.find(std::string(raw)); it != table->second.end()) {
      return it->second;
    }
    for (const auto& [from, to] : table->second) {
      if (ascii_iequal(from, raw)) {
        return to;
      }
    }
    std::string known;
    for (const auto& [from, to] : table->second) {
      known += known.empty() ? "" : ", ";
      known += from;
    }
    scope.error(column, "unknown_value",
                fmt::format("{} {} is not one of the values hr.values.{} knows ({}); fix the row or "
                            "add the value to hr.values.{}",
                            column, shown(raw), to_string(f), known, to_string(f)));
    return std::nullopt;
  };

  // Employee number first, so that every later problem of the row names it.
  p.employee_no = code(Field::employee_no);
  scope.employee_no = p.employee_no;
  if (!p.employee_no.empty() && kind(Field::employee_no) == CellKind::integer) {
    ++m_numeric_employee_nos;
  }

  if (std::string raw = value(Field::status); !raw.empty()) {
    if (auto v = mapped_value(Field::status, raw)) {
      if (*v == "active") {
        p.status = EmploymentStatus::active;
      } else if (*v == "terminated") {
        p.status = EmploymentStatus::terminated;
      } else {
        scope.error(m_columns[at(Field::status)], "unknown_value",
                    fmt::format("{} {} maps to \"{}\", but a status must be active or terminated; "
                                "fix hr.values.status",
                                m_columns[at(Field::status)], shown(raw), *v));
      }
    }
  }
  const bool active = p.status == EmploymentStatus::active;

  p.name = value(Field::name);
  p.en_name = value(Field::en_name);
  p.job_title = value(Field::job_title);
  p.city = value(Field::city);
  p.work_station = value(Field::work_station);

  if (std::string raw = value(Field::email); !raw.empty()) {
    if (auto email = try_normalize_email(raw)) {
      p.email = std::move(*email);
    } else {
      scope.error(m_columns[at(Field::email)], "bad_email",
                  fmt::format("{} {} is not a valid email address", m_columns[at(Field::email)],
                              shown(raw)));
    }
  }

  if (std::string raw = value(Field::mobile); !raw.empty()) {
    if (kind(Field::mobile) == CellKind::number) {
      scope.error(m_columns[at(Field::mobile)], "bad_mobile",
                  fmt::format("{} {} is a JSON number that is not an exact integer; write mobiles "
                              "as JSON strings",
                              m_columns[at(Field::mobile)], raw));
    } else {
      auto result = m_mobiles.normalize(raw);
      if (result.e164.empty()) {
        scope.error(m_columns[at(Field::mobile)], "bad_mobile",
                    fmt::format("{} {} {}", m_columns[at(Field::mobile)], shown(raw), result.problem));
      } else {
        p.mobile = std::move(result.e164);
      }
    }
  }

  if (std::string raw = value(Field::department); !raw.empty()) {
    const std::string& column = m_columns[at(Field::department)];
    if (m_config.department_key == config::DepartmentKey::department_id) {
      p.department_id = std::move(raw);
    } else {
      const std::string& sep = m_config.department_separator.empty() ? std::string("/")
                                                                     : m_config.department_separator;
      std::vector<std::string> levels;
      std::size_t start = 0;
      while (true) {
        const std::size_t next = raw.find(sep, start);
        levels.emplace_back(trim(std::string_view(raw).substr(
          start, next == std::string::npos ? std::string::npos : next - start)));
        if (next == std::string::npos) {
          break;
        }
        start = next + sep.size();
      }
      // A separator at either end ("/总部/技术部") is tolerated; an empty level inside is not.
      if (!levels.empty() && levels.front().empty()) {
        levels.erase(levels.begin());
      }
      if (!levels.empty() && levels.back().empty()) {
        levels.pop_back();
      }
      bool empty_level = levels.empty();
      for (const auto& level : levels) {
        empty_level = empty_level || level.empty();
      }
      if (empty_level) {
        scope.error(column, "bad_department",
                    fmt::format("{} {} has an empty level; write the path as levels separated by "
                                "\"{}\" (总部{}技术部{}后端组)",
                                column, shown(raw), sep, sep, sep));
      } else {
        p.department_path = std::move(levels);
      }
    }
  }

  p.leader_employee_no = code(Field::leader);

  if (std::string raw = value(Field::employee_type); !raw.empty()) {
    if (auto v = mapped_value(Field::employee_type, raw)) {
      if (auto n = try_parse_int(*v); n && *n > 0) {
        p.employee_type = *n;
      } else {
        scope.error(m_columns[at(Field::employee_type)], "unknown_value",
                    fmt::format("{} {} is not an employee type: it must map (hr.values.employee_type) "
                                "to a positive number such as 1 (full-time)",
                                m_columns[at(Field::employee_type)], shown(raw)));
      }
    }
  }

  if (std::string raw = value(Field::gender); !raw.empty()) {
    if (auto v = mapped_value(Field::gender, raw)) {
      if (auto n = try_parse_int(*v); n && *n >= 0 && *n <= 3) {
        p.gender = *n;
      } else {
        scope.error(m_columns[at(Field::gender)], "unknown_value",
                    fmt::format("{} {} is not a gender: it must map (hr.values.gender) to 0 "
                                "(unspecified), 1 (male), 2 (female) or 3 (other)",
                                m_columns[at(Field::gender)], shown(raw)));
      }
    }
  }

  if (std::string raw = value(Field::join_date); !raw.empty()) {
    const std::string& column = m_columns[at(Field::join_date)];
    if (auto t = try_parse_date(raw)) {
      p.join_time = *t;
    } else if (auto n = try_parse_int(raw); n && *n >= 10000 && *n <= 99999) {
      scope.error(column, "bad_date",
                  fmt::format("{} {} looks like a spreadsheet's internal day number; format the "
                              "column as a date (YYYY-MM-DD) and export again",
                              column, shown(raw)));
    } else {
      scope.error(column, "bad_date",
                  fmt::format("{} {} is not a date; write it as YYYY-MM-DD (2024-03-01), "
                              "YYYY/M/D, YYYYMMDD or YYYY年M月D日",
                              column, shown(raw)));
    }
  }

  // Required values. A terminated row only needs its employee number: it says who left.
  const auto require = [&](Field f, bool present) {
    if (!present) {
      scope.error(m_columns[at(f)], "missing_value",
                  fmt::format("{} is empty; it is required", m_columns[at(f)]));
    }
  };
  // A value that was there but unusable has been reported already; only blanks are "missing".
  require(Field::employee_no, !blank(Field::employee_no));
  if (active) {
    require(Field::name, !blank(Field::name));
    require(Field::department, !blank(Field::department));
    if (blank(Field::email) && blank(Field::mobile)) {
      const std::string& email_col = m_columns[at(Field::email)];
      const std::string& mobile_col = m_columns[at(Field::mobile)];
      std::string columns = email_col.empty() ? mobile_col
                            : mobile_col.empty() ? email_col
                                                 : email_col + " and " + mobile_col;
      scope.error(email_col.empty() ? mobile_col : email_col, "missing_contact",
                  fmt::format("{} {} empty; an active employee needs an email or a mobile",
                              columns, email_col.empty() || mobile_col.empty() ? "is" : "are both"));
    }
  }

  out.ok = scope.ok() && !p.employee_no.empty();
  return out;
}

} // namespace dirsync::hr
