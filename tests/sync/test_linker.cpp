#include "sync/linker.hpp"

#include "support/plan_fixtures.hpp"

#include <catch2/catch.hpp>

using namespace dirsync;
using namespace dirsync::testing;

TEST_CASE("canonical_mobile gives CN national numbers +86 and strips separators", "[sync][linker]")
{
  CHECK(sync::canonical_mobile("13812345678") == "+8613812345678");
  CHECK(sync::canonical_mobile("+86 138-1234-5678") == "+8613812345678");
  CHECK(sync::canonical_mobile("+14155550100") == "+14155550100");
  CHECK(sync::is_canonical_mobile("+8613812345678"));
  CHECK_FALSE(sync::is_canonical_mobile("13812345678"));
}

TEST_CASE("Linker finds holders of emails in any case and of mobiles in either form", "[sync][linker]")
{
  TenantBuilder t;
  t.user("ou_1", "A", "E1", {"od-hq"}, "Mixed.Case@Example.com", "13812345678");
  const std::size_t gone = t.user("ou_2", "B", "E2", {"od-hq"}, "gone@example.com", "+8613900000000");
  t.resign(gone, 3);
  const std::vector<storage::Link> links;
  const sync::Linker linker(t.snapshot(), links);
  REQUIRE(linker.find_holder_of_email("mixed.case@example.com") != nullptr);
  CHECK(linker.find_holder_of_email("mixed.case@example.com")->user.open_id == "ou_1");
  CHECK(linker.find_holder_of_mobile("+8613812345678")->user.open_id == "ou_1");
  // A resigned user holds nothing, and is not the active user of their employee number.
  CHECK(linker.find_holder_of_email("gone@example.com") == nullptr);
  CHECK(linker.find_user_by_employee_no("E2") == nullptr);
  CHECK(linker.find_user("ou_2") != nullptr);
}

TEST_CASE("Linker follows a current link over any match, and ignores closed links", "[sync][linker]")
{
  TenantBuilder t;
  t.user("ou_1", "A", "E9", {"od-hq"}, "a@example.com"); // Feishu says E9 ...
  t.user("ou_2", "B", "", {"od-hq"});
  std::vector<storage::Link> links{make_link("E1", "ou_2")};  // ... but E1 is linked to ou_2
  storage::Link closed = make_link("E2", "ou_1");
  closed.unlinked_at = k_now - k_day;
  closed.unlink_reason = "rehired";
  links.push_back(closed);
  const sync::Linker linker(t.snapshot(), links);
  hr::Roster roster;
  roster.people = {person("E1", "B", "总部", "a@example.com"), person("E2", "A", "总部")};
  const sync::Linking linking = linker.link(roster, {false, false});
  REQUIRE(linking.people[0].user != nullptr);
  CHECK(linking.people[0].user->user.open_id == "ou_2");
  CHECK_FALSE(linking.people[0].is_new);
  CHECK(linking.people[1].user == nullptr); // the closed link does not count; ou_1 carries E9
  CHECK(linking.conflicts.empty());
  CHECK(linker.find_link_by_employee_no("E2") == nullptr);
}

TEST_CASE("Linker never links a terminated row by email or mobile", "[sync][linker]")
{
  TenantBuilder t;
  t.user("ou_1", "A", "", {"od-hq"}, "a@example.com");
  const std::vector<storage::Link> links;
  const sync::Linker linker(t.snapshot(), links);
  hr::Roster roster;
  roster.people = {person("E1", "A", "总部", "a@example.com")};
  roster.people[0].status = hr::EmploymentStatus::terminated;
  CHECK(linker.link(roster, {}).people[0].user == nullptr);
}

TEST_CASE("Linker matches a resigned user without an employee number by email or mobile, after active ones",
          "[sync][linker]")
{
  TenantBuilder t;
  const std::size_t by_email = t.user("ou_1", "A", "", {"od-hq"}, "a@example.com");
  t.resign(by_email, 5);
  const std::size_t by_mobile = t.user("ou_2", "B", "", {"od-hq"}, "", "13900000002");
  t.resign(by_mobile, 5);
  const std::size_t numbered = t.user("ou_3", "C", "E7", {"od-hq"}, "c@example.com");
  t.resign(numbered, 5);
  const std::size_t older = t.user("ou_4", "B", "", {"od-hq"}, "", "+8613900000002");
  t.resign(older, 20);
  const std::vector<storage::Link> links;
  const sync::Linker linker(t.snapshot(), links);
  hr::Roster roster;
  roster.people = {person("E1", "A", "总部", "a@example.com"), person("E2", "B", "总部"),
                   person("E3", "C", "总部", "c@example.com")};
  roster.people[1].mobile = "+8613900000002";
  const sync::Linking linking = linker.link(roster, {});
  REQUIRE(linking.people[0].user != nullptr);
  CHECK(linking.people[0].user->user.open_id == "ou_1");
  CHECK(linking.people[0].method == storage::LinkMethod::email);
  REQUIRE(linking.people[1].user != nullptr);
  CHECK(linking.people[1].user->user.open_id == "ou_2"); // the latest resignation of that mobile
  CHECK(linking.people[1].method == storage::LinkMethod::mobile);
  // A resigned user carrying another employee number is never matched by email.
  CHECK(linking.people[2].user == nullptr);
  CHECK(linking.conflicts.empty());

  SECTION("two rows claiming one resigned user are a conflict")
  {
    roster.people[2].email = "a@example.com";
    const sync::Linking twice = linker.link(roster, {});
    CHECK(twice.people[0].user == nullptr);
    CHECK(twice.conflicted_employee_nos.count("E1") == 1);
    CHECK(twice.conflicted_employee_nos.count("E3") == 1);
  }
}
