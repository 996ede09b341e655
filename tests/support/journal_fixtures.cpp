#include "support/journal_fixtures.hpp"

#include "storage/sqlite_access.hpp"

#include <SQLiteCpp/Statement.h>

namespace dirsync::testing {

using storage::SqliteAccess;

std::int64_t insert_plan(storage::Database& db, const storage::Plan& plan)
{
  auto& sql = SqliteAccess::connection(db);
  storage::Transaction transaction(db);
  SQLite::Statement file(sql, "INSERT INTO hr_files (path, name, sha256, size_bytes, mode, received_at, status) "
                              "VALUES ('/hr/test.csv', 'test.csv', ?, 0, 'full', 1, 'accepted')");
  file.bind(1, std::string(64, 'a'));
  file.exec();
  const auto file_id = sql.getLastInsertRowid();
  sql.exec("INSERT INTO refresh_runs (started_at, finished_at, result, base_url, app_id) "
           "VALUES (1, 2, 'ok', 'http://127.0.0.1', 'cli_test')");
  const auto refresh_id = sql.getLastInsertRowid();

  const auto status = std::string(storage::to_string(plan.status));
  const bool approved = status == "approved" || status == "applying" || status == "done" || status == "failed";
  SQLite::Statement st(sql, "INSERT INTO plans (created_at, hr_file_id, refresh_run_id, status, held_reasons, "
                            "approved_by, approved_at, started_at, finished_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)");
  st.bind(1, file_id);
  st.bind(2, refresh_id);
  st.bind(3, status);
  if (status == "held") {
    st.bind(4, "[\"held by a test\"]");
  } else {
    st.bind(4);
  }
  if (approved) {
    st.bind(5, "test");
    st.bind(6, 1);
  } else {
    st.bind(5);
    st.bind(6);
  }
  if (status == "applying" || status == "done" || status == "failed") {
    st.bind(7, 1);
  } else {
    st.bind(7);
  }
  if (status == "done" || status == "failed") {
    st.bind(8, 2);
  } else {
    st.bind(8);
  }
  st.exec();
  const auto plan_id = sql.getLastInsertRowid();

  SQLite::Statement op(sql, "INSERT INTO operations (plan_id, seq, kind, employee_no, open_id, client_token, reason, "
                            "payload, precondition) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (const auto& o : plan.operations) {
    op.reset();
    op.clearBindings();
    op.bind(1, plan_id);
    op.bind(2, o.seq);
    op.bind(3, std::string(storage::to_string(o.kind)));
    storage::bind_nullable(op, 4, o.employee_no.empty() ? std::nullopt : std::optional<std::string>(o.employee_no));
    storage::bind_nullable(op, 5, o.open_id.empty() ? std::nullopt : std::optional<std::string>(o.open_id));
    storage::bind_nullable(op, 6, o.client_token.empty() ? std::nullopt : std::optional<std::string>(o.client_token));
    op.bind(7, o.reason);
    storage::bind_json(op, 8, o.payload);
    if (o.precondition.is_null()) {
      op.bind(9);
    } else {
      storage::bind_json(op, 9, o.precondition);
    }
    op.exec();
  }
  transaction.commit();
  return plan_id;
}

void insert_mirror_user(storage::Database& db, const std::string& open_id, const std::string& employee_no,
                        const std::string& name)
{
  SQLite::Statement st(SqliteAccess::connection(db),
                       "INSERT INTO users (open_id, employee_no, name, raw, first_seen, last_seen) "
                       "VALUES (?, ?, ?, '{}', 1, 1)");
  st.bind(1, open_id);
  st.bind(2, employee_no);
  st.bind(3, name);
  st.exec();
}

std::string operation_column(storage::Database& db, std::int64_t plan_id, int seq, const std::string& column)
{
  SQLite::Statement st(SqliteAccess::connection(db),
                       "SELECT coalesce(CAST(" + column + " AS TEXT), 'NULL') FROM operations WHERE plan_id = ? AND seq = ?");
  st.bind(1, plan_id);
  st.bind(2, seq);
  if (!st.executeStep()) {
    return "no such operation";
  }
  return st.getColumn(0).getString();
}

} // namespace dirsync::testing
