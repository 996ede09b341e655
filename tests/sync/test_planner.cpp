#include "sync/planner.hpp"

#include "common/text.hpp"

#include "support/plan_fixtures.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace dirsync;
using namespace dirsync::testing;
using Strings = std::vector<std::string>;

namespace {

struct Scenario
{
  TenantBuilder tenant;
  hr::Roster roster;
  std::vector<storage::Link> links;
  config::SyncConfig sync = sync_config();
  config::HrMode mode = config::HrMode::full;
  const hr::Roster* baseline = nullptr;

  storage::Plan plan(const std::string& app_id = "cli_test")
  {
    sync::Planner planner(sync, config::DepartmentKey::path, app_id);
    return planner.plan({roster, mode, tenant.snapshot(), links, baseline, k_now, 7});
  }
};

// A tenant with one linked manager, E0 (ou_0) in 总部.
Scenario with_manager()
{
  Scenario s;
  s.tenant.user("ou_0", "Zhang Wei", "E0", {"od-hq"}, "zhang@example.com");
  s.roster.people.push_back(person("E0", "Zhang Wei", "总部", "zhang@example.com"));
  s.links.push_back(make_link("E0", "ou_0"));
  return s;
}

} // namespace

TEST_CASE("planner makes nothing when HR and Feishu agree", "[sync][planner]")
{
  Scenario s = with_manager();
  const storage::Plan plan = s.plan();
  CHECK(plan.operations.empty());
  CHECK(plan.decisions.empty());
  CHECK(plan.managed_users == 1);
  CHECK(plan.refresh_run_id == 1);
  CHECK(plan.hr_file_id == 7);
}

TEST_CASE("planner creates a chain of new leaders before their reports and sets their leaders afterwards",
          "[sync][planner]")
{
  Scenario s = with_manager();
  // E3 reports to E2, who reports to E1, who reports to the existing E0; all three are new.
  s.roster.people.push_back(person("E3", "Li Na", "总部/技术部", "li@example.com", "E2"));
  s.roster.people.push_back(person("E1", "Wang Fang", "总部", "wang@example.com", "E0"));
  s.roster.people.push_back(person("E2", "Liu Yang", "总部/技术部", "liu@example.com", "E1"));
  const storage::Plan plan = s.plan();
  CHECK(describe(plan) ==
        Strings{
          R"(create E1 - {"name":"Wang Fang","department_ids":["od-hq"],"employee_type":1,"email":"wang@example.com","leader_user_id":"ou_0","employee_no":"E1"})",
          R"(create E2 - {"name":"Liu Yang","department_ids":["od-tech"],"employee_type":1,"email":"liu@example.com","employee_no":"E2"})",
          R"(create E3 - {"name":"Li Na","department_ids":["od-tech"],"employee_type":1,"email":"li@example.com","employee_no":"E3"})",
          R"(set_leader E2 - {"leader_employee_no":"E1"})",
          R"(set_leader E3 - {"leader_employee_no":"E2"})",
        });
  CHECK(plan.counts.creates == 3);
  CHECK(plan.counts.set_leaders == 2);
  for (std::size_t i = 0; i < plan.operations.size(); ++i) {
    CHECK(plan.operations[i].seq == static_cast<int>(i + 1));
  }
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(plan.operations[i].client_token.size() == 36);
    CHECK(plan.operations[i].precondition.is_null());
  }
  CHECK(has_decision(plan, "create", "E2", "create.new_hire"));
  CHECK(has_decision(plan, "set_leader", "E3", "leader.in_plan"));
}

TEST_CASE("planner moves a user to their new department and changes a job title", "[sync][planner]")
{
  Scenario s = with_manager();
  s.tenant.user("ou_1", "Chen Jie", "E1", {"od-tech"}, "chen@example.com");
  s.tenant.at(1).user.job_title = "Engineer";
  s.tenant.at(1).user.leader_user_id = "ou_0";
  s.links.push_back(make_link("E1", "ou_1"));
  hr::Person p = person("E1", "Chen Jie", "总部/销售部", "chen@example.com", "E0");
  p.job_title = "Account Manager";
  s.roster.people.push_back(p);

  const storage::Plan plan = s.plan();
  CHECK(describe(plan) ==
        Strings{R"(update E1 ou_1 {"job_title":"Account Manager","department_ids":["od-sales"]})"});
  CHECK(plan.operations[0].precondition.dump() == R"({"job_title":"Engineer","department_ids":["od-tech"]})");
  CHECK(plan.operations[0].reason == "HR changed: job_title, department");
  CHECK(has_decision(plan, "update", "E1", "update.hr_changed"));
}

