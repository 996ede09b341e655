// Opening mirror.db and bringing its schema to the version of this build.
//
// A dirsync database is recognised by two header fields: PRAGMA application_id (k_application_id)
// and PRAGMA user_version (the schema version). A new database has neither and no tables; a file
// with tables but no version, or another application id, belongs to something else and is refused
// rather than written into.
//
// Creating and upgrading happen one step at a time, each step in its own IMMEDIATE transaction
// that re-reads the version first, so two processes opening an old database at once do not both
// run a step, and a step that fails leaves the database at the previous version. Before each step
// commits, PRAGMA foreign_key_check must come back empty.
#include "storage/database.hpp"

#include "common/error.hpp"
#include "storage/schema.hpp"
#include "storage/sqlite_access.hpp"

#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <system_error>

namespace dirsync::storage {

namespace {

// 'dirs' in ASCII: marks the file as a dirsync database (PRAGMA application_id).
constexpr int k_application_id = 0x64697273;

// How long a statement waits for another connection's lock before failing with "database is
// locked". A refresh of a large tenant holds the write lock for one transaction of several
// seconds; a CLI command that writes (approve) should wait that out.
constexpr int k_busy_timeout_ms = 30'000;

// What to do about a failure with this SQLite result code, where there is something to say.
std::string_view hint_for(int extended_code, OpenMode mode)
{
  switch (extended_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return "another process holds the database lock; try again when it is done";
    case SQLITE_READONLY:
      return mode == OpenMode::read_write
               ? "make the file, and the folder it is in, writable by the user dirsync runs as"
               : "";
    case SQLITE_CANTOPEN:
      return "check that the folder exists and that the user dirsync runs as may read and write it";
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return "the file is not a dirsync database or is damaged: move it away (dirsync then "
             "creates a new one) or restore it from a backup";
    case SQLITE_FULL:
      return "free some disk space";
    case SQLITE_IOERR:
      return "check the disk and the file system";
    default:
      return "";
  }
}

StorageError make_error(const std::filesystem::path& file, OpenMode mode, std::string_view operation,
                        const SQLite::Exception& e)
{
  // what() is sqlite3_errmsg(): it names the constraint, the missing table, ...
  std::string message = fmt::format("{}: {}: {}", file.string(), operation, e.what());
  const auto hint = hint_for(e.getExtendedErrorCode(), mode);
  if (!hint.empty()) {
    message += fmt::format("; {}", hint);
  }
  return StorageError(message);
}

void validate(const Schema& schema)
{
  if (schema.version < 1 || schema.create_sql.empty()) {
    throw StorageError(fmt::format("schema version {} has no schema to create", schema.version));
  }
  for (std::size_t i = 0; i < schema.upgrades.size(); ++i) {
    const int expected = static_cast<int>(i) + 2;
    if (schema.upgrades[i].version != expected) {
      throw StorageError(fmt::format("schema migrations must be versions 2..{} in order, but step {} is "
                                     "version {}",
                                     schema.version, i + 1, schema.upgrades[i].version));
    }
  }
  const int last = schema.upgrades.empty() ? 1 : schema.upgrades.back().version;
  if (last != schema.version) {
    throw StorageError(fmt::format("schema version {} has migrations up to version {}; each version "
                                   "after 1 needs its migration",
                                   schema.version, last));
  }
}

int read_int_pragma(SQLite::Database& sql, const char* pragma)
{
  return sql.execAndGet(fmt::format("PRAGMA {}", pragma)).getInt();
}

bool has_schema_objects(SQLite::Database& sql)
{
  return sql.execAndGet("SELECT count(*) FROM sqlite_master").getInt() > 0;
}

} // namespace

struct Database::Impl
{
  Impl(std::filesystem::path file_, OpenMode mode_, int flags)
    : file(std::move(file_)),
      mode(mode_),
      sql(file, flags, k_busy_timeout_ms)
  {
  }

