#include "storage/hr_store.hpp"

#include "common/error.hpp"
#include "common/text.hpp"
#include "hr/normalize.hpp"
#include "storage/sqlite_access.hpp"

#include <fmt/format.h>

#include <map>
#include <unordered_map>

namespace dirsync::storage {

namespace {

std::optional<std::string> text_or_null(const std::string& s)
{
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

json::Value problem_json(const hr::Problem& p)
{
  return json::Value::object({{"column", p.column},
                              {"severity", std::string(hr::to_string(p.severity))},
                              {"code", p.code},
                              {"message", p.message}});
}

HrFileRecord read_file_record(SQLite::Statement& st)
{
  HrFileRecord r;
  r.id = st.getColumn(0).getInt64();
  r.path = st.getColumn(1).getString();
  r.name = st.getColumn(2).getString();
  r.moved_to = nullable_text(st.getColumn(3)).value_or("");
  r.sha256 = st.getColumn(4).getString();
  r.mode = st.getColumn(5).getString();
  r.received_at = st.getColumn(6).getInt64();
  r.accepted = st.getColumn(7).getString() == "accepted";
  r.reason = nullable_text(st.getColumn(8)).value_or("");
  r.rows_total = st.getColumn(9).getInt64();
  r.rows_valid = st.getColumn(10).getInt64();
  r.rows_invalid = st.getColumn(11).getInt64();
  r.present = st.getColumn(12).getInt64();
  return r;
}

constexpr const char* k_file_columns =
  "id, path, name, moved_to, sha256, mode, received_at, status, reason, rows_total, rows_valid, "
  "rows_invalid, present";

} // namespace

HrStore::HrStore(Database& db)
  : m_db(db)
{
}

std::int64_t HrStore::record(const std::filesystem::path& file, const hr::IntakeResult& result)
{
  const hr::Report& report = result.report;
  auto& sql = SqliteAccess::connection(m_db);
  return guarded(m_db, fmt::format("recording HR file {}", report.file_name), [&] {
    Transaction tx(m_db);

    SQLite::Statement insert_file(
      sql,
      "INSERT INTO hr_files (path, name, sha256, size_bytes, format, encoding, mode, received_at, "
      "status, reason, rows_total, rows_valid, rows_invalid, present, report) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    const auto valid = static_cast<std::int64_t>(report.counts.accepted_rows);
    const auto invalid = static_cast<std::int64_t>(report.counts.invalid_rows);
    insert_file.bind(1, std::filesystem::absolute(file).string());
    insert_file.bind(2, report.file_name);
    insert_file.bind(3, report.sha256);
    insert_file.bind(4, static_cast<std::int64_t>(report.size));
    bind_nullable(insert_file, 5,
                  report.encoding.empty() ? std::nullopt
                                          : std::optional<std::string>(hr::to_string(report.format)));
    bind_nullable(insert_file, 6, text_or_null(report.encoding));
    insert_file.bind(7, std::string(hr::to_string(report.mode)));
    insert_file.bind(8, report.checked_at);
    insert_file.bind(9, report.accepted ? "accepted" : "rejected");
    bind_nullable(insert_file, 10,
                  report.accepted ? std::nullopt
                                  : std::optional<std::string>(
                                      report.rejection_reasons.empty()
                                        ? std::string("rejected")
                                        : join(report.rejection_reasons, "; ")));
    insert_file.bind(11, valid + invalid);
    insert_file.bind(12, valid);
    insert_file.bind(13, invalid);
    insert_file.bind(14, static_cast<std::int64_t>(report.counts.present));
    bind_json(insert_file, 15, hr::to_json(report));
    insert_file.exec();
    const std::int64_t file_id = sql.getLastInsertRowid();

    // Problems by row: errors make a row invalid; warnings and infos ride along on valid rows.
    std::map<std::size_t, std::vector<const hr::Problem*>> by_row;
    for (const auto& p : report.problems) {
      if (p.row != 0) {
        by_row[p.row].push_back(&p);
      }
    }

    SQLite::Statement insert_row(
      sql,
      "INSERT INTO hr_rows (hr_file_id, row_number, employee_no, name, en_name, email, mobile, "
      "department, department_path, job_title, leader_employee_no, employee_type, join_time, "
      "join_date, status, city, work_station, gender, is_valid, problems) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");

    // The valid rows are the roster; they exist only for an accepted file.
    if (report.accepted) {
      for (const auto& person : result.roster.people) {
        json::Value problems = json::Value::array();
        if (auto it = by_row.find(person.row); it != by_row.end()) {
          for (const auto* p : it->second) {
            problems.push_back(problem_json(*p));
          }
          by_row.erase(it);
        }
        insert_row.bind(1, file_id);
        insert_row.bind(2, static_cast<std::int64_t>(person.row));
        insert_row.bind(3, person.employee_no);
        bind_nullable(insert_row, 4, text_or_null(person.name));
        bind_nullable(insert_row, 5, text_or_null(person.en_name));
        bind_nullable(insert_row, 6, text_or_null(person.email));
        bind_nullable(insert_row, 7, text_or_null(person.mobile));
        if (!person.department_path.empty()) {
          insert_row.bind(8, join(person.department_path, "/"));
          bind_json(insert_row, 9, json::Value::string_array(person.department_path));
        } else {
          bind_nullable(insert_row, 8, text_or_null(person.department_id));
          insert_row.bind(9);
        }
        bind_nullable(insert_row, 10, text_or_null(person.job_title));
        bind_nullable(insert_row, 11, text_or_null(person.leader_employee_no));
        bind_nullable(insert_row, 12,
                      person.employee_type ? std::optional<std::int64_t>(*person.employee_type)
                                           : std::nullopt);
        bind_nullable(insert_row, 13, person.join_time);
        bind_nullable(insert_row, 14,
                      person.join_time ? std::optional<std::string>(format_date(*person.join_time, hr::k_hr_date_utc_offset))
                                       : std::nullopt);
        insert_row.bind(15, person.status == hr::EmploymentStatus::active ? "active" : "terminated");
        bind_nullable(insert_row, 16, text_or_null(person.city));
        bind_nullable(insert_row, 17, text_or_null(person.work_station));
        bind_nullable(insert_row, 18,
                      person.gender ? std::optional<std::int64_t>(*person.gender) : std::nullopt);
        insert_row.bind(19, 1);
        bind_json(insert_row, 20, problems);
        insert_row.exec();
        insert_row.reset();
        insert_row.clearBindings();
      }
    }

    // Rows with errors (of an accepted or a rejected file): kept, marked, for v_rejected_rows.
    for (const auto& [row, problems] : by_row) {
      bool has_error = false;
      std::string employee_no;
      json::Value list = json::Value::array();
      for (const auto* p : problems) {
        has_error = has_error || p->severity == hr::Severity::error;
        if (employee_no.empty()) {
          employee_no = p->employee_no;
        }
        list.push_back(problem_json(*p));
      }
      if (!has_error) {
        continue; // only warnings, on a row of a rejected file: nothing to keep
      }
      insert_row.bind(1, file_id);
      insert_row.bind(2, static_cast<std::int64_t>(row));
      bind_nullable(insert_row, 3, text_or_null(employee_no));
      insert_row.bind(19, 0);
      bind_json(insert_row, 20, list);
      insert_row.exec();
      insert_row.reset();
      insert_row.clearBindings();
    }

    tx.commit();
    return file_id;
  });
}

void HrStore::set_moved_to(std::int64_t hr_file_id, const std::filesystem::path& moved_to)
{
  auto& sql = SqliteAccess::connection(m_db);
  guarded(m_db, fmt::format("noting where HR file {} was moved", hr_file_id), [&] {
    SQLite::Statement st(sql, "UPDATE hr_files SET moved_to = ? WHERE id = ?");
    st.bind(1, moved_to.string());
    st.bind(2, hr_file_id);
    st.exec();
  });
}

std::optional<HrFileRecord> HrStore::find_file(std::int64_t hr_file_id) const
{
  auto& sql = SqliteAccess::connection(m_db);
  return guarded(m_db, fmt::format("reading HR file {}", hr_file_id), [&] {
    SQLite::Statement st(sql, fmt::format("SELECT {} FROM hr_files WHERE id = ?", k_file_columns));
    st.bind(1, hr_file_id);
    return st.executeStep() ? std::optional<HrFileRecord>(read_file_record(st)) : std::nullopt;
  });
}

std::optional<HrFileRecord> HrStore::find_latest_accepted(const std::string& mode) const
{
  auto& sql = SqliteAccess::connection(m_db);
  return guarded(m_db, "finding the last accepted HR file", [&] {
    SQLite::Statement st(sql, fmt::format("SELECT {} FROM hr_files WHERE status = 'accepted' "
                                          "AND (?1 = '' OR mode = ?1) "
                                          "ORDER BY received_at DESC, id DESC LIMIT 1",
                                          k_file_columns));
    st.bind(1, mode);
    return st.executeStep() ? std::optional<HrFileRecord>(read_file_record(st)) : std::nullopt;
  });
}

hr::Roster HrStore::load_roster(std::int64_t hr_file_id) const
{
  auto file = find_file(hr_file_id);
  if (!file) {
    throw StorageError(fmt::format("{}: HR file {} is not recorded", m_db.file().string(), hr_file_id));
  }
  if (!file->accepted) {
    throw StorageError(fmt::format("{}: HR file {} ({}) was rejected and has no roster: {}",
                                   m_db.file().string(), hr_file_id, file->name, file->reason));
  }
  auto& sql = SqliteAccess::connection(m_db);
  return guarded(m_db, fmt::format("reading the roster of HR file {}", hr_file_id), [&] {
    hr::Roster roster;
    SQLite::Statement st(
      sql,
      "SELECT row_number, employee_no, name, en_name, email, mobile, department, department_path, "
      "job_title, leader_employee_no, employee_type, join_time, status, city, work_station, "
      "gender, is_valid FROM hr_rows WHERE hr_file_id = ? ORDER BY row_number");
    st.bind(1, hr_file_id);
    while (st.executeStep()) {
      if (st.getColumn(16).getInt() == 0) {
        if (auto no = nullable_text(st.getColumn(1))) {
          roster.held_employee_nos.push_back(*no);
        }
        continue;
      }
      hr::Person p;
      p.row = static_cast<std::size_t>(st.getColumn(0).getInt64());
      p.employee_no = st.getColumn(1).getString();
      p.name = nullable_text(st.getColumn(2)).value_or("");
      p.en_name = nullable_text(st.getColumn(3)).value_or("");
      p.email = nullable_text(st.getColumn(4)).value_or("");
      p.mobile = nullable_text(st.getColumn(5)).value_or("");
      if (st.getColumn(7).isNull()) {
        p.department_id = nullable_text(st.getColumn(6)).value_or("");
      } else {
        const json::Value path = json_column(st.getColumn(7));
        for (const auto& level : path.as_array()) {
          p.department_path.push_back(level.as_string());
        }
      }
      p.job_title = nullable_text(st.getColumn(8)).value_or("");
      p.leader_employee_no = nullable_text(st.getColumn(9)).value_or("");
      if (auto t = nullable_int(st.getColumn(10))) {
        p.employee_type = static_cast<int>(*t);
      }
      p.join_time = nullable_int(st.getColumn(11));
      p.status = st.getColumn(12).getString() == "terminated" ? hr::EmploymentStatus::terminated
                                                               : hr::EmploymentStatus::active;
      p.city = nullable_text(st.getColumn(13)).value_or("");
      p.work_station = nullable_text(st.getColumn(14)).value_or("");
      if (auto g = nullable_int(st.getColumn(15))) {
        p.gender = static_cast<int>(*g);
      }
      roster.people.push_back(std::move(p));
    }
    return roster;
  });
}

hr::KnownDepartments HrStore::load_known_departments() const
{
  auto& sql = SqliteAccess::connection(m_db);
  return guarded(m_db, "reading the mirror's departments", [&] {
    struct Node
    {
      std::string parent;
      std::string name;
    };
    std::unordered_map<std::string, Node> nodes;
    hr::KnownDepartments known;
    SQLite::Statement st(sql,
                         "SELECT open_department_id, parent_open_department_id, name, department_id "
                         "FROM departments WHERE mirror_state = 'active' AND is_deleted = 0");
    while (st.executeStep()) {
      const std::string id = st.getColumn(0).getString();
      if (id == "0") {
        continue; // the root has no name in a path
      }
      nodes[id] = Node{nullable_text(st.getColumn(1)).value_or("0"), st.getColumn(2).getString()};
      if (auto department_id = nullable_text(st.getColumn(3)); department_id && !department_id->empty()) {
        known.ids.insert(*department_id);
      }
    }
    // Each department's path of names from the top. A department whose chain of parents leaves
    // the mirror (a narrowed scope) or loops is left out rather than given a wrong path.
    for (const auto& [id, node] : nodes) {
      std::vector<std::string> path{node.name};
      std::string parent = node.parent;
      bool complete = true;
      for (std::size_t depth = 0; parent != "0"; ++depth) {
        auto it = nodes.find(parent);
        if (it == nodes.end() || depth > nodes.size()) {
          complete = false;
          break;
        }
        path.push_back(it->second.name);
        parent = it->second.parent;
      }
      if (complete) {
        known.paths.insert(std::vector<std::string>(path.rbegin(), path.rend()));
      }
    }
    return known;
  });
}

bool HrStore::has_employee(const std::string& employee_no) const
{
  auto& sql = SqliteAccess::connection(m_db);
  return guarded(m_db, "looking up an employee number", [&] {
    SQLite::Statement st(sql,
                         "SELECT 1 FROM users WHERE employee_no = ?1 "
                         "UNION ALL SELECT 1 FROM links WHERE employee_no = ?1 AND unlinked_at IS NULL "
                         "LIMIT 1");
    st.bind(1, employee_no);
    return st.executeStep();
  });
}

} // namespace dirsync::storage
