#include "daemon/refresh_progress.hpp"

#include <catch2/catch.hpp>

using dirsync::daemon::describe;

TEST_CASE("describe says where a refresh is, counting the root among the departments to page", "[daemon]")
{
  dirsync::sync::RefreshProgress p;
  p.stage = "departments";
  p.departments = 120;
  CHECK(describe(p) == "refresh: departments: 120 listed");
  p.stage = "users";
  p.departments = 2000;
  p.departments_paged = 1200;
  p.users = 61230;
  CHECK(describe(p) == "refresh: users: 1200 departments of 2001 paged, 61230 users");
  p.stage = "writing";
  CHECK(describe(p) == "refresh: writing (2000 departments, 61230 users)");
}
