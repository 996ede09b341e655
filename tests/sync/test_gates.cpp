#include "sync/gates.hpp"

#include "support/plan_fixtures.hpp"

#include <catch2/catch.hpp>

using namespace dirsync;
using namespace dirsync::testing;

namespace {

// A plan with `deletes` deletes (and one update) over `managed` managed users.
storage::Plan plan_with(int deletes, int managed)
{
  storage::Plan plan;
  plan.managed_users = managed;
  storage::Operation update;
  update.kind = storage::OperationKind::update;
  plan.operations.push_back(update);
  ++plan.counts.updates;
  for (int i = 0; i < deletes; ++i) {
    storage::Operation d;
    d.kind = storage::OperationKind::delete_user;
    plan.operations.push_back(d);
    ++plan.counts.deletes;
  }
  return plan;
}

sync::GateFacts trusted()
{
  sync::GateFacts facts;
  facts.refresh.id = 4;
  facts.refresh.result = storage::RefreshResult::ok;
  return facts;
}

} // namespace

TEST_CASE("gates approve an ordinary plan automatically", "[sync][gates]")
{
  storage::Plan plan = plan_with(2, 1000);
  sync::apply_gates(plan, sync_config(), trusted(), k_now);
  CHECK(plan.status == storage::PlanStatus::approved);
  CHECK(plan.approved_by == "auto");
  CHECK(plan.approved_at == k_now);
  CHECK(plan.held_reasons.empty());
}

TEST_CASE("gates hold a mass deletion by count and by percentage", "[sync][gates]")
{
  config::SyncConfig sync = sync_config(); // max_deletes 20, max_deletes_percent 5
  storage::Plan many = plan_with(21, 10000);
  sync::apply_gates(many, sync, trusted(), k_now);
  CHECK(many.status == storage::PlanStatus::held);
  CHECK(many.held_reasons == std::vector<std::string>{"safety.max_deletes: 21 deletes and freezes in this plan, more than 20"});
  CHECK_FALSE(many.approved_at.has_value());

  storage::Plan share = plan_with(6, 100);
  sync::apply_gates(share, sync, trusted(), k_now);
  CHECK(share.held_reasons ==
        std::vector<std::string>{"safety.max_deletes_percent: 6 deletes and freezes in this plan are 6.0% of 100 managed users, more than 5%"});

  storage::Plan within = plan_with(5, 100);
  sync::apply_gates(within, sync, trusted(), k_now);
  CHECK(within.status == storage::PlanStatus::approved);
}

TEST_CASE("gates count the deletes done in the last 24 hours", "[sync][gates]")
{
  sync::GateFacts facts = trusted();
  facts.leavers_last_24h = 18;
  storage::Plan plan = plan_with(3, 10000);
  sync::apply_gates(plan, sync_config(), facts, k_now);
  CHECK(plan.status == storage::PlanStatus::held);
  CHECK(plan.held_reasons == std::vector<std::string>{
                               "safety.max_deletes: 18 deletes and freezes done in the last 24 hours and 3 in this plan "
                               "make 21, more than 20"});
  // A plan without deletes is not held by yesterday's.
  storage::Plan no_deletes = plan_with(0, 10000);
  sync::apply_gates(no_deletes, sync_config(), facts, k_now);
  CHECK(no_deletes.status == storage::PlanStatus::approved);
}

TEST_CASE("gates hold the first plan, manual mode and an untrusted refresh", "[sync][gates]")
{
  config::SyncConfig sync = sync_config();
  sync.safety.hold_first_plan = true;
  sync::GateFacts facts = trusted();
  facts.first_plan = true;
  storage::Plan first = plan_with(0, 10);
  sync::apply_gates(first, sync, facts, k_now);
  CHECK(first.status == storage::PlanStatus::held);
  CHECK(first.held_reasons == std::vector<std::string>{
                                "safety.hold_first_plan: the first plan against this tenant waits for a person to review it"});

  sync.safety.hold_first_plan = false;
  sync.apply_mode = config::ApplyMode::manual;
  storage::Plan manual = plan_with(0, 10);
  sync::apply_gates(manual, sync, facts, k_now);
  CHECK(manual.held_reasons == std::vector<std::string>{"sync.apply_mode: manual: every plan waits for approval"});

  sync.apply_mode = config::ApplyMode::automatic;
  facts.refresh.result = storage::RefreshResult::untrusted;
  facts.refresh.trust_reason = "lost 40% of users";
  storage::Plan untrusted = plan_with(0, 10);
  sync::apply_gates(untrusted, sync, facts, k_now);
  CHECK(untrusted.held_reasons == std::vector<std::string>{"mirror: refresh 4 is not trusted (lost 40% of users)"});
}

TEST_CASE("gates never hold a plan with nothing to do", "[sync][gates]")
{
  config::SyncConfig sync = sync_config();
  sync.apply_mode = config::ApplyMode::manual;
  storage::Plan empty;
  sync::apply_gates(empty, sync, trusted(), k_now);
  CHECK(empty.status == storage::PlanStatus::approved);
}
