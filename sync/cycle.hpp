// One sync cycle (DESIGN.md §2): resume → refresh → intake → plan → gate → apply → record, and the
// planning step on its own for `dirsync apply FILE`. The daemon calls run_cycle on its schedule and
// whenever an HR file arrives; `dirsync sync` calls it once.
//
// The steps, and where each stops the cycle:
//   1. a plan left applying (crash, or a stop) is resumed; stopped again → return; then a plan
//      approved but not begun (released by `dirsync approve`) is applied, unless the rehire look-up
//      finds resigned accounts it did not know (then it is superseded and its file planned again
//      below); stopped or failed → return;
//   2. refresh (the mirror gate decides whether it is trusted);
//   3. intake of `file` (recorded and handed to on_intake even when the refresh is not trusted),
//      rejected → return; without a file, the newest accepted HR file is planned again;
//   4. refresh not trusted → return, nothing planned; no accepted HR file at all → return;
//   5. look up the resigned accounts of rehires the mirror never saw (sync/rehire_lookup.hpp;
//      Feishu failing → return, nothing planned), plan, gate, store (sync/planning.hpp); held →
//      return;
//   6. apply (sync/apply.hpp).
#pragma once

#include "config/config.hpp"
#include "feishu/client.hpp"
#include "storage/database.hpp"
#include "storage/mirror.hpp"
#include "storage/plan.hpp"
#include "sync/apply.hpp"
#include "sync/intake.hpp"
#include "sync/refresh.hpp"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dirsync::sync {

// What planning from an HR file came to.
struct PlanMade
{
  std::int64_t hr_file_id = 0;
  bool accepted = false;       // false: the source gate rejected the file, nothing was planned
  std::string rejected_reason; // why, when rejected
  hr::Report report;           // the file's report (also stored in hr_files)
  storage::Plan plan;          // stored (plan.id set) when accepted: held, or approved
};

// Reads `file` (recorded in hr_files, left where it is), and unless the source gate rejects it,
// plans it against the mirror, runs the safety gates and stores the plan. With a `client`, the
// resigned accounts of rehires the mirror never saw are looked up first (sync/rehire_lookup.hpp);
// without one only the resigned users the mirror has seen can be resurrected. Throws InputError
// when the file cannot be read at all, StorageError when the mirror has no trusted refresh to
// plan against (run `dirsync refresh`) or the database fails, ApiError when the look-up fails
// (nothing is planned then).
PlanMade plan_from_file(storage::Database& db, const config::Config& config, const std::filesystem::path& file,
                        std::int64_t now, feishu::Client* client = nullptr);

// Plans an already accepted HR file (hr_files.id) against the mirror, gates and stores the plan
// (sync/planning.hpp's plan_and_store), after the rehire look-up when given a client. Throws as
// plan_from_file.
storage::Plan plan_from_hr_file(storage::Database& db, const config::Config& config, std::int64_t hr_file_id,
                                std::int64_t now, feishu::Client* client = nullptr);

// Before applying a stored plan that has not begun (`dirsync approve`d, or made by `dirsync plan`
// without the app secret): runs the rehire look-up (sync/rehire_lookup.hpp) on the plan's HR file,
// then returns how many of the plan's unsent creates are for a person the mirror now has a resigned
// account for whose resignation dirsync saw only after the plan was made (by employee number, or
// by email/mobile for an account without one). Non-zero: the plan could make a second account for
// a rehire; plan the file again instead. Throws ApiError, StorageError.
std::size_t find_rehires_unknown_to_plan(storage::Database& db, feishu::Client& client, std::int64_t plan_id,
                                         std::int64_t now);

struct CycleOptions
{
  // The HR file to take in. Without one the cycle re-plans the newest accepted HR file (the last
  // accepted roster): the daemon's inbox watcher passes each file it is handed.
  std::optional<std::filesystem::path> file;
  // Called right after `file` was read and recorded, accepted or not, before anything is planned:
  // the daemon moves it to archive/ or rejected/ with its reports here. If the cycle stops
  // earlier (a resumed plan was stopped), the file is not taken in and summary.hr_file_id is 0.
  std::function<void(const IntakeOutcome&)> on_intake;
  std::function<void(const RefreshProgress&)> on_refresh_progress;
  // Unix seconds.
  std::function<std::int64_t()> now;
  // Set by the daemon on SIGTERM: the apply stops taking new operations (the plan stays applying
  // and the next cycle resumes it).
  const std::atomic<bool>* stop = nullptr;
  std::function<void(const ApplyProgress&)> on_progress;
};

// How a cycle ended, in order of the steps; what is not reached keeps its default.
struct CycleSummary
{
  std::optional<ApplySummary> resumed;  // a plan a crash or stop left applying, finished first
  std::optional<storage::RefreshRun> refresh;
  bool refresh_trusted = false;         // false: no plan was made (mirror gate)
  std::int64_t hr_file_id = 0;          // 0: no file taken in and no accepted file to re-plan
  bool hr_file_rejected = false;
  std::string hr_file_reason;           // why it was rejected
  std::int64_t plan_id = 0;
  storage::PlanStatus plan_status = storage::PlanStatus::draft;
  std::vector<std::string> held_reasons;
  std::optional<ApplySummary> apply;
  // One line for people and the log: "plan 12 done: 40 done, 0 failed, 1 skipped".
  std::string outcome;
  // Whether the cycle did what it should: false when the refresh was not trusted, the file was
  // rejected, or the plan failed. A held plan is not a failure (held() says so).
  bool ok = false;
  bool held() const { return plan_status == storage::PlanStatus::held; }
};

// Runs one cycle with `client` on `db`. Feishu's and HR's failures are outcomes (in the summary);
// throws StorageError when the database fails, InputError when `options.file` cannot be read.
CycleSummary run_cycle(storage::Database& db, feishu::Client& client, const config::Config& config,
                       const CycleOptions& options = {});

} // namespace dirsync::sync
