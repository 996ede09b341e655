#include "storage/database.hpp"

#include "common/error.hpp"
#include "storage/schema.hpp"
#include "storage/sqlite_access.hpp"
#include "support/scratch_dir.hpp"

#include <SQLiteCpp/Statement.h>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

using dirsync::StorageError;
using dirsync::storage::Database;
using dirsync::storage::OpenMode;
using dirsync::storage::Schema;
using dirsync::storage::SqliteAccess;
using dirsync::storage::Transaction;
using dirsync::testing::ScratchDir;

namespace {

// Every object of the schema as (type, name, sql), in a stable order.
std::vector<std::string> schema_objects(Database& db)
{
  SQLite::Statement st(SqliteAccess::connection(db),
                       "SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master "
                       "ORDER BY type, name");
  std::vector<std::string> out;
  while (st.executeStep()) {
    out.push_back(st.getColumn(0).getString());
  }
  return out;
}

std::vector<std::string> names_of(Database& db, const std::string& type)
{
  SQLite::Statement st(SqliteAccess::connection(db),
                       "SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%' "
                       "ORDER BY name");
  st.bind(1, type);
  std::vector<std::string> out;
  while (st.executeStep()) {
    out.push_back(st.getColumn(0).getString());
  }
  return out;
}

std::string pragma(Database& db, const std::string& name)
{
  return SqliteAccess::connection(db).execAndGet("PRAGMA " + name).getString();
}

void exec(Database& db, const std::string& sql)
{
  dirsync::storage::guarded(db, "running a test statement", [&] { SqliteAccess::connection(db).exec(sql); });
}

int count(Database& db, const std::string& sql)
{
  return SqliteAccess::connection(db).execAndGet(sql).getInt();
}

// Sets the header fields of a file directly, as another dirsync version (or program) would have.
void set_user_version(const std::filesystem::path& file, int version)
{
  SQLite::Database raw(file, SQLite::OPEN_READWRITE);
  raw.exec(fmt::format("PRAGMA user_version = {}", version));
}

const std::vector<std::string> k_tables{
  "departments", "hr_files",   "hr_rows",          "job_titles",   "links",
  "operations",  "plan_decisions", "plans",      "refresh_runs",     "unit_departments", "units",
  "user_departments", "user_history", "users"};

const std::vector<std::string> k_views{
  "v_department_paths", "v_departments",   "v_drift",        "v_failed_operations", "v_held_plans",
  "v_hr_files",         "v_links",         "v_operations",   "v_plan_decisions", "v_plans",             "v_recent_changes",
  "v_refresh_runs",     "v_rejected_rows", "v_user_history", "v_users"};

// A small schema for the migration tests: version 1 has people(name); version 2 adds email;
// version 3 adds a table filled from people.
Schema schema_v1()
{
  return Schema{1, "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL);", {}};
}

Schema schema_v3()
{
  return Schema{3,
                "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT);\n"
                "CREATE TABLE names (name TEXT PRIMARY KEY);",
                {{2, "add people.email", "ALTER TABLE people ADD COLUMN email TEXT;"},
                 {3, "add names", "CREATE TABLE names (name TEXT PRIMARY KEY);\n"
                                  "INSERT INTO names SELECT name FROM people;"}}};
}

} // namespace

TEST_CASE("a new database gets the whole schema and the current version", "[storage]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  CHECK(db.schema_version() == dirsync::storage::k_schema_version);
  CHECK(db.file() == dir / "mirror.db");
  CHECK(std::filesystem::exists(dir / "mirror.db"));
  CHECK(names_of(db, "table") == k_tables);
  CHECK(names_of(db, "view") == k_views);
}

TEST_CASE("reopening a current database changes nothing", "[storage]")
{
  ScratchDir dir;
  std::vector<std::string> before;
  {
    Database db(dir / "mirror.db");
    exec(db, "INSERT INTO refresh_runs (started_at, base_url, app_id) VALUES (1, 'http://x', 'cli_1')");
    before = schema_objects(db);
  }
  Database again(dir / "mirror.db");
  CHECK(again.schema_version() == dirsync::storage::k_schema_version);
  CHECK(schema_objects(again) == before);
  CHECK(count(again, "SELECT count(*) FROM refresh_runs") == 1);
}

