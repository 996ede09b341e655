// What `dirsync status` and the daemon's /status and /metrics read from the database: recent
// refresh runs and plans, held plans, failed operations, HR files, and the mirror's counts.
//
// Every query reads; a StatusStore works on a read-only Database (OpenMode::read_only) as well as
// on a read-write one. load() reads everything in one snapshot (one read transaction). Throws
// StorageError when the database fails.
#pragma once

#include "storage/database.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dirsync::storage {

struct RefreshRunRow
{
  std::int64_t id = 0;
  std::int64_t started_at = 0;
  std::optional<std::int64_t> finished_at;
  std::string result; // "ok", "failed", "untrusted", or "running" (also: interrupted)
  std::string detail; // trust_reason or error
  std::int64_t departments_seen = 0;
  std::int64_t users_seen = 0;
};

struct PlanRow
{
  std::int64_t id = 0;
  std::int64_t created_at = 0;
  std::string status;
  std::string hr_file;
  std::vector<std::string> held_reasons;
  std::int64_t creates = 0;
  std::int64_t updates = 0;
  std::int64_t deletes = 0;
  std::int64_t resurrects = 0;
  std::int64_t freezes = 0;
  std::int64_t set_leaders = 0;
  std::int64_t ops_done = 0;
  std::int64_t ops_failed = 0;
  std::int64_t ops_left = 0;
  std::string error;
};

struct FailedOperationRow
{
  std::int64_t plan_id = 0;
  std::int64_t seq = 0;
  std::string kind;
  std::string employee_no;
  std::string name;
  std::optional<std::int64_t> code;
  std::string msg;
  std::string log_id;
  std::optional<std::int64_t> failed_at;
};

struct HrFileRow
{
  std::int64_t id = 0;
  std::string name;
  std::string status; // "accepted" | "rejected"
  std::string reason;
  std::int64_t received_at = 0;
  std::int64_t rows_valid = 0;
  std::int64_t rows_invalid = 0;
};

struct MirrorCounts
{
  std::map<std::string, std::int64_t> users;       // mirror_state → users
  std::map<std::string, std::int64_t> departments; // mirror_state → departments (the root excluded)
  std::int64_t job_titles = 0;
  std::int64_t units = 0;
  std::int64_t links = 0; // current links between employee numbers and users
};

struct StatusSnapshot
{
  std::vector<RefreshRunRow> refresh_runs;     // newest first, at most `recent`
  std::vector<PlanRow> plans;                  // newest first, at most `recent`
  std::vector<PlanRow> held_plans;             // all, oldest first
  std::vector<FailedOperationRow> failed_operations; // newest first, at most `recent` * 2
  std::int64_t failed_operations_total = 0;
  std::vector<HrFileRow> hr_files;             // newest first, at most `recent`
  std::map<std::string, std::int64_t> hr_files_by_status; // "accepted"/"rejected" → files
  std::map<std::string, std::int64_t> plans_by_status;    // status → plans
  // (kind, state) → operations in the journal
  std::map<std::pair<std::string, std::string>, std::int64_t> operations;
  MirrorCounts mirror;
  std::optional<std::int64_t> last_ok_refresh_at; // finished_at of the newest 'ok' refresh run
};

class StatusStore
{
public:
  explicit StatusStore(Database& db);

  StatusSnapshot load(int recent = 5) const;

private:
  Database& m_db;
};

} // namespace dirsync::storage