TEST_CASE("planner changes only the owned fields", "[sync][planner]")
{
  Scenario s = with_manager();
  s.tenant.user("ou_1", "Chen Jie", "E1", {"od-tech"});
  s.tenant.at(1).user.job_title = "Engineer";
  s.tenant.at(1).user.city = "Beijing";
  s.links.push_back(make_link("E1", "ou_1"));
  hr::Person p = person("E1", "Chen Jie", "总部/技术部");
  p.job_title = "Senior Engineer";
  p.city = "Shanghai";
  s.roster.people.push_back(p);
  s.sync.owned_fields = {"name", "department", "city"};

  CHECK(describe(s.plan()) == Strings{R"(update E1 ou_1 {"city":"Shanghai"})"});
}

TEST_CASE("planner deletes leavers with their leader as acceptor, last", "[sync][planner]")
{
  Scenario s = with_manager();
  s.tenant.user("ou_5", "Zhao Lei", "E5", {"od-tech"});
  s.tenant.at(1).user.leader_user_id = "ou_0";
  s.links.push_back(make_link("E5", "ou_5"));
  s.tenant.user("ou_6", "Sun Li", "E6", {"od-tech"});
  s.tenant.at(2).user.leader_user_id = "ou_0";
  s.links.push_back(make_link("E6", "ou_6"));
  hr::Person gone = person("E6", "Sun Li", "总部/技术部");
  gone.status = hr::EmploymentStatus::terminated;
  s.roster.people.push_back(gone);
  s.roster.people.push_back(person("E7", "New Hire", "总部", "new@example.com"));

  const storage::Plan plan = s.plan();
  const std::string acceptors =
    R"({"department_chat_acceptor_user_id":"ou_0","external_chat_acceptor_user_id":"ou_0","docs_acceptor_user_id":"ou_0",)"
    R"("calendar_acceptor_user_id":"ou_0","application_acceptor_user_id":"ou_0","minutes_acceptor_user_id":"ou_0",)"
    R"("survey_acceptor_user_id":"ou_0","anycross_acceptor_user_id":"ou_0","email_acceptor":{"processing_type":"1","acceptor_user_id":"ou_0"}})";
  CHECK(describe(plan) ==
        Strings{
          R"(create E7 - {"name":"New Hire","department_ids":["od-hq"],"employee_type":1,"email":"new@example.com","employee_no":"E7"})",
          "delete E5 ou_5 " + acceptors,
          "delete E6 ou_6 " + acceptors,
        });
  CHECK(plan.operations[1].precondition.dump() == R"({"is_resigned":false})");
  CHECK(has_decision(plan, "delete", "E5", "leaver.absent_from_full_export"));
  CHECK(has_decision(plan, "delete", "E6", "leaver.terminated"));

  SECTION("a leaver without a leader falls back to sync.leaver.fallback_acceptor")
  {
    s.tenant.at(1).user.leader_user_id.clear();
    s.sync.leaver.fallback_acceptor = "E0";
    CHECK(describe(s.plan())[1] == "delete E5 ou_5 " + acceptors);
  }
  SECTION("with no acceptor to be found Feishu's defaults apply")
  {
    s.tenant.at(1).user.leader_user_id.clear();
    CHECK(describe(s.plan())[1] == "delete E5 ou_5 {}");
  }
  SECTION("leaver.action: freeze freezes instead")
  {
    s.sync.leaver.action = config::LeaverAction::freeze;
    const storage::Plan frozen = s.plan();
    CHECK(describe(frozen) ==
          Strings{
            R"(create E7 - {"name":"New Hire","department_ids":["od-hq"],"employee_type":1,"email":"new@example.com","employee_no":"E7"})",
            R"(freeze E5 ou_5 {"is_frozen":true})",
            R"(freeze E6 ou_6 {"is_frozen":true})",
          });
    CHECK(frozen.counts.freezes == 2);
  }
}

