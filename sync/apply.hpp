// Applying a stored, approved plan to Feishu through the journal, exactly once (DESIGN.md §7, §8;
// docs/applying.md). The algorithm is described at the top of sync/apply.cpp.
#pragma once

#include "feishu/client.hpp"
#include "storage/database.hpp"
#include "storage/journal.hpp"
#include "storage/link.hpp"
#include "storage/plan.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace dirsync::sync {

// What apply reads of the mirror and the links, and how it keeps them in step with the answers it
// gets. The product's is StoredMirror (sync/stored_mirror.hpp); tests may pass their own.
//
// The record_* calls are made inside the journal step that marks the operation done (one
// transaction), so they must not open a transaction of their own.
class ApplyMirror
{
public:
  virtual ~ApplyMirror() = default;

  // The user as the mirror has them now, including what this apply already changed; nullopt when
  // the mirror does not know them. status.is_resigned is set for a user the mirror has as resigned.
  virtual std::optional<feishu::User> find_user(const std::string& open_id) = 0;
  // The Feishu user this employee number is currently linked to.
  virtual std::optional<std::string> find_linked_open_id(const std::string& employee_no) = 0;

  // A user as an answer returned them (after a create, patch, or the get after a resurrect).
  virtual void record_user(const feishu::User& user, std::int64_t now) = 0;
  // A user dirsync just deleted.
  virtual void record_resigned(const std::string& open_id, std::int64_t now) = 0;
  // A link made by a create or a resurrect. A current link of the employee number to another user
  // (a rehire who got a new account) is closed first; a link that already holds is left alone.
  virtual void record_link(const std::string& employee_no, const std::string& open_id, storage::LinkMethod method,
                           std::int64_t plan_id, std::int64_t now) = 0;
  // Feishu refused to resurrect this resigned user with `code` (44028, 44030, 44031 or 44032):
  // the next plan must not send the same resurrect again. Called after the operation was recorded
  // failed, outside the journal's transaction.
  virtual void record_resurrect_refused(const std::string& open_id, long long code) = 0;
};

// Where an apply stands; handed to ApplyOptions::on_progress after each finished operation.
struct ApplyProgress
{
  std::int64_t plan_id = 0;
  int total = 0;     // operations of the plan
  int finished = 0;  // done + failed + skipped, including those finished by an earlier run
  int done = 0;
  int failed = 0;
  int skipped = 0;
  double seconds = 0; // since this run began
  double rate = 0;    // operations finished per second by this run
};

struct ApplyOptions
{
  // Operations in progress at once (independent ones only). Usually feishu.max_in_flight.
  int max_in_flight = 8;
  // Sends of one operation within one run when Feishu's answers leave it unknown whether it landed
  // (the client has already retried each send); after that it is recorded failed.
  int max_tries = 3;
  // Unix seconds, for the journal's timestamps.
  std::function<std::int64_t()> now;
  // When it becomes true, no new operation starts; those in progress finish, the plan stays
  // applying, and a later apply resumes it.
  const std::atomic<bool>* stop = nullptr;
  // Called (from the thread that finished an operation, serialized) after each operation.
  std::function<void(const ApplyProgress&)> on_progress;
  // How often a progress line goes to the log (spdlog::info) during a long apply.
  std::chrono::seconds log_every{10};
};

struct ApplySummary
{
  std::int64_t plan_id = 0;
  bool resumed = false;       // the plan was already applying (an earlier run stopped or crashed)
  bool stopped = false;       // `stop` ended it early: operations are left for a later run
  storage::PlanStatus status = storage::PlanStatus::applying; // done | failed, or applying when stopped
  storage::OperationTally tally;
  std::string error;          // the plan's error when failed
  double seconds = 0;
  int requests = 0;           // operations sent by this run (each try counts)
};

// Applies plan `plan_id`: an approved plan is begun (status applying), a plan that is already
// applying is resumed; any other status is refused with StorageError naming what to do. Returns
// when every operation is finished (the plan is then done or failed, see sync/apply.cpp for the
// rule) or `stop` was set. Throws StorageError when the database fails (the plan then stays
// applying and the next apply resumes it); Feishu's failures never escape: they are recorded on
// their operations.
ApplySummary apply_plan(storage::Database& db, feishu::Client& client, ApplyMirror& mirror, std::int64_t plan_id,
                        const ApplyOptions& options = {});

} // namespace dirsync::sync
