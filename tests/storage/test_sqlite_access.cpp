#include "storage/sqlite_access.hpp"

#include "common/error.hpp"
#include "support/scratch_dir.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>

using dirsync::StorageError;
using dirsync::storage::Database;
using dirsync::storage::SqliteAccess;
namespace json = dirsync::json;
namespace storage = dirsync::storage;

TEST_CASE("nullable values round-trip through NULL", "[storage]")
{
  dirsync::testing::ScratchDir dir;
  Database db(dir / "mirror.db");
  auto& sql = SqliteAccess::connection(db);

  SQLite::Statement st(sql, "SELECT ?1, ?1 IS NULL, ?2, ?2 IS NULL");
  storage::bind_nullable(st, 1, std::optional<std::string>{"E001"});
  storage::bind_nullable(st, 2, std::optional<std::int64_t>{1'700'000'000'123});
  REQUIRE(st.executeStep());
  CHECK(storage::nullable_text(st.getColumn(0)) == std::optional<std::string>{"E001"});
  CHECK(st.getColumn(1).getInt() == 0);
  CHECK(storage::nullable_int(st.getColumn(2)) == std::optional<std::int64_t>{1'700'000'000'123});
  CHECK(st.getColumn(3).getInt() == 0);

  SQLite::Statement empty(sql, "SELECT ?1, ?1 IS NULL, ?2, ?2 IS NULL");
  storage::bind_nullable(empty, 1, std::optional<std::string>{});
  storage::bind_nullable(empty, 2, std::optional<std::int64_t>{});
  REQUIRE(empty.executeStep());
  CHECK_FALSE(storage::nullable_text(empty.getColumn(0)).has_value());
  CHECK(empty.getColumn(1).getInt() == 1);
  CHECK_FALSE(storage::nullable_int(empty.getColumn(2)).has_value());
  CHECK(empty.getColumn(3).getInt() == 1);
  // An empty string is a value, not NULL.
  SQLite::Statement blank(sql, "SELECT ?1 IS NULL");
  storage::bind_nullable(blank, 1, std::optional<std::string>{""});
  REQUIRE(blank.executeStep());
  CHECK(blank.getColumn(0).getInt() == 0);
}

TEST_CASE("JSON columns are stored as JSON text and read back parsed", "[storage]")
{
  dirsync::testing::ScratchDir dir;
  Database db(dir / "mirror.db");
  auto& sql = SqliteAccess::connection(db);

  const auto raw = json::Value::object({{"name", "张三"}, {"department_ids", json::Value::string_array({"od-1"})}});
  SQLite::Statement insert(sql, "INSERT INTO users (open_id, name, raw, first_seen, last_seen) "
                                "VALUES ('ou_1', 'Zhang San', ?, 1, 1)");
  storage::bind_json(insert, 1, raw);
  insert.exec();

  SQLite::Statement read(sql, "SELECT raw, json_extract(raw, '$.department_ids[0]') FROM users");
  REQUIRE(read.executeStep());
  CHECK(storage::json_column(read.getColumn(0)) == raw);
  CHECK(read.getColumn(1).getString() == "od-1");

  SQLite::Statement bad(sql, "SELECT '{oops' AS report");
  REQUIRE(bad.executeStep());
  CHECK_THROWS_AS(storage::json_column(bad.getColumn(0)), StorageError);
  CHECK_THROWS_WITH(storage::json_column(bad.getColumn(0)), Catch::StartsWith("column report does not hold JSON: "));
}

TEST_CASE("guarded turns a SQLite failure into a StorageError naming file and operation", "[storage]")
{
  dirsync::testing::ScratchDir dir;
  Database db(dir / "mirror.db");
  auto& sql = SqliteAccess::connection(db);
  CHECK_THROWS_MATCHES(storage::guarded(db, "reading the mirror", [&] { sql.exec("SELECT * FROM nowhere"); }),
                       StorageError,
                       Catch::Message((dir / "mirror.db").string() + ": reading the mirror: no such table: nowhere"));
  CHECK(storage::guarded(db, "counting", [&] { return sql.execAndGet("SELECT 41 + 1").getInt(); }) == 42);
}