TEST_CASE("planner resurrects a rehire within resurrect_within_days and restores their fields", "[sync][planner]")
{
  Scenario s = with_manager();
  const std::size_t old = s.tenant.user("ou_8", "Zhou Min", "E8", {}, "zhou@example.com");
  s.tenant.resign(old, 10);
  s.links.push_back(make_link("E8", "ou_8"));
  hr::Person p = person("E8", "Zhou Min", "总部/技术部", "zhou@example.com", "E0");
  p.job_title = "Engineer";
  s.roster.people.push_back(p);

  const storage::Plan plan = s.plan();
  CHECK(describe(plan) ==
        Strings{
          R"(resurrect E8 ou_8 {"departments":[{"department_id":"od-tech"}]})",
          R"(update E8 ou_8 {"name":"Zhou Min","email":"zhou@example.com","department_ids":["od-tech"],"leader_user_id":"ou_0","employee_no":"E8","job_title":"Engineer"})",
        });
  CHECK(plan.operations[0].precondition.dump() == R"({"is_resigned":true})");
  CHECK(plan.operations[1].precondition.is_null());
  CHECK(has_decision(plan, "resurrect", "E8", "rehire.resurrect"));
  CHECK(plan.new_links.empty()); // apply links the resurrected user when it lands

  SECTION("after the window the rehire gets a new account, and the old one stays resigned")
  {
    s.tenant.resign(old, 40);
    const storage::Plan later = s.plan();
    CHECK(describe(later) ==
          Strings{
            R"(create E8 - {"name":"Zhou Min","department_ids":["od-tech"],"employee_type":1,"email":"zhou@example.com","leader_user_id":"ou_0","employee_no":"E8","job_title":"Engineer"})"});
    CHECK(has_decision(later, "create", "E8", "rehire.create_anew"));
    // The token depends on the account it replaces: not the one a first hire of E8 had.
    s.links.clear();
    s.links.push_back(make_link("E0", "ou_0"));
    s.tenant.snapshot().users.pop_back();
    const storage::Plan first_hire = s.plan();
    REQUIRE(first_hire.operations.size() == 1);
    CHECK(first_hire.operations[0].client_token != later.operations[0].client_token);
  }
  SECTION("someone else now holding their old mobile means a new account")
  {
    s.tenant.at(old).user.mobile = "+8613900000008";
    s.tenant.user("ou_9", "Other", "E9", {"od-hq"}, "other@example.com", "13900000008");
    s.links.push_back(make_link("E9", "ou_9"));
    s.roster.people.push_back(person("E9", "Other", "总部", "other@example.com"));
    const storage::Plan anew = s.plan();
    CHECK(describe(anew) ==
          Strings{
            R"(create E8 - {"name":"Zhou Min","department_ids":["od-tech"],"employee_type":1,"email":"zhou@example.com","leader_user_id":"ou_0","employee_no":"E8","job_title":"Engineer"})"});
    CHECK(has_decision(anew, "create", "E8", "rehire.create_anew"));
    CHECK(anew.operations[0].reason.find("another user now holds their email or mobile") != std::string::npos);
  }
  SECTION("a resurrect Feishu refused as past the recoverable time (44028) is not planned again: a new account")
  {
    s.tenant.at(old).resurrect_refused = 44028;
    const storage::Plan anew = s.plan();
    CHECK(describe(anew) ==
          Strings{
            R"(create E8 - {"name":"Zhou Min","department_ids":["od-tech"],"employee_type":1,"email":"zhou@example.com","leader_user_id":"ou_0","employee_no":"E8","job_title":"Engineer"})"});
    CHECK(has_decision(anew, "create", "E8", "rehire.create_anew"));
    CHECK(anew.operations[0].reason.find("44028, past the recoverable time") != std::string::npos);
  }
  SECTION("a resurrect refused because their email is taken (44031) is a conflict while HR gives that email")
  {
    s.tenant.at(old).resurrect_refused = 44031;
    const storage::Plan blocked = s.plan();
    CHECK(blocked.operations.empty());
    CHECK(has_decision(blocked, "conflict", "E8", "rehire.identity_taken"));
    // With another email in HR, a new account can have it.
    s.roster.people.back().email = "zhou.min@example.com";
    const storage::Plan anew = s.plan();
    REQUIRE(anew.operations.size() == 1);
    CHECK(anew.operations[0].kind == storage::OperationKind::create);
    CHECK(anew.operations[0].reason.find("44031") != std::string::npos);
  }
  SECTION("a resurrect refused because their mobile is taken (44030) names the holder the mirror knows")
  {
    s.tenant.at(old).user.mobile = "+8613900000008";
    s.roster.people.back().mobile = "+8613900000008";
    s.tenant.at(old).resurrect_refused = 44030;
    s.tenant.user("ou_9", "Other", "E9", {"od-other"}, "other@example.com", "+8613900000009");
    const storage::Plan blocked = s.plan();
    CHECK(blocked.operations.empty());
    REQUIRE(has_decision(blocked, "conflict", "E8", "rehire.identity_taken"));
    // The holder is outside the mirror here: said so.
    bool said = false;
    for (const auto& d : blocked.decisions) {
      said = said || (d.rule == "rehire.identity_taken" && d.detail.find("outside what the app can see") != std::string::npos);
    }
    CHECK(said);
  }
  SECTION("a resurrect refused because their user_id is taken (44032) gets a new account")
  {
    s.tenant.at(old).resurrect_refused = 44032;
    const storage::Plan anew = s.plan();
    REQUIRE(anew.operations.size() == 1);
    CHECK(anew.operations[0].kind == storage::OperationKind::create);
  }
  SECTION("someone else now holding their email means a new account")
  {
    s.tenant.user("ou_9", "Other", "", {"od-hq"}, "zhou@example.com");
    // The new holder is reported as a conflict with the rehire: both are left alone.
    const storage::Plan conflicted = s.plan();
    CHECK(conflicted.operations.empty());
    CHECK(has_decision(conflicted, "conflict", "E8", "link.email_held"));
  }
}