TEST_CASE("a read-write database uses WAL, foreign keys, NORMAL sync and a busy timeout", "[storage]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  CHECK(pragma(db, "journal_mode") == "wal");
  CHECK(pragma(db, "foreign_keys") == "1");
  CHECK(pragma(db, "synchronous") == "1"); // NORMAL
  CHECK(std::stoi(pragma(db, "busy_timeout")) >= 1000);
}

TEST_CASE("every table and view carries a comment for admins", "[storage]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  SQLite::Statement st(SqliteAccess::connection(db),
                       "SELECT name, sql FROM sqlite_master WHERE type IN ('table', 'view') "
                       "AND name NOT LIKE 'sqlite_%'");
  int checked = 0;
  while (st.executeStep()) {
    INFO(st.getColumn(0).getString());
    // The comment is inside the statement, so that `.schema NAME` shows it.
    CHECK(st.getColumn(1).getString().find("\n  -- ") != std::string::npos);
    ++checked;
  }
  CHECK(checked == static_cast<int>(k_tables.size() + k_views.size()));
}

TEST_CASE("every view can be selected from on an empty database", "[storage]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  for (const auto& view : names_of(db, "view")) {
    INFO(view);
    CHECK_NOTHROW(count(db, "SELECT count(*) FROM " + view));
    CHECK(count(db, "SELECT count(*) FROM " + view) == 0);
  }
}

TEST_CASE("the views work out paths, units, leaders, primary departments and drift", "[storage]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  exec(db, R"(
    INSERT INTO departments (open_department_id, parent_open_department_id, name, raw, first_seen, last_seen)
    VALUES ('0', NULL, 'ACME', '{}', 1, 1), ('od-a', '0', '总部', '{}', 1, 1),
           ('od-b', 'od-a', '技术部', '{}', 1, 1), ('od-c', 'od-b', '后端组', '{}', 1, 1),
           ('od-x', 'od-hidden', 'Visible', '{}', 1, 1);
    INSERT INTO units (unit_id, name, unit_type, raw, first_seen, last_seen)
    VALUES ('u1', 'Subsidiary', 'company', '{}', 1, 1);
    INSERT INTO unit_departments (unit_id, open_department_id) VALUES ('u1', 'od-b');
    INSERT INTO users (open_id, employee_no, name, leader_open_id, is_activated, raw, first_seen, last_seen)
    VALUES ('ou_1', 'E1', 'Alice', NULL, 1, '{}', 1, 1), ('ou_2', 'E2', 'Bob', 'ou_1', 1, '{}', 1, 1),
           ('ou_3', NULL, 'Carol', NULL, 1, '{}', 1, 1);
    INSERT INTO user_departments (open_id, open_department_id, department_order, is_primary)
    VALUES ('ou_1', 'od-a', 0, 1), ('ou_2', 'od-a', 1, 0), ('ou_2', 'od-c', 2, 0), ('ou_3', 'od-x', 0, 1);
    INSERT INTO hr_files (path, name, sha256, size_bytes, mode, received_at, status, rows_total, rows_valid)
    VALUES ('/inbox/e.csv', 'e.csv', printf('%064d', 0), 10, 'full', 5, 'accepted', 1, 1);
    INSERT INTO hr_rows (hr_file_id, row_number, employee_no, is_valid) VALUES (1, 1, 'E1', 1);
    INSERT INTO links (employee_no, open_id, method, linked_at) VALUES ('E1', 'ou_1', 'employee_no', 5);
  )");
  auto& sql = SqliteAccess::connection(db);

  SECTION("department paths run from the top, the root's is empty, units are inherited")
  {
    CHECK(sql.execAndGet("SELECT path FROM v_department_paths WHERE open_department_id = 'od-c'")
            .getString() == "总部/技术部/后端组");
    CHECK(sql.execAndGet("SELECT depth FROM v_department_paths WHERE open_department_id = 'od-c'")
            .getInt() == 3);
    CHECK(sql.execAndGet("SELECT path FROM v_department_paths WHERE open_department_id = '0'")
            .getString() == "");
    CHECK(sql.execAndGet("SELECT path FROM v_department_paths WHERE open_department_id = 'od-x'")
            .getString() == "Visible");
    CHECK(sql.execAndGet("SELECT unit FROM v_departments WHERE open_department_id = 'od-c'")
            .getString() == "Subsidiary");
    CHECK(sql.execAndGet("SELECT direct_members FROM v_departments WHERE open_department_id = 'od-a'")
            .getInt() == 2);
  }

  SECTION("a user without a primary flag falls back to the highest department order")
  {
    SQLite::Statement st(sql, "SELECT department, leader_name, unit, linked_employee_no FROM v_users "
                              "WHERE open_id = 'ou_2'");
    REQUIRE(st.executeStep());
    CHECK(st.getColumn(0).getString() == "总部/技术部/后端组");
    CHECK(st.getColumn(1).getString() == "Alice");
    CHECK(st.getColumn(2).getString() == "Subsidiary");
    CHECK(st.getColumn(3).isNull());
  }

  SECTION("drift lists active users the newest full export does not claim")
  {
    SQLite::Statement st(sql, "SELECT open_id, reason FROM v_drift ORDER BY open_id");
    std::vector<std::string> rows;
    while (st.executeStep()) {
      rows.push_back(st.getColumn(0).getString() + " " + st.getColumn(1).getString());
    }
    CHECK(rows == std::vector<std::string>{"ou_2 employee number not in the HR export",
                                           "ou_3 no employee number and no link"});
  }

  SECTION("recent changes name the fields that changed between two versions")
  {
    exec(db, R"(
      INSERT INTO user_history (open_id, valid_from, valid_to, name, job_title, mirror_state)
      VALUES ('ou_2', CAST(strftime('%s', 'now', '-2 days') AS INTEGER),
              CAST(strftime('%s', 'now', '-1 day') AS INTEGER), 'Bob', 'dev', 'active');
      INSERT INTO user_history (open_id, valid_from, name, job_title, mirror_state)
      VALUES ('ou_2', CAST(strftime('%s', 'now', '-1 day') AS INTEGER), 'Bobby', 'lead', 'active');
    )");
    SQLite::Statement st(sql, "SELECT change, coalesce(detail, '') FROM v_recent_changes");
    std::vector<std::string> rows;
    while (st.executeStep()) {
      rows.push_back(st.getColumn(0).getString() + ": " + st.getColumn(1).getString());
    }
    CHECK(rows == std::vector<std::string>{"changed: name, job_title", "appeared: "});
  }
}

