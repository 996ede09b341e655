// The SQLite database of feishu-dirsync (mirror.db): opening it, creating and upgrading its schema,
// and transactions. The schema itself is schema.sql at the top of the source tree.
//
// This header is the edge of storage/: it exposes no SQLiteCpp type. Other storage/*.cpp files
// reach the connection through storage/sqlite_access.hpp to prepare their statements; every other
// module goes through the typed functions those files offer. Every failure comes out as
// dirsync::StorageError naming the file and what was being done.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace dirsync::storage {

// The schema version this build creates and understands (PRAGMA user_version of a current database).
inline constexpr int k_schema_version = 1;

// One step that brings a database from version `version - 1` to `version`.
struct Migration
{
  int version = 0;
  std::string description; // for the log: "add users.nickname"
  std::string sql;         // one or more statements
};

// What a database is made of: the full schema at `version` for a new database, and the steps that
// bring an older one there. A new database is created from `create_sql` directly; a database at
// version n (0 < n < version) runs the upgrades n+1 .. version in order. So when the schema
// changes: edit schema.sql to the new full schema, bump k_schema_version, and add the migration
// that turns the previous version into it (a test checks that both roads lead to the same schema).
struct Schema
{
  int version = 0;
  std::string create_sql;
  std::vector<Migration> upgrades; // versions 2 .. version, in order
};

// The schema of this build: schema.sql at k_schema_version, with its migrations.
const Schema& product_schema();

enum class OpenMode
{
  read_write, // creates the file if needed, creates or upgrades the schema
  read_only,  // for admin and status commands: never writes, refuses a database that is not current
};

// An open connection to mirror.db. Not thread-safe: use one Database per thread. A moved-from
// Database may only be destroyed or assigned to.
//
// Opening read-write creates the file if it does not exist, sets WAL mode (so admins can read
// while dirsync writes), foreign keys on, a busy timeout and synchronous=NORMAL, then brings the
// schema to the current version: a new database gets the whole schema, an older one its
// migrations, each in its own transaction with the new version recorded in PRAGMA user_version.
// Opening read-only does neither and sets query_only.
//
// Throws StorageError when the file cannot be opened, is not a dirsync database, has a schema
// newer than this build understands (or, read-only, older than it), or a migration fails (the
// database then stays at the last version that completed).
class Database
{
public:
  explicit Database(std::filesystem::path file, OpenMode mode = OpenMode::read_write);
  // As above, with another schema; for tests of the migration machinery.
  Database(std::filesystem::path file, OpenMode mode, const Schema& schema);
  ~Database();
  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const std::filesystem::path& file() const;
  OpenMode mode() const;
  // The schema version of the open database (PRAGMA user_version).
  int schema_version() const;

private:
  friend class SqliteAccess;
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// A transaction on a Database, rolled back when destroyed without commit() (the destructor never
// throws). On a read-write database it begins IMMEDIATE, taking the write lock at once, so two
// writers wait for each other (up to the busy timeout) instead of failing half-way; on a read-only
// database it gives a consistent snapshot across several queries. Transactions do not nest.
class Transaction
{
public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Commits; throws StorageError on failure (the transaction is then rolled back on destruction).
  void commit();

private:
  Database& m_db;
  bool m_active;
};

} // namespace dirsync::storage
