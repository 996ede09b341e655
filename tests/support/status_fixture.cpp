#include "support/status_fixture.hpp"

#include "storage/database.hpp"
#include "storage/sqlite_access.hpp"

namespace dirsync::testing {

void write_status_fixture(const std::filesystem::path& database)
{
  storage::Database db(database);
  auto& sql = storage::SqliteAccess::connection(db);
  sql.exec(R"SQL(
    INSERT INTO refresh_runs (id, started_at, finished_at, result, error, base_url, app_id, departments_seen, users_seen)
      VALUES (1, 1700000000, 1700000010, 'failed', 'connection refused', 'http://127.0.0.1:1', 'cli_demo', 0, 0),
             (2, 1700000100, 1700000110, 'ok', NULL, 'http://127.0.0.1:1', 'cli_demo', 2, 3);
    INSERT INTO departments (open_department_id, parent_open_department_id, name, raw, first_seen, last_seen)
      VALUES ('0', NULL, 'root', '{}', 1700000100, 1700000100),
             ('od-1', '0', '技术部', '{}', 1700000100, 1700000100);
    INSERT INTO users (open_id, employee_no, name, mirror_state, resigned_seen_at, raw, first_seen, last_seen)
      VALUES ('ou_1', 'E1', '王一', 'active', NULL, '{}', 1700000100, 1700000100),
             ('ou_2', 'E2', '李二', 'active', NULL, '{}', 1700000100, 1700000100),
             ('ou_3', 'E3', '张三', 'resigned', 1700000100, '{}', 1700000100, 1700000100);
    INSERT INTO links (employee_no, open_id, method, linked_at) VALUES ('E1', 'ou_1', 'employee_no', 1700000100);
    INSERT INTO hr_files (id, path, name, sha256, size_bytes, mode, received_at, status, reason, rows_total, rows_valid, rows_invalid)
      VALUES (1, '/inbox/a.csv', 'a.csv', printf('%064d', 1), 10, 'full', 1700000200, 'accepted', NULL, 3, 3, 0),
             (2, '/inbox/b.csv', 'b.csv', printf('%064d', 2), 10, 'full', 1700000300, 'rejected', 'duplicate employee numbers', 0, 0, 0);
    INSERT INTO plans (id, created_at, hr_file_id, refresh_run_id, status, creates, updates, approved_by, approved_at, started_at, finished_at)
      VALUES (1, 1700000210, 1, 2, 'done', 1, 1, 'auto', 1700000210, 1700000211, 1700000220);
    INSERT INTO operations (plan_id, seq, kind, employee_no, open_id, client_token, reason, payload, state, attempts, code, msg, log_id, started_at, finished_at)
      VALUES (1, 1, 'create', 'E4', NULL, 'tok-1', 'new in HR', '{"name":"赵四"}', 'failed', 1, 41012, 'mobile already exists', 'log-abc', 1700000212, 1700000213),
             (1, 2, 'update', 'E2', 'ou_2', NULL, 'job title changed', '{"job_title":"x"}', 'done', 1, 0, 'success', 'log-def', 1700000214, 1700000215);
    INSERT INTO plans (id, created_at, hr_file_id, refresh_run_id, status, held_reasons, deletes)
      VALUES (2, 1700000230, 1, 2, 'held', '["3 deletes > max_deletes 2", "the first plan against this tenant"]', 3);
  )SQL");
}

} // namespace dirsync::testing