TEST_CASE("planner leaves both sides of a conflict alone and reports them", "[sync][planner]")
{
  Scenario s = with_manager();
  // E9 is linked to ou_9 and got a new title; new hire E10's HR email is ou_9's.
  s.tenant.user("ou_9", "Wu Gang", "E9", {"od-tech"}, "wu@example.com");
  s.links.push_back(make_link("E9", "ou_9"));
  hr::Person e9 = person("E9", "Wu Gang", "总部/技术部", "wu.gang@example.com");
  e9.job_title = "Lead";
  s.roster.people.push_back(e9);
  s.roster.people.push_back(person("E10", "Wu Gang 2", "总部/技术部", "wu@example.com"));

  const storage::Plan plan = s.plan();
  CHECK(plan.operations.empty());
  CHECK(has_decision(plan, "conflict", "E10", "link.email_held"));
  CHECK(has_decision(plan, "conflict", "E9", "link.email_held"));
  const auto& d = plan.decisions.front();
  CHECK(d.detail.find("ou_9") != std::string::npos);
  CHECK(d.detail.find("E10") != std::string::npos);
  CHECK(d.detail.find("linked to employee_no E9") != std::string::npos);

  SECTION("two HR rows matching one Feishu user by email")
  {
    Scenario t = with_manager();
    t.tenant.user("ou_x", "Shared", "", {"od-tech"}, "shared@example.com");
    t.roster.people.push_back(person("E11", "A", "总部/技术部", "shared@example.com"));
    t.roster.people.push_back(person("E12", "B", "总部/技术部", "shared@example.com"));
    const storage::Plan p2 = t.plan();
    CHECK(p2.operations.empty());
    CHECK(p2.new_links.empty());
    CHECK(has_decision(p2, "conflict", "E11", "link.claimed_twice"));
    CHECK(has_decision(p2, "conflict", "E12", "link.claimed_twice"));
  }
  SECTION("a user carrying one employee number while linked to another")
  {
    Scenario t = with_manager();
    t.tenant.user("ou_y", "Y", "E13", {"od-tech"});
    t.links.push_back(make_link("E14", "ou_y"));
    t.roster.people.push_back(person("E13", "Y", "总部/技术部"));
    t.roster.people.push_back(person("E14", "Y2", "总部/技术部"));
    const storage::Plan p3 = t.plan();
    CHECK(p3.operations.empty());
    CHECK(has_decision(p3, "conflict", "E13", "link.linked_elsewhere"));
    CHECK(has_decision(p3, "conflict", "E14", "link.linked_elsewhere"));
  }
}

