// Access to the SQLite connection behind a Database, for storage/*.cpp files only: the stores
// (refresh, HR, journal, ...) prepare their statements on it. No header outside storage/ may
// include this one; SQLiteCpp types stop here.
//
//   auto& sql = SqliteAccess::connection(db);
//   guarded(db, "recording operation 12", [&] {
//     SQLite::Statement st(sql, "UPDATE operations SET state = ? WHERE id = ?");
//     ...
//   });
#pragma once

#include "common/json.hpp"
#include "storage/database.hpp"

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace dirsync::storage {

class SqliteAccess
{
public:
  static SQLite::Database& connection(Database& db);
};

// Throws StorageError for `e`, which happened while doing `operation` on `db`'s file:
// "<file>: <operation>: <SQLite's message>", followed by what to do where that is clear
// (locked, read-only, full disk, not a database, ...).
[[noreturn]] void throw_storage_error(const Database& db, std::string_view operation,
                                      const SQLite::Exception& e);

// Runs `f` and turns a SQLite::Exception it throws into a StorageError (see throw_storage_error).
template <typename F>
decltype(auto) guarded(const Database& db, std::string_view operation, F&& f)
{
  try {
    return std::forward<F>(f)();
  } catch (const SQLite::Exception& e) {
    throw_storage_error(db, operation, e);
  }
}

// Nullable columns: SQLiteCpp has no std::optional, so these bind an empty optional as NULL and
// read NULL as an empty optional.
void bind_nullable(SQLite::Statement& st, int index, const std::optional<std::string>& value);
void bind_nullable(SQLite::Statement& st, int index, const std::optional<std::int64_t>& value);
std::optional<std::string> nullable_text(const SQLite::Column& column);
std::optional<std::int64_t> nullable_int(const SQLite::Column& column);

// JSON columns (raw, payload, problems, ...): bound as compact JSON text, read back parsed. Reading
// throws StorageError naming the column if it does not hold JSON (the schema's CHECKs prevent that).
void bind_json(SQLite::Statement& st, int index, const json::Value& value);
json::Value json_column(const SQLite::Column& column);

} // namespace dirsync::storage
