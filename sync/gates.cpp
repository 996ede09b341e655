#include "sync/gates.hpp"

#include <fmt/format.h>

namespace dirsync::sync {

namespace {

bool over_percent(std::int64_t leavers, int managed, double max_percent)
{
  if (leavers == 0) {
    return false;
  }
  if (managed <= 0) {
    return true;
  }
  return static_cast<double>(leavers) * 100.0 > max_percent * managed;
}

double percent(std::int64_t leavers, int managed)
{
  return managed <= 0 ? 100.0 : static_cast<double>(leavers) * 100.0 / managed;
}

} // namespace

std::vector<std::string> check_gates(const storage::Plan& plan, const config::SyncConfig& sync,
                                     const GateFacts& facts)
{
  std::vector<std::string> reasons;
  if (plan.operations.empty()) {
    return reasons;
  }
  const config::SafetyConfig& s = sync.safety;
  const std::int64_t leavers = plan.counts.deletes + plan.counts.freezes;
  const std::int64_t rolling = facts.leavers_last_24h + leavers;
  if (leavers > s.max_deletes) {
    reasons.push_back(fmt::format("safety.max_deletes: {} deletes and freezes in this plan, more than {}",
                                  leavers, s.max_deletes));
  } else if (leavers > 0 && rolling > s.max_deletes) {
    reasons.push_back(fmt::format("safety.max_deletes: {} deletes and freezes done in the last 24 hours and {} in "
                                  "this plan make {}, more than {}",
                                  facts.leavers_last_24h, leavers, rolling, s.max_deletes));
  }
  if (over_percent(leavers, plan.managed_users, s.max_deletes_percent)) {
    reasons.push_back(fmt::format("safety.max_deletes_percent: {} deletes and freezes in this plan are {:.1f}% of "
                                  "{} managed users, more than {}%",
                                  leavers, percent(leavers, plan.managed_users), plan.managed_users,
                                  s.max_deletes_percent));
  } else if (leavers > 0 && over_percent(rolling, plan.managed_users, s.max_deletes_percent)) {
    reasons.push_back(fmt::format("safety.max_deletes_percent: {} deletes and freezes in the last 24 hours with this "
                                  "plan are {:.1f}% of {} managed users, more than {}%",
                                  rolling, percent(rolling, plan.managed_users), plan.managed_users,
                                  s.max_deletes_percent));
  }
  if (s.hold_first_plan && facts.first_plan) {
    reasons.push_back("safety.hold_first_plan: the first plan against this tenant waits for a person to review it");
  }
  if (sync.apply_mode == config::ApplyMode::manual) {
    reasons.push_back("sync.apply_mode: manual: every plan waits for approval");
  }
  if (facts.refresh.result != storage::RefreshResult::ok) {
    reasons.push_back(fmt::format("mirror: refresh {} is not trusted{}", facts.refresh.id,
                                  facts.refresh.trust_reason.empty() ? std::string()
                                                                     : " (" + facts.refresh.trust_reason + ")"));
  }
  return reasons;
}

void apply_gates(storage::Plan& plan, const config::SyncConfig& sync, const GateFacts& facts, std::int64_t now)
{
  plan.held_reasons = check_gates(plan, sync, facts);
  if (plan.held_reasons.empty()) {
    plan.status = storage::PlanStatus::approved;
    plan.approved_by = "auto";
    plan.approved_at = now;
  } else {
    plan.status = storage::PlanStatus::held;
    plan.approved_by.reset();
    plan.approved_at.reset();
  }
}

} // namespace dirsync::sync