TEST_CASE("planner links by employee number first, then email, then mobile, and records how", "[sync][planner]")
{
  Scenario s = with_manager();
  s.tenant.user("ou_a", "A", "EA", {"od-tech"}, "a@example.com");
  s.tenant.user("ou_b", "B", "", {"od-tech"}, "b@example.com");
  s.tenant.user("ou_c", "C", "", {"od-tech"}, "", "13812345678");
  s.tenant.user("ou_d", "D", "OTHER", {"od-tech"}, "d@example.com");
  s.roster.people.push_back(person("EA", "A", "总部/技术部", "a@example.com"));
  s.roster.people.push_back(person("EB", "B", "总部/技术部", "b@example.com"));
  hr::Person c = person("EC", "C", "总部/技术部");
  c.mobile = "+8613812345678";
  s.roster.people.push_back(c);

  const storage::Plan plan = s.plan();
  REQUIRE(plan.new_links.size() == 3);
  CHECK(plan.new_links[0].open_id == "ou_a");
  CHECK(plan.new_links[0].method == storage::LinkMethod::employee_no);
  CHECK(plan.new_links[1].open_id == "ou_b");
  CHECK(plan.new_links[1].method == storage::LinkMethod::email);
  CHECK(plan.new_links[2].open_id == "ou_c");
  CHECK(plan.new_links[2].method == storage::LinkMethod::mobile);
  // Email- and mobile-linked users get their employee number; ou_d keeps its own and is unclaimed.
  CHECK(describe(plan) == Strings{R"(update EB ou_b {"employee_no":"EB"})", R"(update EC ou_c {"employee_no":"EC"})"});
  CHECK(has_decision(plan, "unclaimed", "OTHER", "scope.unclaimed"));
}

TEST_CASE("planner never deletes or freezes tenant managers and protected users", "[sync][planner]")
{
  Scenario s = with_manager();
  s.tenant.user("ou_boss", "Boss", "E100", {"od-hq"});
  s.tenant.at(1).user.is_tenant_manager = true;
  s.links.push_back(make_link("E100", "ou_boss"));
  s.tenant.user("ou_p", "Protected", "E101", {"od-hq"});
  s.links.push_back(make_link("E101", "ou_p"));
  s.sync.safety.protected_users = {"E101"};
  // The file drops both.
  const storage::Plan plan = s.plan();
  CHECK(plan.operations.empty());
  CHECK(has_decision(plan, "protected", "E100", "safety.tenant_manager"));
  CHECK(has_decision(plan, "protected", "E101", "safety.protected_users"));

  SECTION("even when HR says they are terminated, and leavers are frozen")
  {
    hr::Person t = person("E100", "Boss", "总部");
    t.status = hr::EmploymentStatus::terminated;
    s.roster.people.push_back(t);
    s.sync.leaver.action = config::LeaverAction::freeze;
    s.sync.safety.protected_users = {"ou_p"};
    const storage::Plan p2 = s.plan();
    CHECK(p2.operations.empty());
    CHECK(has_decision(p2, "protected", "E100", "safety.tenant_manager"));
    CHECK(has_decision(p2, "protected", "E101", "safety.protected_users"));
  }
}