  std::filesystem::path file;
  OpenMode mode;
  SQLite::Database sql;
};

SQLite::Database& SqliteAccess::connection(Database& db)
{
  return db.m_impl->sql;
}

void throw_storage_error(const Database& db, std::string_view operation, const SQLite::Exception& e)
{
  throw make_error(db.file(), db.mode(), operation, e);
}

const Schema& product_schema()
{
  static const Schema schema{k_schema_version, std::string(schema_sql()), {}};
  return schema;
}

Database::Database(std::filesystem::path file, OpenMode mode)
  : Database(std::move(file), mode, product_schema())
{
}

namespace {

// Refuses a file that is not a dirsync database, or whose schema this build cannot use.
void check_identity(const std::filesystem::path& file, SQLite::Database& sql, int version)
{
  if (version == 0 && has_schema_objects(sql)) {
    throw StorageError(fmt::format("{} is not a dirsync database (it has tables but no dirsync schema "
                                   "version): point storage.database at another file",
                                   file.string()));
  }
  if (version != 0 && read_int_pragma(sql, "application_id") != k_application_id) {
    throw StorageError(fmt::format("{} is not a dirsync database (its application_id is not dirsync's): "
                                   "point storage.database at another file",
                                   file.string()));
  }
}

void check_not_newer(const std::filesystem::path& file, int version, const Schema& schema)
{
  if (version > schema.version) {
    throw StorageError(fmt::format("{} has schema version {}, but this dirsync understands up to {}: "
                                   "upgrade dirsync",
                                   file.string(), version, schema.version));
  }
}

} // namespace

Database::Database(std::filesystem::path file, OpenMode mode, const Schema& schema)
{
  validate(schema);
  if (mode == OpenMode::read_only) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
      throw StorageError(fmt::format("{}: no such database; dirsync creates it when it first runs "
                                     "(check storage.database in the configuration)",
                                     file.string()));
    }
  }

  const int flags = mode == OpenMode::read_write ? SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE
                                                 : SQLite::OPEN_READONLY;
  try {
    m_impl = std::make_unique<Impl>(file, mode, flags);
  } catch (const SQLite::Exception& e) {
    throw make_error(file, mode, "opening the database", e);
  }
  auto& sql = m_impl->sql;

  // Identify the file before changing anything persistent (journal mode), so that a file that is
  // not ours, or is too new, is left exactly as it was.
  const int version = guarded(*this, "reading the schema version", [&] {
    sql.exec("PRAGMA foreign_keys = ON");
    const int v = read_int_pragma(sql, "user_version");
    check_identity(m_impl->file, sql, v);
    return v;
  });
  check_not_newer(m_impl->file, version, schema);

  guarded(*this, "setting up the connection", [&] {
    if (mode == OpenMode::read_only) {
      sql.exec("PRAGMA query_only = ON");
      return;
    }
    const std::string journal = sql.execAndGet("PRAGMA journal_mode = WAL").getString();
    if (journal != "wal") {
      spdlog::warn("{}: cannot use WAL mode (journal mode is {}): people reading the database will "
                   "hold up dirsync's writes",
                   m_impl->file.string(), journal);
    }
    // In WAL mode NORMAL loses no committed transaction when dirsync crashes, only (at worst) the
    // last ones when the machine loses power, and the journal is built to resume from that.
    sql.exec("PRAGMA synchronous = NORMAL");
  });

  if (version == schema.version) {
    return;
  }
  if (mode == OpenMode::read_only) {
    if (version == 0) {
      throw StorageError(fmt::format("{} has no dirsync schema yet: run dirsync once with write access "
                                     "(start the daemon, or dirsync refresh) to create it",
                                     m_impl->file.string()));
    }
    throw StorageError(fmt::format("{} has schema version {}, but this dirsync expects {}: run dirsync "
                                   "once with write access (start the daemon, or dirsync refresh) to "
                                   "upgrade it",
                                   m_impl->file.string(), version, schema.version));
  }

  // One step per transaction; each re-reads the version in case another process moved it on.
  for (;;) {
    Transaction tx(*this);
    const int current = guarded(*this, "reading the schema version", [&] {
      const int v = read_int_pragma(sql, "user_version");
      check_identity(m_impl->file, sql, v);
      return v;
    });
    check_not_newer(m_impl->file, current, schema);
    if (current == schema.version) {
      break;
    }

    std::string operation;
    if (current == 0) {
      operation = fmt::format("creating the schema (version {})", schema.version);
      guarded(*this, operation, [&] {
        sql.exec(schema.create_sql);
        sql.exec(fmt::format("PRAGMA application_id = {}", k_application_id));
        sql.exec(fmt::format("PRAGMA user_version = {}", schema.version));
      });
    } else {
      const Migration& step = schema.upgrades.at(static_cast<std::size_t>(current - 1));
      operation = fmt::format("upgrading the schema from version {} to {} ({})", current, step.version,
                              step.description);
      guarded(*this, operation, [&] {
        sql.exec(step.sql);
        sql.exec(fmt::format("PRAGMA user_version = {}", step.version));
      });
    }
    guarded(*this, operation, [&] {
      SQLite::Statement check(sql, "PRAGMA foreign_key_check");
      if (check.executeStep()) {
        throw StorageError(fmt::format("{}: {}: leaves a row in {} that breaks a foreign key",
                                       m_impl->file.string(), operation, check.getColumn(0).getString()));
      }
    });
    tx.commit();
    spdlog::info("{}: {}: done", m_impl->file.string(), operation);
  }
}

Database::~Database() = default;
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;

const std::filesystem::path& Database::file() const
{
  return m_impl->file;
}

OpenMode Database::mode() const
{
  return m_impl->mode;
}

int Database::schema_version() const
{
  return guarded(*this, "reading the schema version",
                 [&] { return read_int_pragma(m_impl->sql, "user_version"); });
}

Transaction::Transaction(Database& db)
  : m_db(db),
    m_active(false)
{
  auto& sql = SqliteAccess::connection(m_db);
  guarded(m_db, "beginning a transaction", [&] {
    sql.exec(m_db.mode() == OpenMode::read_write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
  });
  m_active = true;
}

Transaction::~Transaction()
{
  if (!m_active) {
    return;
  }
  auto& sql = SqliteAccess::connection(m_db);
  // SQLite rolls a transaction back by itself after some errors (a full disk, ...); rolling back
  // again would only fail.
  if (sqlite3_get_autocommit(sql.getHandle()) != 0) {
    return;
  }
  try {
    sql.exec("ROLLBACK");
  } catch (const SQLite::Exception& e) {
    spdlog::warn("{}: rolling back a transaction: {}", m_db.file().string(), e.what());
  }
}

void Transaction::commit()
{
  auto& sql = SqliteAccess::connection(m_db);
  guarded(m_db, "committing a transaction", [&] { sql.exec("COMMIT"); });
  m_active = false;
}

} // namespace dirsync::storage
