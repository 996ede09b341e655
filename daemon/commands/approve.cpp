// `dirsync approve PLAN_ID [--by NAME]`: releases a plan a safety rule held (DESIGN.md §7).
//
// Only a held plan can be approved; anything else is refused with what its status means. Who
// approved it is recorded (--by, else $SUDO_USER, else $USER), with the time.
#include "common/error.hpp"
#include "config/loader.hpp"
#include "daemon/commands.hpp"
#include "daemon/exit_code.hpp"
#include "storage/plan_store.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <ostream>

namespace dirsync::daemon {

namespace {

struct ApproveOptions
{
  std::int64_t plan_id = 0;
  std::string by;
};

std::string default_approver()
{
  for (const char* name : {"SUDO_USER", "USER"}) {
    if (const char* value = std::getenv(name); value != nullptr && *value != '\0') {
      return value;
    }
  }
  return "unknown";
}

std::string why_not(const storage::Plan& plan)
{
  switch (plan.status) {
  case storage::PlanStatus::draft:
    return "it is a draft that no safety rule has looked at yet";
  case storage::PlanStatus::approved:
    return fmt::format("it is already approved (by {})", plan.approved_by.value_or("?"));
  case storage::PlanStatus::applying:
    return "it is being applied";
  case storage::PlanStatus::done:
    return "it has been applied";
  case storage::PlanStatus::failed:
    return "it failed while being applied; make a new plan with `dirsync plan FILE`";
  case storage::PlanStatus::superseded:
    return "a newer plan superseded it; approve the newest held plan instead (`SELECT * FROM v_held_plans`)";
  case storage::PlanStatus::held:
    break;
  }
  return "it is not held";
}

ExitCode run_approve(const ApproveOptions& options, const Invocation& inv, std::ostream& out)
{
  const config::Config config = config::load_config(inv.config_path, config::SecretUse::optional);
  storage::Database db(config.storage.database);
  storage::PlanStore plans(db);
  const std::optional<storage::Plan> plan = plans.find(options.plan_id);
  if (!plan) {
    throw Error(fmt::format("plan {} does not exist in {} (`SELECT id, status FROM v_plans` lists the plans)",
                            options.plan_id, config.storage.database.string()));
  }
  if (plan->status != storage::PlanStatus::held) {
    throw Error(fmt::format("plan {} cannot be approved: only a held plan can, and {}", plan->id, why_not(*plan)));
  }
  const std::string by = options.by.empty() ? default_approver() : options.by;
  const std::int64_t now =
    std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (!plans.approve(plan->id, by, now)) {
    throw Error(fmt::format("plan {} changed while it was being approved; look at it again (v_plans)", plan->id));
  }
  spdlog::info("plan {} approved by {}, releasing: {}", plan->id, by, fmt::join(plan->held_reasons, "; "));
  out << fmt::format("plan {} approved by {}: {} creates, {} updates, {} deletes, {} resurrects, {} freezes, "
                     "{} leader settings\n",
                     plan->id, by, plan->counts.creates, plan->counts.updates, plan->counts.deletes,
                     plan->counts.resurrects, plan->counts.freezes, plan->counts.set_leaders);
  out << "it was held because:\n";
  for (const std::string& reason : plan->held_reasons) {
    out << "  - " << reason << '\n';
  }
  out << fmt::format("a running daemon applies it within seconds; without one: `dirsync apply --plan {}`\n", plan->id);
  return ExitCode::success;
}

} // namespace

void add_approve_command(CLI::App& app, Invocation& inv, std::ostream& out)
{
  auto options = std::make_shared<ApproveOptions>();
  auto* cmd = app.add_subcommand("approve", "Release a plan that a safety rule held");
  cmd->add_option("PLAN_ID", options->plan_id, "The held plan (v_held_plans lists them)")->required();
  cmd->add_option("--by", options->by, "Who approves it (default: $SUDO_USER, else $USER)");
  cmd->callback([&inv, &out, options] {
    inv.action = [&inv, &out, options] { return run_approve(*options, inv, out); };
  });
}

} // namespace dirsync::daemon