TEST_CASE("planner reverts or reports a Feishu-side edit by sync.drift, and applies HR changes either way",
          "[sync][planner]")
{
  Scenario s = with_manager();
  s.tenant.user("ou_1", "Chen Jie", "E1", {"od-tech"});
  s.tenant.at(1).user.job_title = "Boss";    // edited in Feishu
  s.tenant.at(1).user.city = "Beijing";      // HR moved them to Shanghai
  s.links.push_back(make_link("E1", "ou_1"));
  hr::Person now = person("E1", "Chen Jie", "总部/技术部");
  now.job_title = "Engineer";
  now.city = "Shanghai";
  s.roster.people.push_back(now);
  hr::Roster baseline = s.roster;
  baseline.people[1].city = "Beijing"; // what HR said when dirsync last applied
  s.baseline = &baseline;

  SECTION("revert")
  {
    const storage::Plan plan = s.plan();
    CHECK(describe(plan) == Strings{R"(update E1 ou_1 {"job_title":"Engineer","city":"Shanghai"})"});
    CHECK(plan.operations[0].reason == "HR changed: city; reverting Feishu-side edits: job_title");
  }
  SECTION("report")
  {
    s.sync.drift = config::DriftPolicy::report;
    const storage::Plan plan = s.plan();
    CHECK(describe(plan) == Strings{R"(update E1 ou_1 {"city":"Shanghai"})"});
    REQUIRE(has_decision(plan, "drift", "E1", "drift.report"));
    const auto& d = plan.decisions.back();
    CHECK(d.detail.find(R"(job_title: Feishu has "Boss", HR still says "Engineer")") != std::string::npos);
  }
  SECTION("without a baseline every difference is an HR change")
  {
    s.sync.drift = config::DriftPolicy::report;
    s.baseline = nullptr;
    CHECK(describe(s.plan()) == Strings{R"(update E1 ou_1 {"job_title":"Engineer","city":"Shanghai"})"});
  }
}

TEST_CASE("planner in delta mode acts only on listed rows", "[sync][planner]")
{
  Scenario s = with_manager();
  s.mode = config::HrMode::delta;
  s.tenant.user("ou_5", "Absent", "E5", {"od-tech"});
  s.links.push_back(make_link("E5", "ou_5"));
  s.tenant.user("ou_u", "Unclaimed", "", {"od-tech"});
  hr::Person gone = person("E6", "Sun Li", "总部/技术部");
  s.tenant.user("ou_6", "Sun Li", "E6", {"od-tech"});
  s.links.push_back(make_link("E6", "ou_6"));
  gone.status = hr::EmploymentStatus::terminated;
  s.roster.people = {gone};

  const storage::Plan plan = s.plan();
  CHECK(describe(plan) == Strings{"delete E6 ou_6 {}"});
  CHECK_FALSE(has_decision(plan, "unclaimed", "", "scope.unclaimed"));
}

TEST_CASE("planner waits with a future hire until join date minus pre_start_days", "[sync][planner]")
{
  Scenario s = with_manager();
  hr::Person p = person("E20", "Future", "总部", "future@example.com");
  // As HR gives it: 2026-12-01 at midnight China Standard Time (2026-11-30 16:00 UTC).
  p.join_time = dirsync::days_from_civil(2026, 12, 1) * k_day - 8 * 3600;
  s.roster.people.push_back(p);

  const storage::Plan waiting = s.plan();
  CHECK(waiting.operations.empty());
  REQUIRE(has_decision(waiting, "future_hire", "E20", "future_hires.pre_start_days"));
  CHECK(waiting.decisions.back().detail == "joins on 2026-12-01; waits until 2026-12-01 (future_hires.pre_start_days: 0)");

  s.sync.future_hires.pre_start_days = 14;
  CHECK(describe(s.plan()) ==
        Strings{R"(create E20 - {"name":"Future","department_ids":["od-hq"],"employee_type":1,"email":"future@example.com","join_time":1796054400,"employee_no":"E20"})"});
}

TEST_CASE("planner finds departments by the tenant's department_id when hr.department_key says so",
          "[sync][planner]")
{
  Scenario s = with_manager();
  s.roster.people[0].department_path.clear();
  s.roster.people[0].department_id = "D-HQ";
  hr::Person p = person("E50", "By Id", "", "byid@example.com");
  p.department_id = "D-TECH";
  s.roster.people.push_back(p);
  hr::Person lost = person("E51", "Unknown", "", "unknown@example.com");
  lost.department_id = "D-NOPE";
  s.roster.people.push_back(lost);
  sync::Planner planner(s.sync, config::DepartmentKey::department_id, "cli_test");
  const storage::Plan plan = planner.plan({s.roster, s.mode, s.tenant.snapshot(), s.links, nullptr, k_now, 7});
  CHECK(describe(plan) ==
        Strings{R"(create E50 - {"name":"By Id","department_ids":["od-tech"],"employee_type":1,"email":"byid@example.com","employee_no":"E50"})"});
  CHECK(has_decision(plan, "unknown_department", "E51", "department.unknown"));
}

