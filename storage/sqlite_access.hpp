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

#include "storage/database.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>

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

} // namespace dirsync::storage
