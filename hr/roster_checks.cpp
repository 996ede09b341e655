#include "hr/roster_checks.hpp"

#include <fmt/format.h>

#include <unordered_map>
#include <unordered_set>

namespace dirsync::hr {

namespace {

// One row: its person and whether it is still usable (both live in MappedRows' vectors).
struct Row
{
  Person& person;
  char& ok;
};

struct Rows
{
  MappedRows& m;
  std::size_t size() const { return m.people.size(); }
  Row operator[](std::size_t i) { return {m.people[i], m.ok[i]}; }
};

bool is_active(const Row& r)
{
  return r.person.status == EmploymentStatus::active;
}

void row_problem(Row r, Severity severity, const std::string& column, std::string code,
                 std::string message, Report& report)
{
  if (severity == Severity::error) {
    r.ok = 0;
  }
  report.add({r.person.row, column, r.person.employee_no, severity, std::move(code), std::move(message)});
}

std::string join_path(const std::vector<std::string>& levels, std::string_view sep)
{
  std::string out;
  for (const auto& l : levels) {
    if (!out.empty()) {
      out += sep;
    }
    out += l;
  }
  return out;
}

bool check_employee_numbers(Rows& rows, const RowMapper& mapper, std::string_view word,
                            std::unordered_map<std::string_view, std::size_t>& by_no, Report& report)
{
  const std::string& column = mapper.column_of(Field::employee_no);
  std::unordered_set<std::size_t> reported_first;
  std::vector<std::string> examples;
  std::size_t duplicated = 0;
  by_no.reserve(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::string& no = rows[i].person.employee_no;
    if (no.empty()) {
      continue;
    }
    auto [it, fresh] = by_no.emplace(no, i);
    if (fresh) {
      continue;
    }
    Row first = rows[it->second];
    if (reported_first.insert(it->second).second) {
      ++duplicated;
      if (examples.size() < 5) {
        examples.push_back(fmt::format("{} ({}s {} and {})", no, word, first.person.row, rows[i].person.row));
      }
      row_problem(first, Severity::error, column, "duplicate_employee_no",
                  fmt::format("employee number {} is also on {} {}", no, word, rows[i].person.row),
                  report);
    }
    row_problem(rows[i], Severity::error, column, "duplicate_employee_no",
                fmt::format("employee number {} is also on {} {}", no, word, first.person.row), report);
  }
  if (duplicated == 0) {
    return true;
  }
  std::string list;
  for (const auto& e : examples) {
    list += list.empty() ? "" : ", ";
    list += e;
  }
  report.add({0, column, {}, Severity::fatal, "duplicate_employee_no",
              fmt::format("{} employee number(s) appear on more than one {} ({}{}); an employee "
                          "number must name exactly one person, so the file cannot be trusted",
                          duplicated, word, list, duplicated > examples.size() ? ", ..." : "")});
  return false;
}

// Two active people cannot share an email or a mobile in Feishu; neither row is used.
void check_unique(Rows& rows, Field field, const RowMapper& mapper, std::string_view word,
                  Report& report)
{
  const std::string& column = mapper.column_of(field);
  const std::string_view what = field == Field::email ? "email" : "mobile";
  std::unordered_map<std::string_view, std::size_t> first;
  std::unordered_set<std::size_t> reported_first;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!is_active(rows[i])) {
      continue;
    }
    const std::string& v = field == Field::email ? rows[i].person.email : rows[i].person.mobile;
    if (v.empty()) {
      continue;
    }
    auto [it, fresh] = first.emplace(v, i);
    if (fresh) {
      continue;
    }
    const std::string code = fmt::format("duplicate_{}", what);
    Row f = rows[it->second];
    if (reported_first.insert(it->second).second) {
      row_problem(f, Severity::error, column, code,
                  fmt::format("{} {} is also on {} {} (employee {})", what, v, word, rows[i].person.row,
                              rows[i].person.employee_no),
                  report);
    }
    row_problem(rows[i], Severity::error, column, code,
                fmt::format("{} {} is also on {} {} (employee {})", what, v, word, f.person.row,
                            f.person.employee_no),
                report);
  }
}

void check_departments(Rows& rows, const CheckInput& in, Report& report)
{
  const std::string& column = in.mapper->column_of(Field::department);
  if (!in.context->known_departments) {
    report.add({0, column, {}, Severity::info, "check_skipped",
                "departments were not checked against the departments in Feishu (no mirror was "
                "available); unknown departments will be found when a plan is made"});
    return;
  }
  const auto& known = *in.context->known_departments;
  for (std::size_t ri = 0; ri < rows.size(); ++ri) {
    Row r = rows[ri];
    if (!is_active(r)) {
      continue;
    }
    const auto& p = r.person;
    if (in.department_key == config::DepartmentKey::department_id) {
      if (!p.department_id.empty() && !known.ids.contains(p.department_id)) {
        row_problem(r, Severity::error, column, "unknown_department",
                    fmt::format("department id {} does not exist in Feishu; create the department "
                                "(or fix the id) and send the file again",
                                p.department_id),
                    report);
      }
    } else if (!p.department_path.empty() && !known.paths.contains(p.department_path)) {
      row_problem(r, Severity::error, column, "unknown_department",
                  fmt::format("department {} does not exist in Feishu; create it (or fix the path) "
                              "and send the file again",
                              join_path(p.department_path, "/")),
                  report);
    }
  }
}

