// The mirror as stored: the users, departments, user_departments, job_titles, units,
// unit_departments, user_history and refresh_runs tables (DESIGN.md §9, §10; docs/database.md).
//
// Writers:
//   * a refresh (sync/refresh) records its run with begin_refresh(), pages the tenant into a
//     PagedTenant in memory, and then either writes it with apply_refresh() (one transaction: the
//     mirror, its history rows and the finished run), or, when the mirror gate refuses it or paging
//     failed, records only the finished run with finish_refresh() (the mirror stays as it was);
//   * an apply (sync/apply) keeps the mirror in step with each answer it gets: upsert_user() after
//     a create, patch or resurrect, mark_resigned() after a delete.
// Readers: load_snapshot() for the planner, find_user() for explain, and the refresh_runs lookups.
//
// Every failure is a StorageError naming the database file and what was being done.
#pragma once

#include "feishu/models.hpp"
#include "storage/database.hpp"
#include "storage/mirror.hpp"

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace dirsync::storage {

// The tenant as one refresh paged it.
struct PagedTenant
{
  std::vector<feishu::Department> departments; // every department listed (the root is implicit)
  // Listed users, one per open_id, each the JSON object Feishu returned (feishu::User::raw). They
  // are decoded one at a time as they are written: 100k decoded users would take twice the memory.
  std::deque<std::string> users;
  // Users that were active in the mirror, are no longer listed, and that batch get answered as
  // resigned: they become mirror_state 'resigned'.
  std::vector<feishu::User> resigned;
  // open_ids of users that were active in the mirror, are no longer listed, and that batch get did
  // not return (the app cannot see them any more): they become 'out_of_scope'.
  std::vector<std::string> out_of_scope;
  std::vector<feishu::JobTitle> job_titles;
  std::vector<feishu::Unit> units;
  std::vector<feishu::UnitDepartment> unit_departments; // department_id is an open_department_id
};

// What a refresh cost, from the client's metrics.
struct RefreshCosts
{
  std::int64_t api_requests = 0;
  std::int64_t rate_limit_waits = 0;
};

// How a refresh that did not write the mirror ended.
struct RefreshEnd
{
  RefreshResult result = RefreshResult::failed; // failed or untrusted
  std::string trust_reason;                     // for untrusted
  std::string error;                            // for failed (may also be set for untrusted)
  std::int64_t departments_seen = 0;
  std::int64_t users_seen = 0;
  std::int64_t job_titles_seen = 0;
  std::int64_t units_seen = 0;
  RefreshCosts costs;
};

class MirrorStore
{
public:
  explicit MirrorStore(Database& db);

  // Records a refresh that starts now (result NULL until it finishes) and returns its id.
  std::int64_t begin_refresh(std::int64_t started_at, const std::string& base_url, const std::string& app_id);

  // Writes `tenant` into the mirror and marks run `run_id` ok with its counts, in one
  // transaction: departments, users and memberships are upserted; users and departments no longer
  // listed are marked (never removed); job titles, units and bindings are replaced; a user whose
  // version (storage/user_version.hpp) changed gets a new user_history row. Returns the run as
  // recorded. On any failure nothing is written (the run stays unfinished; the caller records it
  // failed).
  RefreshRun apply_refresh(std::int64_t run_id, const PagedTenant& tenant, std::int64_t now, const RefreshCosts& costs);

  // Marks run `run_id` failed or untrusted, and writes nothing else.
  void finish_refresh(std::int64_t run_id, std::int64_t finished_at, const RefreshEnd& end);

  // The open_ids of the users the mirror has as active.
  std::vector<std::string> active_user_ids() const;

  std::optional<RefreshRun> find_refresh(std::int64_t run_id) const;
  // The newest refresh that finished, whatever its result.
  std::optional<RefreshRun> find_latest_refresh() const;
  // The newest refresh whose result is ok: the one the mirror tables show.
  std::optional<RefreshRun> find_latest_trusted_refresh() const;

  // The whole mirror for the planner (see MirrorSnapshot for what `refresh` is). Raw JSON is not
  // loaded.
  MirrorSnapshot load_snapshot() const;
  // One user as load_snapshot() would give them (with their departments, primary first); nullopt
  // when the mirror does not have them. By employee number: the user not resigned who carries it.
  std::optional<MirrorUser> find_user(const std::string& open_id) const;
  std::optional<MirrorUser> find_user_by_employee_no(const std::string& employee_no) const;

  // Writes one user as an API answer returned it (after a create, patch, resurrect or get):
  // upserts the user and their memberships, and records a new user_history row (refresh_run_id
  // NULL) if their version changed. A resigned user (status.is_resigned) is stored as resigned.
  // Runs inside the caller's open transaction if there is one (so apply can journal and mirror in
  // one step), else in its own.
  void upsert_user(const feishu::User& user, std::int64_t now);

  // Marks a user resigned after dirsync deleted them (first seen resigned at `now`, unless
  // already), with a history row. No-op for a user the mirror does not have. Transactions as
  // upsert_user.
  void mark_resigned(const std::string& open_id, std::int64_t now);

  // Records that Feishu refused to resurrect a resigned user with `code` (44028 past the
  // recoverable time; 44030/44031/44032 mobile/email/user_id held by another user), so that the
  // next plan does not send the same resurrect again (see sync/planner.cpp). Kept until the user
  // is stored active again. No-op for a user the mirror does not have as resigned.
  void mark_resurrect_refused(const std::string& open_id, long long code);

private:
  std::optional<MirrorUser> find_user_where(const char* condition, const std::string& value) const;

  Database& m_db;
};

std::string_view to_string(RefreshResult result);

} // namespace dirsync::storage
