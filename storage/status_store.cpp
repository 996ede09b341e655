#include "storage/status_store.hpp"

#include "storage/sqlite_access.hpp"

namespace dirsync::storage {

namespace {

std::string text_or_empty(const SQLite::Column& column)
{
  return column.isNull() ? std::string() : column.getString();
}

std::vector<std::string> string_list(const SQLite::Column& column)
{
  std::vector<std::string> out;
  if (column.isNull()) {
    return out;
  }
  const json::Value value = json_column(column);
  if (value.is_array()) {
    for (const json::Value& item : value.as_array()) {
      out.push_back(item.is_string() ? item.as_string() : item.dump());
    }
  }
  return out;
}

constexpr const char* k_plan_columns = R"(
  p.id, p.created_at, p.status, f.name, p.held_reasons,
  p.creates, p.updates, p.deletes, p.resurrects, p.freezes, p.set_leaders,
  (SELECT count(*) FROM operations o WHERE o.plan_id = p.id AND o.state = 'done'),
  (SELECT count(*) FROM operations o WHERE o.plan_id = p.id AND o.state = 'failed'),
  (SELECT count(*) FROM operations o WHERE o.plan_id = p.id AND o.state IN ('pending', 'in_flight')),
  p.error
  FROM plans p JOIN hr_files f ON f.id = p.hr_file_id)";

PlanRow read_plan(SQLite::Statement& st)
{
  PlanRow row;
  row.id = st.getColumn(0).getInt64();
  row.created_at = st.getColumn(1).getInt64();
  row.status = st.getColumn(2).getString();
  row.hr_file = st.getColumn(3).getString();
  row.held_reasons = string_list(st.getColumn(4));
  row.creates = st.getColumn(5).getInt64();
  row.updates = st.getColumn(6).getInt64();
  row.deletes = st.getColumn(7).getInt64();
  row.resurrects = st.getColumn(8).getInt64();
  row.freezes = st.getColumn(9).getInt64();
  row.set_leaders = st.getColumn(10).getInt64();
  row.ops_done = st.getColumn(11).getInt64();
  row.ops_failed = st.getColumn(12).getInt64();
  row.ops_left = st.getColumn(13).getInt64();
  row.error = text_or_empty(st.getColumn(14));
  return row;
}

} // namespace

StatusStore::StatusStore(Database& db)
  : m_db(db)
{
}

