#include "sync/rehire_lookup.hpp"

#include "support/plan_fixtures.hpp"

#include <catch2/catch.hpp>

using namespace dirsync;
using namespace dirsync::testing;

using Strings = std::vector<std::string>;

TEST_CASE("find_unmatched_contacts asks only for active rows nothing in the mirror or the links accounts for",
          "[sync][rehire]")
{
  TenantBuilder t;
  t.user("ou_1", "A", "E1", {"od-hq"}, "a@example.com", "13900000001");
  const std::size_t gone = t.user("ou_2", "B", "", {"od-hq"}, "b@example.com", "+8613900000002");
  t.resign(gone, 3);
  const std::vector<storage::Link> links{make_link("E4", "ou_9")};

  hr::Roster roster;
  roster.people = {
    person("E1", "A", "总部", "other@example.com"),   // their employee number is in the mirror
    person("E2", "B", "总部", "b@example.com"),       // their email is (a resigned user's)
    person("E3", "C", "总部", "c@example.com"),       // nothing matches: looked up
    person("E4", "D", "总部", "d@example.com"),       // linked
    person("E5", "E", "总部", "e@example.com"),       // terminated
    person("E6", "F", "总部", "f@example.com"),       // their mobile is in the mirror, in the other form
    person("E7", "G", "总部"),                        // nothing to look up by
    person("E8", "H", "总部", "c@example.com"),       // same email as E3: asked once
  };
  roster.people[2].mobile = "+8613900000003";
  roster.people[4].status = hr::EmploymentStatus::terminated;
  roster.people[5].mobile = "+8613900000001";
  roster.people[7].mobile = "+8613900000008";

  const sync::RehireQuery q = sync::find_unmatched_contacts(roster, t.snapshot(), links);
  CHECK(q.rows == 2);
  CHECK(q.emails == Strings{"c@example.com"});
  CHECK(q.mobiles == Strings{"+8613900000003", "+8613900000008"});

  SECTION("everyone matched: nothing to ask")
  {
    roster.people.erase(roster.people.begin() + 2);
    roster.people.pop_back();
    const sync::RehireQuery none = sync::find_unmatched_contacts(roster, t.snapshot(), links);
    CHECK(none.rows == 0);
    CHECK(none.emails.empty());
    CHECK(none.mobiles.empty());
  }
}
