// `dirsync apply FILE` and `dirsync apply --plan ID` (DESIGN.md §4, §8; docs/applying.md), and
// `dirsync sync [FILE]`.
//
// apply FILE: reads the HR file, plans it against the mirror as the last refresh left it, runs the
// safety gates, stores the plan, and applies it unless a gate held it.
// apply --plan ID: applies a stored plan that is approved (by a gate or `dirsync approve`), or
// resumes one that is still applying because an earlier run was killed or stopped.
// sync [FILE]: one whole cycle (sync/cycle.hpp): resume, refresh, intake FILE (without FILE: plan
// the last accepted HR file again), plan, gate, apply.
//
// Exit codes: 0 the plan is done (or there was nothing to do); 3 the plan is held, or (sync) the
// refresh was not trusted; 1 the file was rejected, an operation failed, or something else failed.
// Progress: on a terminal, one line on stderr redrawn in place; the log gets a line every 10 s.
#include "config/loader.hpp"
#include "daemon/commands.hpp"
#include "daemon/exit_code.hpp"
#include "daemon/instance_lock.hpp"
#include "daemon/plan_report.hpp"
#include "daemon/refresh_progress.hpp"
#include "feishu/client.hpp"
#include "hr/report.hpp"
#include "storage/database.hpp"
#include "storage/journal.hpp"
#include "storage/plan_store.hpp"
#include "sync/apply.hpp"
#include "sync/cycle.hpp"
#include "sync/stored_mirror.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <ostream>
#include <unistd.h>

namespace dirsync::daemon {

namespace {

struct ApplyCommandOptions
{
  std::optional<std::filesystem::path> file;
  std::optional<std::int64_t> plan_id;
};

// One line on stderr, redrawn at most 5 times a second, when stderr is a terminal.
class ApplyProgressLine
{
public:
  ApplyProgressLine() : m_tty(isatty(STDERR_FILENO) == 1) {}
  ~ApplyProgressLine() { clear(); }
  ApplyProgressLine(const ApplyProgressLine&) = delete;
  ApplyProgressLine& operator=(const ApplyProgressLine&) = delete;

  std::function<void(const sync::ApplyProgress&)> callback()
  {
    if (!m_tty) {
      return {};
    }
    return [this](const sync::ApplyProgress& p) {
      const auto now = std::chrono::steady_clock::now();
      if (m_drawn && now - m_last < std::chrono::milliseconds(200) && p.finished != p.total) {
        return;
      }
      m_last = now;
      const auto line = fmt::format("plan {}: {}/{} operations ({} done, {} failed, {} skipped), {:.1f}/s", p.plan_id,
                                    p.finished, p.total, p.done, p.failed, p.skipped, p.rate);
      std::fprintf(stderr, "\r%s\033[K", line.c_str());
      std::fflush(stderr);
      m_drawn = true;
    };
  }