StatusSnapshot StatusStore::load(int recent) const
{
  StatusSnapshot s;
  Transaction snapshot(m_db);
  auto& sql = SqliteAccess::connection(m_db);
  guarded(m_db, "reading the status", [&] {
    {
      SQLite::Statement st(sql, R"(
        SELECT id, started_at, finished_at, coalesce(result, 'running'), coalesce(trust_reason, error, ''),
               departments_seen, users_seen
          FROM refresh_runs ORDER BY id DESC LIMIT ?)");
      st.bind(1, recent);
      while (st.executeStep()) {
        RefreshRunRow row;
        row.id = st.getColumn(0).getInt64();
        row.started_at = st.getColumn(1).getInt64();
        row.finished_at = nullable_int(st.getColumn(2));
        row.result = st.getColumn(3).getString();
        row.detail = st.getColumn(4).getString();
        row.departments_seen = st.getColumn(5).getInt64();
        row.users_seen = st.getColumn(6).getInt64();
        s.refresh_runs.push_back(std::move(row));
      }
    }
    {
      SQLite::Statement st(sql, "SELECT max(finished_at) FROM refresh_runs WHERE result = 'ok'");
      if (st.executeStep()) {
        s.last_ok_refresh_at = nullable_int(st.getColumn(0));
      }
    }
    {
      SQLite::Statement st(sql, std::string("SELECT ") + k_plan_columns + " ORDER BY p.id DESC LIMIT ?");
      st.bind(1, recent);
      while (st.executeStep()) {
        s.plans.push_back(read_plan(st));
      }
    }
    {
      SQLite::Statement st(sql, std::string("SELECT ") + k_plan_columns + " WHERE p.status = 'held' ORDER BY p.id");
      while (st.executeStep()) {
        s.held_plans.push_back(read_plan(st));
      }
    }
    {
      SQLite::Statement st(sql, "SELECT status, count(*) FROM plans GROUP BY status");
      while (st.executeStep()) {
        s.plans_by_status[st.getColumn(0).getString()] = st.getColumn(1).getInt64();
      }
    }
    {
      SQLite::Statement st(sql, R"(
        SELECT o.plan_id, o.seq, o.kind, coalesce(o.employee_no, ''),
               coalesce(u.name, json_extract(o.payload, '$.name'), ''), o.code, coalesce(o.msg, ''),
               coalesce(o.log_id, ''), o.finished_at
          FROM operations o LEFT JOIN users u ON u.open_id = o.open_id
         WHERE o.state = 'failed'
         ORDER BY o.finished_at DESC, o.id DESC LIMIT ?)");
      st.bind(1, recent * 2);
      while (st.executeStep()) {
        FailedOperationRow row;
        row.plan_id = st.getColumn(0).getInt64();
        row.seq = st.getColumn(1).getInt64();
        row.kind = st.getColumn(2).getString();
        row.employee_no = st.getColumn(3).getString();
        row.name = st.getColumn(4).getString();
        row.code = nullable_int(st.getColumn(5));
        row.msg = st.getColumn(6).getString();
        row.log_id = st.getColumn(7).getString();
        row.failed_at = nullable_int(st.getColumn(8));
        s.failed_operations.push_back(std::move(row));
      }
    }
    {
      SQLite::Statement st(sql, "SELECT kind, state, count(*) FROM operations GROUP BY kind, state");
      while (st.executeStep()) {
        const std::int64_t n = st.getColumn(2).getInt64();
        s.operations[{st.getColumn(0).getString(), st.getColumn(1).getString()}] = n;
        if (st.getColumn(1).getString() == "failed") {
          s.failed_operations_total += n;
        }
      }
    }
    {
      SQLite::Statement st(sql, R"(
        SELECT id, name, status, coalesce(reason, ''), received_at, rows_valid, rows_invalid
          FROM hr_files ORDER BY received_at DESC, id DESC LIMIT ?)");
      st.bind(1, recent);
      while (st.executeStep()) {
        HrFileRow row;
        row.id = st.getColumn(0).getInt64();
        row.name = st.getColumn(1).getString();
        row.status = st.getColumn(2).getString();
        row.reason = st.getColumn(3).getString();
        row.received_at = st.getColumn(4).getInt64();
        row.rows_valid = st.getColumn(5).getInt64();
        row.rows_invalid = st.getColumn(6).getInt64();
        s.hr_files.push_back(std::move(row));
      }
    }
    {
      SQLite::Statement st(sql, "SELECT status, count(*) FROM hr_files GROUP BY status");
      while (st.executeStep()) {
        s.hr_files_by_status[st.getColumn(0).getString()] = st.getColumn(1).getInt64();
      }
    }
    {
      SQLite::Statement st(sql, "SELECT mirror_state, count(*) FROM users GROUP BY mirror_state");
      while (st.executeStep()) {
        s.mirror.users[st.getColumn(0).getString()] = st.getColumn(1).getInt64();
      }
    }
    {
      SQLite::Statement st(sql, R"(
        SELECT mirror_state, count(*) FROM departments WHERE open_department_id <> '0' GROUP BY mirror_state)");
      while (st.executeStep()) {
        s.mirror.departments[st.getColumn(0).getString()] = st.getColumn(1).getInt64();
      }
    }
    s.mirror.job_titles = sql.execAndGet("SELECT count(*) FROM job_titles").getInt64();
    s.mirror.units = sql.execAndGet("SELECT count(*) FROM units").getInt64();
    s.mirror.links = sql.execAndGet("SELECT count(*) FROM links WHERE unlinked_at IS NULL").getInt64();
  });
  return s;
}

} // namespace dirsync::storage
