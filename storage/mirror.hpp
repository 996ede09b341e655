// The mirror as the rest of the product reads it: plain structs loaded from the users,
// departments, job_titles, units and refresh_runs tables (DESIGN.md §9, §10).
//
// The refresh (sync/refresh) writes the mirror through storage/mirror_store.hpp; the planner reads
// a MirrorSnapshot of it. Feishu's objects are carried as feishu/ models so that nothing is
// translated twice; what the mirror adds (its own state of a user, the path of a department) sits
// beside them.
#pragma once

#include "feishu/models.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dirsync::storage {

// What the mirror knows of a user beyond what Feishu says.
enum class MirrorState {
  active,       // listed by the last trusted refresh
  resigned,     // no longer listed, and Feishu says is_resigned (kept: a rehire may resurrect them)
  out_of_scope, // no longer listed, and Feishu does not show them to this app any more
};

struct MirrorUser
{
  feishu::User user;                        // as last refreshed (user.raw is not loaded by snapshots)
  MirrorState state = MirrorState::active;
  std::optional<std::int64_t> resigned_seen_at; // when dirsync first saw the resignation
  // Feishu's code refusing dirsync's last resurrect of this resigned user (44028 past the
  // recoverable time; 44030/44031/44032 their mobile/email/user_id is held by another user).
  std::optional<long long> resurrect_refused;
  std::string primary_department;           // open_department_id; empty when none
};

struct MirrorDepartment
{
  feishu::Department department;   // department.raw is not loaded by snapshots
  std::vector<std::string> path;   // names from the top, the root excluded: {"总部", "技术部"}
  bool is_deleted = false;
  bool in_scope = true;            // false: no longer visible to the app
};

enum class RefreshResult { running, ok, failed, untrusted };

struct RefreshRun
{
  std::int64_t id = 0;
  std::int64_t started_at = 0;
  std::optional<std::int64_t> finished_at;
  RefreshResult result = RefreshResult::running;
  std::string trust_reason; // why an untrusted run is not trusted
  std::string error;        // why a failed run failed
  std::int64_t departments_seen = 0;
  std::int64_t users_seen = 0;
  std::int64_t users_added = 0;        // new to the mirror
  std::int64_t users_changed = 0;      // got a new history row
  std::int64_t users_resigned = 0;     // newly resigned
  std::int64_t users_out_of_scope = 0; // newly out of scope
  std::int64_t job_titles_seen = 0;
  std::int64_t units_seen = 0;
  std::int64_t api_requests = 0;
  std::int64_t rate_limit_waits = 0;
  std::string base_url;
  std::string app_id;
};

// Everything a plan is computed from, as of one refresh run.
//
// `refresh` is the newest refresh that finished (ok, untrusted or failed). The mirror tables hold
// what the newest *ok* refresh wrote (an untrusted or failed refresh writes nothing but its
// refresh_runs row), so a planner must refuse the snapshot unless refresh.result is ok: a newer
// refresh saw something the mirror does not show. With no finished refresh at all, refresh.id is
// 0 and refresh.result is running.
struct MirrorSnapshot
{
  RefreshRun refresh;
  std::vector<MirrorUser> users;           // every user the mirror keeps, resigned ones included
  std::vector<MirrorDepartment> departments;
  std::vector<feishu::JobTitle> job_titles;
  std::vector<feishu::Unit> units;
};

} // namespace dirsync::storage
