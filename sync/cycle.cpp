// One cycle, step by step. Each step records its own outcome in the database (refresh_runs,
// hr_files, plans, operations), so the summary returned here is only a digest for the caller.
//
// A plan left applying by a crash or a stop is finished before anything else: it was computed from
// an older mirror, but its operations check their preconditions against the mirror now, and a new
// plan cannot start while it is applying (only one plan applies at a time).
#include "sync/cycle.hpp"

#include "common/error.hpp"
#include "storage/hr_store.hpp"
#include "storage/journal.hpp"
#include "storage/link_store.hpp"
#include "storage/mirror_store.hpp"
#include "storage/plan_store.hpp"
#include "sync/intake.hpp"
#include "sync/linker.hpp"
#include "sync/planning.hpp"
#include "sync/refresh.hpp"
#include "sync/rehire_lookup.hpp"
#include "sync/stored_mirror.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <unordered_set>

namespace dirsync::sync {

namespace {

std::int64_t system_now()
{
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
    .count();
}

std::string describe(const ApplySummary& s)
{
  return fmt::format("plan {} {}: {} done, {} failed, {} skipped", s.plan_id,
                     s.stopped ? "stopped" : std::string(storage::to_string(s.status)), s.tally.done, s.tally.failed,
                     s.tally.skipped);
}

ApplyOptions apply_options(const config::Config& config, const CycleOptions& options)
{
  ApplyOptions apply;
  apply.max_in_flight = config.feishu.max_in_flight;
  apply.now = options.now;
  apply.stop = options.stop;
  apply.on_progress = options.on_progress;
  return apply;
}

} // namespace

storage::Plan plan_from_hr_file(storage::Database& db, const config::Config& config, std::int64_t hr_file_id,
                                std::int64_t now, feishu::Client* client)
{
  storage::HrStore hr_store(db);
  const auto file = hr_store.find_file(hr_file_id);
  if (!file || !file->accepted) {
    throw StorageError(fmt::format("HR file {} was not accepted, so it cannot be planned", hr_file_id));
  }
  storage::MirrorStore mirror(db);
  auto snapshot = mirror.load_snapshot();
  if (snapshot.refresh.id == 0 || snapshot.refresh.result != storage::RefreshResult::ok) {
    throw StorageError(fmt::format(
      "{}: the mirror has no trusted refresh to plan against{}; run `dirsync refresh` (see v_refresh_runs)",
      db.file().string(),
      snapshot.refresh.id == 0 ? "" : fmt::format(" (the newest, {}, is not ok)", snapshot.refresh.id)));
  }
  const hr::Roster roster = hr_store.load_roster(hr_file_id);
  if (client != nullptr) {
    const auto links = storage::LinkStore(db).current();
    if (look_up_rehires(*client, mirror, roster, snapshot, links, now).found > 0) {
      snapshot = mirror.load_snapshot();
    }
  }
  return plan_and_store(db, config, hr_file_id, roster, snapshot, now);
}

std::size_t find_rehires_unknown_to_plan(storage::Database& db, feishu::Client& client, std::int64_t plan_id,
                                         std::int64_t now)
{
  storage::MirrorStore mirror(db);
  const auto found = storage::PlanStore(db).find(plan_id);
  if (!found) {
    return 0;
  }
  look_up_rehires(client, mirror, storage::HrStore(db).load_roster(found->hr_file_id), mirror.load_snapshot(),
                  storage::LinkStore(db).current(), now);

  // A create not yet sent for a person the mirror now has a resigned account for, whose
  // resignation dirsync saw only after the plan was made (found by this look-up or an earlier
  // one, or by a refresh): the plan could not have weighed a resurrect.
  const auto snapshot = mirror.load_snapshot();
  std::unordered_set<std::string> employee_nos;
  std::unordered_set<std::string> contacts; // of resigned users without an employee number
  for (const storage::MirrorUser& u : snapshot.users) {
    if (u.state != storage::MirrorState::resigned || u.resigned_seen_at.value_or(0) < found->created_at) {
      continue;
    }
    if (!u.user.employee_no.empty()) {
      employee_nos.insert(u.user.employee_no);
    } else {
      contacts.insert("e" + lower_ascii(u.user.email));
      contacts.insert("m" + canonical_mobile(u.user.mobile));
    }
  }
  std::size_t stale = 0;
  for (const storage::Operation& op : found->operations) {
    if (op.kind != storage::OperationKind::create || op.state != storage::OperationState::pending) {
      continue;
    }
    const std::string email = op.payload.get_string("email");
    const std::string mobile = op.payload.get_string("mobile");
    if (employee_nos.count(op.employee_no) != 0 || (!email.empty() && contacts.count("e" + lower_ascii(email)) != 0) ||
        (!mobile.empty() && contacts.count("m" + canonical_mobile(mobile)) != 0)) {
      ++stale;
    }
  }
  if (stale > 0) {
    spdlog::warn("plan {} would create {} person(s) whose resigned Feishu account dirsync found only after it was "
                 "planned; it is not applied (superseded): its HR file is planned again",
                 plan_id, stale);
  }
  return stale;
}

PlanMade plan_from_file(storage::Database& db, const config::Config& config, const std::filesystem::path& file,
                        std::int64_t now, feishu::Client* client)
{
  PlanMade made;
  const auto intake = intake_file(db, config, file);
  made.hr_file_id = intake.hr_file_id;
  made.accepted = intake.result.report.accepted;
  made.report = intake.result.report;
  if (!made.accepted) {
    const auto& reasons = intake.result.report.rejection_reasons;
    made.rejected_reason = reasons.empty() ? "rejected" : fmt::format("{}", fmt::join(reasons, "; "));
    spdlog::warn("{} rejected: {}", file.string(), made.rejected_reason);
    return made;
  }
  made.plan = plan_from_hr_file(db, config, intake.hr_file_id, now, client);
  return made;
}

CycleSummary run_cycle(storage::Database& db, feishu::Client& client, const config::Config& config,
                       const CycleOptions& given)
{
  CycleOptions options = given;
  if (!options.now) {
    options.now = system_now;
  }
  CycleSummary summary;

  // 1. A plan still applying is finished first.
  storage::Journal journal(db);
  if (const auto applying = journal.find_applying_plan()) {
    StoredMirror mirror(db);
    summary.resumed = apply_plan(db, client, mirror, *applying, apply_options(config, options));
    if (summary.resumed->stopped) {
      summary.outcome = describe(*summary.resumed);
      return summary;
    }
  }

  // 1b. A plan approved but not begun (released by `dirsync approve`, or approved by a cycle that
  //     stopped before applying it) is applied next: planning again would supersede it, and a plan
  //     the delete limits held would only be held again. Its operations check their preconditions
  //     against the mirror as a resumed plan's do.
  std::optional<std::int64_t> approved = storage::PlanStore(db).find_approved_unstarted();
  if (approved) {
    try {
      if (find_rehires_unknown_to_plan(db, client, *approved, options.now()) > 0) {
        storage::PlanStore(db).set_status(*approved, storage::PlanStatus::superseded, options.now());
        approved.reset(); // its HR file is planned again below
      }
    } catch (const ApiError& e) {
      summary.outcome = fmt::format("looking up resigned Feishu users for rehires failed, plan {} not applied: {}",
                                    *approved, e.what());
      spdlog::warn("{}", summary.outcome);
      return summary;
    }
  }
  if (approved) {
    StoredMirror mirror(db);
    summary.apply = apply_plan(db, client, mirror, *approved, apply_options(config, options));
    summary.plan_id = *approved;
    summary.plan_status = summary.apply->status;
    if (summary.apply->stopped || summary.apply->status != storage::PlanStatus::done) {
      summary.outcome = describe(*summary.apply);
      return summary;
    }
  }

  // 2. Refresh; the mirror gate decides whether it may be planned against.
  RefreshOptions refresh_options;
  refresh_options.now = options.now;
  refresh_options.on_progress = options.on_refresh_progress;
  const auto refreshed = refresh_mirror(client, db, config, refresh_options);
  summary.refresh = refreshed.run;
  summary.refresh_trusted = refreshed.run.result == storage::RefreshResult::ok;

  // 3. Intake (even when the refresh is not trusted: the file is recorded and filed away, and a
  //    later cycle plans it as the last accepted roster), or the last accepted roster.
  std::optional<std::int64_t> to_plan;
  if (options.file) {
    const auto intake = intake_file(db, config, *options.file);
    summary.hr_file_id = intake.hr_file_id;
    if (options.on_intake) {
      options.on_intake(intake);
    }
    if (!intake.result.report.accepted) {
      const auto& reasons = intake.result.report.rejection_reasons;
      summary.hr_file_rejected = true;
      summary.hr_file_reason = reasons.empty() ? "rejected" : fmt::format("{}", fmt::join(reasons, "; "));
      summary.outcome = fmt::format("{} rejected, nothing planned: {}", options.file->filename().string(),
                                    summary.hr_file_reason);
      return summary;
    }
    to_plan = intake.hr_file_id;
  } else if (const auto latest = storage::HrStore(db).find_latest_accepted()) {
    summary.hr_file_id = latest->id;
    to_plan = latest->id;
  }
  if (!summary.refresh_trusted) {
    summary.outcome = fmt::format("refresh {} not trusted, nothing planned: {}", refreshed.run.id,
                                  refreshed.run.result == storage::RefreshResult::failed ? refreshed.run.error
                                                                                         : refreshed.run.trust_reason);
    return summary;
  }
  if (!to_plan) {
    summary.ok = true;
    summary.outcome = "no accepted HR file yet, nothing planned";
    return summary;
  }
  storage::Plan plan;
  try {
    plan = plan_from_hr_file(db, config, *to_plan, options.now(), &client);
  } catch (const ApiError& e) {
    // The rehire look-up failed: planning without it could make second accounts for rehires.
    summary.outcome = fmt::format("looking up resigned Feishu users for rehires failed, nothing planned: {}",
                                  e.what());
    spdlog::warn("{}", summary.outcome);
    return summary;
  }

  // 4. Gate, 5. apply.
  summary.plan_id = plan.id;
  summary.plan_status = plan.status;
  summary.held_reasons = plan.held_reasons;
  if (plan.status == storage::PlanStatus::held) {
    summary.ok = true;
    summary.outcome = fmt::format("plan {} held: {}", plan.id, fmt::join(plan.held_reasons, "; "));
    return summary;
  }
  StoredMirror mirror(db);
  summary.apply = apply_plan(db, client, mirror, plan.id, apply_options(config, options));
  summary.plan_status = summary.apply->status;
  summary.ok = summary.apply->status == storage::PlanStatus::done;
  summary.outcome = describe(*summary.apply);
  return summary;
}

} // namespace dirsync::sync