void check_leaders(Rows& rows, const CheckInput& in,
                   const std::unordered_map<std::string_view, std::size_t>& by_no,
                   std::string_view word, Report& report)
{
  const std::string& column = in.mapper->column_of(Field::leader);
  constexpr std::size_t k_none = static_cast<std::size_t>(-1);

  // Self-leaders first: a one-person cycle said plainly.
  for (std::size_t ri = 0; ri < rows.size(); ++ri) {
    Row r = rows[ri];
    if (is_active(r) && !r.person.leader_employee_no.empty() &&
        r.person.leader_employee_no == r.person.employee_no) {
      row_problem(r, Severity::error, column, "self_leader",
                  fmt::format("employee {} is their own leader; leave the leader empty or name "
                              "someone else",
                              r.person.employee_no),
                  report);
    }
  }

  // Cycles: each row has at most one leader, so following leaders from any row either ends or
  // enters a cycle. Walk from every unvisited row; a row met again on the same walk closes a cycle.
  std::vector<std::size_t> next(rows.size(), k_none);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].ok || !is_active(rows[i]) || rows[i].person.leader_employee_no.empty()) {
      continue;
    }
    auto it = by_no.find(rows[i].person.leader_employee_no);
    if (it != by_no.end() && rows[it->second].ok && is_active(rows[it->second])) {
      next[i] = it->second;
    }
  }
  enum : unsigned char { unvisited, on_walk, done };
  std::vector<unsigned char> state(rows.size(), unvisited);
  std::vector<std::size_t> walk;
  std::vector<std::vector<std::size_t>> cycles;
  for (std::size_t start = 0; start < rows.size(); ++start) {
    if (state[start] != unvisited) {
      continue;
    }
    walk.clear();
    std::size_t i = start;
    while (i != k_none && state[i] == unvisited) {
      state[i] = on_walk;
      walk.push_back(i);
      i = next[i];
    }
    if (i != k_none && state[i] == on_walk) {
      auto from = std::find(walk.begin(), walk.end(), i);
      cycles.emplace_back(from, walk.end());
    }
    for (std::size_t w : walk) {
      state[w] = done;
    }
  }
  for (const auto& cycle : cycles) {
    std::string chain;
    for (std::size_t i : cycle) {
      chain += fmt::format("{} ({} {}) → ", rows[i].person.employee_no, word, rows[i].person.row);
    }
    chain += rows[cycle.front()].person.employee_no;
    for (std::size_t i : cycle) {
      row_problem(rows[i], Severity::error, column, "leader_cycle",
                  fmt::format("the leaders form a cycle: {}; a chain of leaders must end with "
                              "someone who has no leader",
                              chain),
                  report);
    }
  }

  // Leaders that are not (usable) in the file. Errors are reported on every row, so that a row
  // comes back with all its problems at once; warnings only on rows that are used.
  for (std::size_t ri = 0; ri < rows.size(); ++ri) {
    Row r = rows[ri];
    const std::string& leader = r.person.leader_employee_no;
    if (!is_active(r) || leader.empty() || leader == r.person.employee_no) {
      continue;
    }
    if (auto it = by_no.find(leader); it != by_no.end()) {
      Row l = rows[it->second];
      if (!r.ok) {
        continue;
      }
      if (!l.ok) {
        row_problem(r, Severity::warning, column, "leader_held",
                    fmt::format("leader {} has errors on {} {}; until that row is fixed the leader "
                                "is taken as they are in Feishu",
                                leader, word, l.person.row),
                    report);
      } else if (!is_active(l)) {
        row_problem(r, Severity::warning, column, "leader_left",
                    fmt::format("leader {} is marked as having left ({} {}); this row needs a new "
                                "leader",
                                leader, word, l.person.row),
                    report);
      }
      continue;
    }
    if (in.mode == config::HrMode::full) {
      row_problem(r, Severity::error, column, "leader_not_found",
                  fmt::format("leader {} is not in the file; a full export must list every leader "
                              "(or leave the leader empty)",
                              leader),
                  report);
    } else if (!in.context->is_known_employee) {
      if (!r.ok) {
        continue;
      }
      row_problem(r, Severity::warning, column, "leader_unchecked",
                  fmt::format("leader {} is not in this file and could not be looked up (no mirror "
                              "available); it is checked again when a plan is made",
                              leader),
                  report);
    } else if (!in.context->is_known_employee(leader)) {
      row_problem(r, Severity::error, column, "leader_not_found",
                  fmt::format("leader {} is neither in this file nor a known employee in Feishu",
                              leader),
                  report);
    }
  }
}

} // namespace

bool check_rows(MappedRows& mapped, const CheckInput& in, Report& report)
{
  Rows rows{mapped};
  const std::string_view word = row_word(report.format);
  std::unordered_map<std::string_view, std::size_t> by_no;
  const bool unique = check_employee_numbers(rows, *in.mapper, word, by_no, report);
  if (!in.mapper->column_of(Field::email).empty()) {
    check_unique(rows, Field::email, *in.mapper, word, report);
  }
  if (!in.mapper->column_of(Field::mobile).empty()) {
    check_unique(rows, Field::mobile, *in.mapper, word, report);
  }
  check_departments(rows, in, report);
  if (!in.mapper->column_of(Field::leader).empty()) {
    check_leaders(rows, in, by_no, word, report);
  }
  return unique;
}

} // namespace dirsync::hr