TEST_CASE("foreign keys and checks are enforced", "[storage]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");

  SECTION("an operation of a plan that does not exist")
  {
    CHECK_THROWS_WITH(exec(db, "INSERT INTO operations (plan_id, seq, kind, open_id, payload) "
                               "VALUES (42, 1, 'delete', 'ou_1', '{}')"),
                      Catch::Contains("FOREIGN KEY constraint failed"));
  }
  SECTION("a department membership of a user that does not exist")
  {
    CHECK_THROWS_AS(exec(db, "INSERT INTO user_departments (open_id, open_department_id) VALUES ('ou_x', 'od-1')"),
                    StorageError);
  }
  SECTION("a state that does not exist")
  {
    CHECK_THROWS_WITH(exec(db, "INSERT INTO users (open_id, name, mirror_state, raw, first_seen, last_seen) "
                               "VALUES ('ou_1', 'A', 'gone', '{}', 1, 1)"),
                      Catch::Contains("CHECK constraint failed"));
  }
  SECTION("raw that is not JSON")
  {
    CHECK_THROWS_WITH(exec(db, "INSERT INTO users (open_id, name, raw, first_seen, last_seen) "
                               "VALUES ('ou_1', 'A', '{not json', 1, 1)"),
                      Catch::Contains("CHECK constraint failed"));
  }
  SECTION("two current links for one employee number")
  {
    exec(db, "INSERT INTO users (open_id, name, raw, first_seen, last_seen) VALUES "
             "('ou_1', 'A', '{}', 1, 1), ('ou_2', 'B', '{}', 1, 1)");
    exec(db, "INSERT INTO links (employee_no, open_id, method, linked_at) VALUES ('E1', 'ou_1', 'email', 1)");
    CHECK_THROWS_WITH(exec(db, "INSERT INTO links (employee_no, open_id, method, linked_at) "
                               "VALUES ('E1', 'ou_2', 'email', 2)"),
                      Catch::Contains("UNIQUE constraint failed"));
    // Once the first link is closed, the rehire may be linked to the new account.
    exec(db, "UPDATE links SET unlinked_at = 2, unlink_reason = 'rehired as a new user' WHERE open_id = 'ou_1'");
    CHECK_NOTHROW(exec(db, "INSERT INTO links (employee_no, open_id, method, linked_at) "
                           "VALUES ('E1', 'ou_2', 'created', 2)"));
  }
}

