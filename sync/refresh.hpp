// The refresh: the tenant, paged from Feishu into the mirror (DESIGN.md §7 mirror gate, §10).
//
// One refresh is one refresh_runs row. It pages everything into memory first, then writes it in
// one transaction, so a refresh that fails or is interrupted leaves the previous mirror as it was.
// The mirror gate decides whether what was paged may replace the mirror:
//   * ok: paging completed and the mirror did not shrink by more than
//     sync.safety.max_mirror_shrink_percent of its active users: the mirror is written;
//   * untrusted: paging failed part-way (or the app was refused part of the tenant), or the mirror
//     would have shrunk by more than that share (a narrowed app scope looks like mass departure):
//     only the refresh_runs row is written, with trust_reason, and a warning is logged;
//   * failed: the tenant could not be read at all (the first request failed: address, credentials,
//     network) or the database failed: only the refresh_runs row is written, with error.
// Plans are made only from a snapshot whose newest refresh is ok (storage/mirror.hpp).
#pragma once

#include "config/config.hpp"
#include "feishu/client.hpp"
#include "storage/database.hpp"
#include "storage/mirror.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace dirsync::sync {

// Where a refresh is, for a progress display. Counts only grow within a stage.
struct RefreshProgress
{
  std::string stage;                    // "departments", "users", "leavers", "job titles", "units", "writing"
  std::size_t departments = 0;          // departments listed so far
  std::size_t departments_paged = 0;    // departments whose members are all paged
  std::size_t users = 0;                // distinct users paged so far
};

struct RefreshOptions
{
  // Unix seconds now, for the times the mirror records.
  std::function<std::int64_t()> now = [] {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
  };
  // Called (never concurrently) after every page and at every stage; may be empty.
  std::function<void(const RefreshProgress&)> on_progress;
  // Asked before every request and after every page; once it returns true the refresh stops when
  // the requests in flight are answered, and is recorded failed ("stopped") with nothing else
  // written. The daemon sets it on SIGTERM. May be empty.
  std::function<bool()> should_stop;
  // Write the mirror even if it shrank by more than max_mirror_shrink_percent (an admin who has
  // checked that the shrink is real). A paging failure is never accepted.
  bool accept_shrink = false;
};

struct RefreshOutcome
{
  storage::RefreshRun run;              // as recorded (result ok, untrusted or failed)
  std::chrono::milliseconds paging_time{0};
  std::chrono::milliseconds writing_time{0};
};

// Runs one refresh with `client` into `db` under `config` (feishu.max_in_flight bounds the
// departments paged at once; sync.safety.max_mirror_shrink_percent is the gate). Returns how it
// ended; a failed or untrusted refresh is an outcome, not an exception. Throws StorageError only
// when even the refresh_runs row cannot be written.
RefreshOutcome refresh_mirror(feishu::Client& client, storage::Database& db, const config::Config& config,
                              const RefreshOptions& options = {});

// The share (0..100) of `before` active users that a refresh lost; 0 when there were none.
double shrink_percent(std::size_t before, std::size_t lost);

} // namespace dirsync::sync
