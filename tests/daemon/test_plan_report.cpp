#include "daemon/plan_report.hpp"

#include "sync/planner.hpp"
#include "support/plan_fixtures.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using namespace dirsync;
using namespace dirsync::testing;

namespace {

storage::Plan sample()
{
  TenantBuilder tenant;
  tenant.user("ou_0", "Zhang Wei", "E0", {"od-hq"});
  tenant.user("ou_1", "Chen Jie", "E1", {"od-tech"});
  tenant.at(1).user.job_title = "Engineer";
  tenant.user("ou_5", "Zhao Lei", "E5", {"od-tech"});
  tenant.at(2).user.leader_user_id = "ou_0";
  tenant.user("ou_u", "Nobody", "", {"od-tech"});
  hr::Roster roster;
  roster.people.push_back(person("E0", "Zhang Wei", "总部"));
  hr::Person e1 = person("E1", "Chen Jie", "总部/销售部");
  e1.job_title = "Account Manager";
  roster.people.push_back(e1);
  roster.people.push_back(person("E7", "New Hire", "总部", "new@example.com"));
  std::vector<storage::Link> links{make_link("E0", "ou_0"), make_link("E1", "ou_1"), make_link("E5", "ou_5")};
  sync::Planner planner(sync_config(), config::DepartmentKey::path, "cli_test");
  storage::Plan plan = planner.plan({roster, config::HrMode::full, tenant.snapshot(), links, nullptr, k_now, 3});
  plan.id = 12;
  plan.status = storage::PlanStatus::held;
  plan.held_reasons = {"sync.apply_mode: manual: every plan waits for approval"};
  return plan;
}

} // namespace

TEST_CASE("print_plan groups operations by kind with old and new values, then what was left alone",
          "[daemon][plan_report]")
{
  std::ostringstream out;
  daemon::print_plan(out, sample());
  CHECK(out.str() ==
        "plan 12 (held): 1 creates, 1 updates, 1 deletes, 0 resurrects, 0 freezes, 0 leader settings; 4 managed "
        "users; HR file 3, refresh 1\n"
        "held by the safety rules:\n"
        "  - sync.apply_mode: manual: every plan waits for approval\n"
        "review it, then release it with: dirsync approve 12\n"
        "\n"
        "create (1):\n"
        "     1. E7 New Hire: new in HR (row 2)\n"
        "      name: \"New Hire\"\n"
        "      department_ids: [\"od-hq\"]\n"
        "      employee_type: 1\n"
        "      email: \"new@example.com\"\n"
        "      employee_no: \"E7\"\n"
        "\n"
        "update (1):\n"
        "     2. E1 (ou_1): HR changed: job_title, department\n"
        "      job_title: \"Engineer\" -> \"Account Manager\"\n"
        "      department_ids: [\"od-tech\"] -> [\"od-sales\"]\n"
        "\n"
        "delete (1):\n"
        "     3. E5 (ou_5): absent from the full HR export; their resources go to ou_0 (sync.leaver.acceptor: leader)\n"
        "      docs_acceptor_user_id: \"ou_0\"\n"
        "\n"
        "left alone:\n"
        "  unclaimed - (ou_u): ou_u (Nobody) is in scope but no HR row claims them (no employee number, no email or "
        "mobile match): reported, not deleted [scope.unclaimed]\n");
}

TEST_CASE("plan_to_json carries the plan, its operations and decisions", "[daemon][plan_report]")
{
  const json::Value j = daemon::plan_to_json(sample());
  CHECK(j.find("plan")->get_string("status") == "held");
  CHECK(j.find("plan")->get_string("to_release") == "dirsync approve 12");
  CHECK(j.find("plan")->find("counts")->get_int("deletes") == 1);
  REQUIRE(j.find("operations")->size() == 3);
  const json::Value& update = j.find("operations")->as_array()[1];
  CHECK(update.get_string("kind") == "update");
  CHECK(update.find("precondition")->dump() == R"({"job_title":"Engineer","department_ids":["od-tech"]})");
  CHECK(j.find("operations")->as_array()[0].get_string("client_token").size() == 36);
  CHECK(j.find("decisions")->size() == 4);
}