TEST_CASE("planner touches nothing outside sync.scope", "[sync][planner]")
{
  Scenario s = with_manager();
  s.sync.scope.departments = {"D-HQ"};
  s.tenant.user("ou_o", "Outside", "E30", {"od-other"});
  s.links.push_back(make_link("E30", "ou_o"));     // absent from the export: would be a leaver
  s.tenant.user("ou_o2", "Outside 2", "E31", {"od-other"});
  s.tenant.at(2).user.job_title = "Old";
  s.links.push_back(make_link("E31", "ou_o2"));
  hr::Person moved = person("E31", "Outside 2", "子公司");
  moved.job_title = "New";
  s.roster.people.push_back(moved);
  s.tenant.user("ou_u", "Unclaimed outside", "", {"od-other"});
  s.roster.people.push_back(person("E32", "Hire outside", "子公司", "h@example.com"));

  const storage::Plan plan = s.plan();
  CHECK(plan.operations.empty());
  CHECK(plan.managed_users == 1);
  CHECK(has_decision(plan, "out_of_scope", "E30", "scope.user_outside"));
  CHECK(has_decision(plan, "out_of_scope", "E31", "scope.department_outside"));
  CHECK(has_decision(plan, "out_of_scope", "E32", "scope.department_outside"));
  CHECK_FALSE(has_decision(plan, "unclaimed", "", "scope.unclaimed"));

  SECTION("scope entries the mirror does not know are found")
  {
    s.sync.scope.exclude_departments = {"D-NOPE", "od-tech"};
    sync::Planner planner(s.sync, config::DepartmentKey::path, "cli_test");
    CHECK(planner.unknown_scope_entries(s.tenant.snapshot()) == Strings{"D-NOPE"});
  }
  SECTION("exclude_departments cuts a subtree out of an included one")
  {
    s.sync.scope.departments = {"0"};
    s.sync.scope.exclude_departments = {"D-OTHER"};
    CHECK(s.plan().operations.empty());
  }
}

TEST_CASE("planner reports in-scope users no HR row claims and does not delete them", "[sync][planner]")
{
  Scenario s = with_manager();
  s.tenant.user("ou_u", "Contractor", "", {"od-tech"});
  s.tenant.user("ou_v", "Old timer", "X1", {"od-tech"});
  const storage::Plan plan = s.plan();
  CHECK(plan.operations.empty());
  CHECK(has_decision(plan, "unclaimed", "", "scope.unclaimed"));
  CHECK(has_decision(plan, "unclaimed", "X1", "scope.unclaimed"));
}

TEST_CASE("planner reports an unknown department as a row problem and a held row as held", "[sync][planner]")
{
  Scenario s = with_manager();
  s.roster.people.push_back(person("E40", "Lost", "总部/不存在", "lost@example.com"));
  s.tenant.user("ou_h", "Held", "E41", {"od-tech"});
  s.links.push_back(make_link("E41", "ou_h"));
  s.roster.held_employee_nos = {"E41"};
  const storage::Plan plan = s.plan();
  CHECK(plan.operations.empty()); // E41 is neither changed nor a leaver
  CHECK(has_decision(plan, "unknown_department", "E40", "department.unknown"));
  CHECK(has_decision(plan, "held", "E41", "hr.row_invalid"));
}

TEST_CASE("planner gives the same plan and client tokens for the same inputs", "[sync][planner]")
{
  Scenario s = with_manager();
  for (int i = 0; i < 50; ++i) {
    s.roster.people.push_back(person("N" + std::to_string(i), "P" + std::to_string(i), "总部/技术部",
                                     "p" + std::to_string(i) + "@example.com", i % 5 == 0 ? "E0" : "N0"));
  }
  const storage::Plan a = s.plan();
  const storage::Plan b = s.plan();
  REQUIRE(a.operations.size() == b.operations.size());
  for (std::size_t i = 0; i < a.operations.size(); ++i) {
    CHECK(a.operations[i].client_token == b.operations[i].client_token);
    CHECK(a.operations[i].payload == b.operations[i].payload);
  }
  CHECK(describe(a) == describe(b));
  CHECK(describe_decisions(a) == describe_decisions(b));
  // Another app (tenant) gets other tokens for the same people.
  const storage::Plan other = s.plan("cli_other");
  CHECK(other.operations[0].client_token != a.operations[0].client_token);
}