  void clear()
  {
    if (m_drawn) {
      std::fprintf(stderr, "\r\033[K");
      std::fflush(stderr);
      m_drawn = false;
    }
  }

private:
  bool m_tty;
  bool m_drawn = false;
  std::chrono::steady_clock::time_point m_last;
};

ExitCode report(const sync::ApplySummary& s, const std::filesystem::path& database, std::ostream& out)
{
  out << fmt::format("plan {}: {}{}\n", s.plan_id, s.stopped ? "stopped" : std::string(storage::to_string(s.status)),
                     s.resumed ? " (resumed)" : "");
  out << fmt::format("  operations  {}: {} done, {} failed, {} skipped, {} left\n", s.tally.total(), s.tally.done,
                     s.tally.failed, s.tally.skipped, s.tally.pending + s.tally.in_flight);
  out << fmt::format("  this run    {} requests in {:.1f} s\n", s.requests, s.seconds);
  if (s.tally.failed > 0) {
    out << fmt::format("  why         sqlite3 -readonly {} \"SELECT * FROM v_failed_operations WHERE plan_id = {}\"\n",
                       database.string(), s.plan_id);
  }
  if (s.tally.skipped > 0) {
    out << fmt::format("  skipped     their targets changed since planning; the next plan looks again "
                       "(v_operations WHERE plan_id = {} AND state = 'skipped')\n", s.plan_id);
  }
  if (s.stopped) {
    out << fmt::format("  resume with `dirsync apply --plan {}`\n", s.plan_id);
    return ExitCode::failure;
  }
  return s.status == storage::PlanStatus::done ? ExitCode::success : ExitCode::failure;
}

ExitCode report_held(const storage::Plan& plan, std::ostream& out)
{
  out << fmt::format("plan {}: HELD by a safety rule; nothing was applied\n", plan.id);
  for (const auto& reason : plan.held_reasons) {
    out << "  " << reason << '\n';
  }
  out << fmt::format("  read it (dirsync status, v_held_plans) and release it with `dirsync approve {}`, "
                     "then `dirsync apply --plan {}`\n", plan.id, plan.id);
  return ExitCode::held;
}

std::int64_t unix_now()
{
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

ExitCode run_apply(const ApplyCommandOptions& options, const Invocation& inv, std::ostream& out)
{
  const config::Config config = config::load_config(inv.config_path);
  storage::Database db(config.storage.database);
  // One process at a time changes the tenant: not beside the daemon or another apply.
  const InstanceLock lock(lock_path_for(config.storage.database), "dirsync apply");
  feishu::Client client(config.feishu);

  std::int64_t plan_id = 0;
  if (options.plan_id) {
    plan_id = *options.plan_id;
    storage::PlanStore plans(db);
    const auto plan = plans.find(plan_id);
    if (plan && plan->status == storage::PlanStatus::approved && !plan->started_at &&
        sync::find_rehires_unknown_to_plan(db, client, plan_id, unix_now()) > 0) {
      plans.set_status(plan_id, storage::PlanStatus::superseded, unix_now());
      out << fmt::format("plan {} was made without knowing the resigned Feishu accounts of people it would create "
                         "anew (they left before dirsync saw them); nothing was applied and it is superseded. Plan "
                         "the file again: `dirsync apply FILE`\n", plan_id);
      return ExitCode::failure;
    }
  } else {
    if (const auto applying = storage::Journal(db).find_applying_plan()) {
      out << fmt::format("plan {} is still being applied (an earlier run stopped); finish it first with "
                         "`dirsync apply --plan {}`\n", *applying, *applying);
      return ExitCode::failure;
    }
    const auto made = sync::plan_from_file(db, config, *options.file, unix_now(), &client);
    if (!made.accepted) {
      out << hr::to_text(made.report);
      out << fmt::format("{}: REJECTED, nothing was planned: {}\n", options.file->string(), made.rejected_reason);
      return ExitCode::failure;
    }
    if (made.plan.status == storage::PlanStatus::held) {
      print_plan(out, made.plan);
      return report_held(made.plan, out);
    }
    plan_id = made.plan.id;
  }

  ApplyProgressLine progress;
  sync::ApplyOptions apply_options;
  apply_options.max_in_flight = config.feishu.max_in_flight;
  apply_options.on_progress = progress.callback();
  sync::StoredMirror mirror(db);
  const auto summary = sync::apply_plan(db, client, mirror, plan_id, apply_options);
  progress.clear();
  return report(summary, config.storage.database, out);
}

ExitCode run_sync(const std::optional<std::filesystem::path>& file, const Invocation& inv, std::ostream& out)
{
  const config::Config config = config::load_config(inv.config_path);
  storage::Database db(config.storage.database);
  const InstanceLock lock(lock_path_for(config.storage.database), "dirsync sync");
  feishu::Client client(config.feishu);

  ApplyProgressLine progress;
  RefreshProgressDisplay refresh_progress;
  sync::CycleOptions options;
  options.file = file;
  options.on_progress = progress.callback();
  options.on_refresh_progress = [&refresh_progress](const sync::RefreshProgress& p) { refresh_progress.show(p); };
  options.on_intake = [&refresh_progress](const sync::IntakeOutcome&) { refresh_progress.clear(); };
  const auto summary = sync::run_cycle(db, client, config, options);
  refresh_progress.clear();
  progress.clear();

  if (summary.resumed) {
    report(*summary.resumed, config.storage.database, out);
  }
  if (summary.refresh && !summary.refresh_trusted) {
    out << summary.outcome << '\n';
    return summary.refresh->result == storage::RefreshResult::untrusted ? ExitCode::held : ExitCode::failure;
  }
  if (summary.hr_file_rejected) {
    out << summary.outcome << '\n';
    return ExitCode::failure;
  }
  if (summary.held()) {
    out << fmt::format("plan {}: HELD by a safety rule; nothing was applied\n", summary.plan_id);
    for (const auto& reason : summary.held_reasons) {
      out << "  " << reason << '\n';
    }
    out << fmt::format("  release it with `dirsync approve {}`\n", summary.plan_id);
    return ExitCode::held;
  }
  if (summary.apply) {
    return report(*summary.apply, config.storage.database, out);
  }
  out << summary.outcome << '\n';
  return summary.ok ? ExitCode::success : ExitCode::failure;
}

} // namespace

void add_apply_command(CLI::App& app, Invocation& inv, std::ostream& out)
{
  auto options = std::make_shared<ApplyCommandOptions>();
  auto* cmd = app.add_subcommand(
    "apply", "Plan an HR file and apply it under the safety rules, or apply (resume) a stored plan. Exit 0 when "
             "the plan is done, 3 when a safety rule held it, 1 when the file was rejected or an operation failed");
  auto* file = cmd->add_option("FILE", options->file, "The HR export to plan and apply");
  auto* plan = cmd->add_option("--plan", options->plan_id,
                               "Apply the stored plan with this id (approved), or resume it (applying)");
  file->excludes(plan);
  plan->excludes(file);
  cmd->callback([&inv, &out, options] {
    if (!options->file && !options->plan_id) {
      throw CLI::RequiredError("apply needs FILE or --plan ID");
    }
    inv.action = [&inv, &out, options] { return run_apply(*options, inv, out); };
  });
}

void add_sync_command(CLI::App& app, Invocation& inv, std::ostream& out)
{
  auto file = std::make_shared<std::optional<std::filesystem::path>>();
  auto* cmd = app.add_subcommand(
    "sync", "Refresh, then plan and apply once: FILE, or without it the last accepted HR file. Exit 0 when "
            "the plan is done, 3 when it is held or the refresh was not trusted, 1 otherwise");
  cmd->add_option("FILE", *file, "The HR export to take in");
  cmd->callback([&inv, &out, file] {
    inv.action = [&inv, &out, file] { return run_sync(*file, inv, out); };
  });
}

} // namespace dirsync::daemon