TEST_CASE("a database newer than this build is refused", "[storage]")
{
  ScratchDir dir;
  const auto file = dir / "mirror.db";
  { Database db(file); }
  const int newer = dirsync::storage::k_schema_version + 4;
  set_user_version(file, newer);
  const std::string expected = fmt::format("{} has schema version {}, but this dirsync understands up to {}: "
                                           "upgrade dirsync",
                                           file.string(), newer, dirsync::storage::k_schema_version);
  CHECK_THROWS_MATCHES(Database(file), StorageError, Catch::Message(expected));
  CHECK_THROWS_MATCHES(Database(file, OpenMode::read_only), StorageError, Catch::Message(expected));
}

TEST_CASE("an older database is upgraded step by step, keeping its data", "[storage]")
{
  ScratchDir dir;
  const auto file = dir / "mirror.db";
  {
    Database db(file, OpenMode::read_write, schema_v1());
    exec(db, "INSERT INTO people (name) VALUES ('Alice')");
  }
  Database db(file, OpenMode::read_write, schema_v3());
  CHECK(db.schema_version() == 3);
  CHECK(count(db, "SELECT count(*) FROM people WHERE name = 'Alice' AND email IS NULL") == 1);
  // Step 3 ran after step 2 and saw the data.
  CHECK(count(db, "SELECT count(*) FROM names WHERE name = 'Alice'") == 1);

  // Both roads (create at version 3, or upgrade from 1) lead to the same tables.
  Database fresh(dir / "fresh.db", OpenMode::read_write, schema_v3());
  CHECK(names_of(fresh, "table") == names_of(db, "table"));
  CHECK(count(fresh, "SELECT count(*) FROM pragma_table_info('people')") ==
        count(db, "SELECT count(*) FROM pragma_table_info('people')"));
}

TEST_CASE("a failing migration leaves the database at the last good version", "[storage]")
{
  ScratchDir dir;
  const auto file = dir / "mirror.db";
  { Database db(file, OpenMode::read_write, schema_v1()); }

  Schema broken = schema_v3();
  broken.upgrades[1].sql = "CREATE TABLE names (name TEXT PRIMARY KEY);\nINSERT INTO nowhere VALUES (1);";
  CHECK_THROWS_MATCHES(Database(file, OpenMode::read_write, broken), StorageError,
                       Catch::Message(file.string() +
                                      ": upgrading the schema from version 2 to 3 (add names): "
                                      "no such table: nowhere"));

  // Step 2 committed; step 3 rolled back whole.
  SQLite::Database raw(file, SQLite::OPEN_READONLY);
  CHECK(raw.execAndGet("PRAGMA user_version").getInt() == 2);
  CHECK(raw.execAndGet("SELECT count(*) FROM sqlite_master WHERE name = 'names'").getInt() == 0);
  CHECK(raw.execAndGet("SELECT count(*) FROM pragma_table_info('people') WHERE name = 'email'").getInt() == 1);
}

TEST_CASE("a schema whose migrations do not line up with its version is refused", "[storage]")
{
  ScratchDir dir;
  Schema gap = schema_v3();
  gap.upgrades.erase(gap.upgrades.begin());
  CHECK_THROWS_AS(Database(dir / "mirror.db", OpenMode::read_write, gap), StorageError);
  Schema short_list = schema_v3();
  short_list.version = 4;
  CHECK_THROWS_AS(Database(dir / "mirror.db", OpenMode::read_write, short_list), StorageError);
  CHECK_NOTHROW(Database(dir / "mirror.db", OpenMode::read_write, dirsync::storage::product_schema()));
}

TEST_CASE("read-only mode reads a current database and writes nothing", "[storage]")
{
  ScratchDir dir;
  const auto file = dir / "mirror.db";
  { Database db(file); }
  Database ro(file, OpenMode::read_only);
  CHECK(ro.schema_version() == dirsync::storage::k_schema_version);
  CHECK(count(ro, "SELECT count(*) FROM v_users") == 0);
  CHECK_THROWS_WITH(exec(ro, "INSERT INTO refresh_runs (started_at, base_url, app_id) VALUES (1, 'x', 'y')"),
                    Catch::StartsWith(file.string() + ": running a test statement: "));
  CHECK(count(ro, "SELECT count(*) FROM refresh_runs") == 0);
}

