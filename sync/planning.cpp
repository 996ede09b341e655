#include "sync/planning.hpp"

#include "storage/hr_store.hpp"
#include "storage/link_store.hpp"
#include "storage/plan_store.hpp"
#include "sync/gates.hpp"
#include "sync/planner.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <optional>

namespace dirsync::sync {

storage::Plan plan_and_store(storage::Database& db, const config::Config& config, std::int64_t hr_file_id,
                             const hr::Roster& roster, const storage::MirrorSnapshot& mirror, std::int64_t now)
{
  storage::PlanStore plans(db);
  storage::HrStore hr_files(db);
  const std::vector<storage::Link> links = storage::LinkStore(db).current();

  std::optional<hr::Roster> baseline;
  if (const std::optional<storage::Plan> last = plans.find_last_done()) {
    baseline = hr_files.load_roster(last->hr_file_id);
  }

  const Planner planner(config.sync, config.hr.department_key, config.feishu.app_id);
  for (const std::string& entry : planner.unknown_scope_entries(mirror)) {
    spdlog::warn("sync.scope: department {} is not in the mirror: it matches nothing (check the id: scope takes "
                 "the tenant's department_id, an open_department_id, or \"0\")",
                 entry);
  }
  storage::Plan plan = planner.plan(
    {roster, config.hr.mode, mirror, links, baseline ? &*baseline : nullptr, now, hr_file_id});

  GateFacts facts;
  facts.refresh = mirror.refresh;
  facts.leavers_last_24h = plans.count_leavers_done_since(now - 24 * 60 * 60);
  facts.first_plan = !plans.has_approved_plan(config.feishu.base_url, config.feishu.app_id);
  apply_gates(plan, config.sync, facts, now);
  plans.save(plan);

  spdlog::info("plan {}: {} creates, {} updates, {} deletes, {} resurrects, {} freezes, {} leader settings "
               "({} decisions, {} managed users)",
               plan.id, plan.counts.creates, plan.counts.updates, plan.counts.deletes, plan.counts.resurrects,
               plan.counts.freezes, plan.counts.set_leaders, plan.decisions.size(), plan.managed_users);
  if (plan.status == storage::PlanStatus::held) {
    spdlog::warn("plan {} is held: {}; review it (`SELECT * FROM v_operations WHERE plan_id = {}`) and release "
                 "it with `dirsync approve {}`",
                 plan.id, fmt::join(plan.held_reasons, "; "), plan.id, plan.id);
  }
  return plan;
}

} // namespace dirsync::sync
