// `dirsync plan FILE [--json]`: reads an HR export, plans it against the mirror, runs the safety
// gates and stores the plan; shows what would change. Nothing is sent to Feishu.
//
// The mirror must come from a trusted refresh: with no finished refresh, or when the newest one
// was not trusted (it lost too many users, or paging failed part-way), the command refuses and
// says to run `dirsync refresh`. The file is recorded like any other (hr_files), but not moved.
// Exit codes: 0 planned, 3 planned and held by a safety rule, 1 the file was rejected (its report
// is printed) or nothing could be planned.
//
// Rehires (sync/rehire_lookup.hpp): when the app secret is available, the resigned Feishu accounts
// of HR rows the mirror cannot account for are looked up first (read-only requests), as `dirsync
// apply` and the daemon do, so the plan shows the resurrect they would make. Without a secret the
// command stays offline and says, when such rows exist, that it only knows the resigned users the
// mirror has seen (a rehire of someone who left before dirsync's first refresh shows as a create).
#include "common/error.hpp"
#include "config/loader.hpp"
#include "daemon/commands.hpp"
#include "daemon/exit_code.hpp"
#include "daemon/plan_report.hpp"
#include "hr/report.hpp"
#include "feishu/client.hpp"
#include "storage/link_store.hpp"
#include "storage/mirror_store.hpp"
#include "sync/intake.hpp"
#include "sync/planning.hpp"
#include "sync/rehire_lookup.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <ostream>

namespace dirsync::daemon {

namespace {

struct PlanOptions
{
  std::filesystem::path file;
  bool json = false;
};

// Throws Error saying what to do unless `r`, the newest refresh that finished (a default run when
// none did), is trusted: only an ok refresh wrote what the mirror tables hold.
void require_trusted(const storage::RefreshRun& r)
{
  switch (r.result) {
  case storage::RefreshResult::ok:
    return;
  case storage::RefreshResult::running:
    throw Error("the mirror has no finished refresh to plan against: run `dirsync refresh` first");
  case storage::RefreshResult::untrusted:
    throw Error(fmt::format("the newest refresh of the mirror ({}) is not trusted: {}; nothing was planned. Check "
                            "the app's contact scope in Feishu, then run `dirsync refresh` again",
                            r.id, r.trust_reason));
  case storage::RefreshResult::failed:
    throw Error(fmt::format("the newest refresh of the mirror ({}) failed: {}; nothing was planned. Run "
                            "`dirsync refresh` again",
                            r.id, r.error));
  }
}

ExitCode run_plan(const PlanOptions& options, const Invocation& inv, std::ostream& out)
{
  const config::Config config = config::load_config(inv.config_path, config::SecretUse::optional);
  storage::Database db(config.storage.database);
  storage::MirrorStore mirror(db);
  require_trusted(mirror.find_latest_refresh().value_or(storage::RefreshRun{}));

  const sync::IntakeOutcome intake = sync::intake_file(db, config, options.file);
  if (!intake.result.report.accepted) {
    if (options.json) {
      out << hr::to_json(intake.result.report).dump_pretty() << '\n';
    } else {
      out << hr::to_text(intake.result.report);
    }
    return ExitCode::failure;
  }

  storage::MirrorSnapshot snapshot = mirror.load_snapshot();
  require_trusted(snapshot.refresh); // again: a refresh may have finished since
  const std::int64_t now =
    std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::vector<storage::Link> links = storage::LinkStore(db).current();
  if (!config.feishu.app_secret.empty()) {
    feishu::Client client(config.feishu);
    try {
      if (sync::look_up_rehires(client, mirror, intake.result.roster, snapshot, links, now).found > 0) {
        snapshot = mirror.load_snapshot();
      }
    } catch (const ApiError& e) {
      throw Error(fmt::format("looking up the resigned Feishu accounts of rehires failed: {}; nothing was planned "
                              "(without it a rehire could be planned as a second account). Try again",
                              e.what()));
    }
  } else if (const auto unmatched = sync::find_unmatched_contacts(intake.result.roster, snapshot, links);
             unmatched.rows > 0) {
    const std::string note = fmt::format(
      "no app secret, so Feishu was not asked about the {} HR rows the mirror cannot match: this plan knows only "
      "the resigned users the mirror has seen (a rehire of someone who left before dirsync's first refresh "
      "shows as a create; `dirsync apply`, `dirsync sync` and the daemon look them up)",
      unmatched.rows);
    if (options.json) {
      spdlog::warn("{}", note);
    } else {
      out << "note: " << note << '\n';
    }
  }
  const storage::Plan plan =
    sync::plan_and_store(db, config, intake.hr_file_id, intake.result.roster, snapshot, now);
  if (options.json) {
    out << plan_to_json(plan).dump_pretty() << '\n';
  } else {
    print_plan(out, plan);
  }
  return plan.status == storage::PlanStatus::held ? ExitCode::held : ExitCode::success;
}

} // namespace

void add_plan_command(CLI::App& app, Invocation& inv, std::ostream& out)
{
  auto options = std::make_shared<PlanOptions>();
  auto* cmd = app.add_subcommand(
    "plan", "Read an HR export and show what would change in Feishu (the plan is stored; nothing is applied). "
            "Exit 0, 3 when a safety rule holds the plan, 1 when the file is rejected");
  cmd->add_option("FILE", options->file, "The HR export (.csv, .json, .jsonl)")->required();
  cmd->add_flag("--json", options->json, "Print the plan as JSON");
  cmd->callback([&inv, &out, options] {
    inv.action = [&inv, &out, options] { return run_plan(*options, inv, out); };
  });
}

} // namespace dirsync::daemon