TEST_CASE("read-only mode refuses a missing or outdated database without creating one", "[storage]")
{
  ScratchDir dir;
  const auto missing = dir / "missing.db";
  CHECK_THROWS_MATCHES(Database(missing, OpenMode::read_only), StorageError,
                       Catch::Message(missing.string() + ": no such database; dirsync creates it when it "
                                                         "first runs (check storage.database in the "
                                                         "configuration)"));
  CHECK_FALSE(std::filesystem::exists(missing));

  const auto old = dir / "old.db";
  { Database db(old, OpenMode::read_write, schema_v1()); }
  CHECK_THROWS_WITH(Database(old, OpenMode::read_only, schema_v3()),
                    Catch::StartsWith(old.string() + " has schema version 1, but this dirsync expects 3"));
}

TEST_CASE("a file that is not a dirsync database is refused and left alone", "[storage]")
{
  ScratchDir dir;

  SECTION("a text file")
  {
    const auto file = dir.write("notes.db", "this is not a database, it is a shopping list\n");
    CHECK_THROWS_WITH(Database(file), Catch::StartsWith(file.string() + ": ") &&
                                          Catch::Contains("not a dirsync database or is damaged"));
    CHECK(dirsync::testing::read_file(file) == "this is not a database, it is a shopping list\n");
  }
  SECTION("another program's SQLite database")
  {
    const auto file = dir / "other.db";
    {
      SQLite::Database other(file, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      other.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY)");
    }
    CHECK_THROWS_MATCHES(Database(file), StorageError,
                         Catch::Message(file.string() + " is not a dirsync database (it has tables but no "
                                                        "dirsync schema version): point storage.database "
                                                        "at another file"));
    SQLite::Database other(file, SQLite::OPEN_READONLY);
    CHECK(other.execAndGet("SELECT count(*) FROM sqlite_master").getInt() == 1);
    CHECK(other.execAndGet("PRAGMA journal_mode").getString() == "delete"); // not switched to WAL
  }
  SECTION("another program's database with a schema version")
  {
    const auto file = dir / "versioned.db";
    {
      SQLite::Database other(file, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      other.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY); PRAGMA user_version = 1;");
    }
    CHECK_THROWS_WITH(Database(file), Catch::Contains("is not a dirsync database (its application_id"));
  }
}

TEST_CASE("a database that cannot be opened names the file and what to check", "[storage]")
{
  ScratchDir dir;
  const auto file = dir / "no-such-folder" / "mirror.db";
  CHECK_THROWS_MATCHES(Database(file), StorageError,
                       Catch::Message(file.string() + ": opening the database: unable to open database file; "
                                                      "check that the folder exists and that the user "
                                                      "dirsync runs as may read and write it"));
}

TEST_CASE("a transaction commits, or rolls back when dropped", "[storage]")
{
  ScratchDir dir;
  Database db(dir / "mirror.db");
  const std::string insert = "INSERT INTO refresh_runs (started_at, base_url, app_id) VALUES (1, 'x', 'y')";
  {
    Transaction tx(db);
    exec(db, insert);
  }
  CHECK(count(db, "SELECT count(*) FROM refresh_runs") == 0);
  {
    Transaction tx(db);
    exec(db, insert);
    tx.commit();
  }
  CHECK(count(db, "SELECT count(*) FROM refresh_runs") == 1);

  SECTION("a second writer waits and then fails with a message naming the lock")
  {
    Transaction tx(db);
    Database other(dir / "mirror.db");
    SqliteAccess::connection(other).exec("PRAGMA busy_timeout = 0");
    CHECK_THROWS_WITH(Transaction(other), Catch::Contains("database is locked") &&
                                              Catch::Contains("another process holds the database lock"));
  }
  SECTION("transactions do not nest")
  {
    Transaction tx(db);
    CHECK_THROWS_AS(Transaction(db), StorageError);
  }
}

TEST_CASE("the embedded schema is schema.sql", "[storage]")
{
  CHECK(dirsync::storage::schema_sql() ==
        dirsync::testing::read_file(std::filesystem::path(DIRSYNC_SOURCE_DIR) / "schema.sql"));
}

TEST_CASE("docs/database.md describes every table and view", "[storage]")
{
  const std::string doc =
    dirsync::testing::read_file(std::filesystem::path(DIRSYNC_SOURCE_DIR) / "docs" / "database.md");
  std::vector<std::string> names = k_tables;
  names.insert(names.end(), k_views.begin(), k_views.end());
  for (const auto& name : names) {
    INFO(name);
    CHECK(doc.find("### `" + name + "`") != std::string::npos);
  }
}
