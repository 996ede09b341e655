#include "storage/user_version.hpp"

#include <catch2/catch.hpp>

using dirsync::feishu::Department;
using dirsync::feishu::User;
using dirsync::feishu::UserOrder;
using namespace dirsync::storage;

namespace {

User user_in(std::vector<std::string> departments, std::vector<UserOrder> orders = {})
{
  User u;
  u.open_id = "ou_1";
  u.name = "张三";
  u.department_ids = std::move(departments);
  u.orders = std::move(orders);
  return u;
}

UserOrder order(std::string department, std::int64_t department_order, bool primary = false)
{
  UserOrder o;
  o.department_id = std::move(department);
  o.department_order = department_order;
  o.is_primary_dept = primary;
  return o;
}

Department department(std::string id, std::string parent, std::string name)
{
  Department d;
  d.open_department_id = std::move(id);
  d.parent_department_id = std::move(parent);
  d.name = std::move(name);
  return d;
}

} // namespace

TEST_CASE("choose_primary_department takes the order marked primary", "[storage][user_version]")
{
  const auto u = user_in({"od-a", "od-b", "od-c"}, {order("od-a", 9), order("od-b", 1, true), order("od-c", 5)});
  CHECK(choose_primary_department(u) == "od-b");
}

TEST_CASE("choose_primary_department falls back to the largest department_order, then the first department",
          "[storage][user_version]")
{
  SECTION("largest department_order")
  {
    CHECK(choose_primary_department(user_in({"od-a", "od-b", "od-c"},
                                            {order("od-a", 1), order("od-b", 7), order("od-c", 3)})) == "od-b");
  }
  SECTION("ties keep the first listed")
  {
    CHECK(choose_primary_department(user_in({"od-a", "od-b"}, {order("od-b", 4), order("od-a", 4)})) == "od-b");
  }
  SECTION("no orders: the first department")
  {
    CHECK(choose_primary_department(user_in({"od-c", "od-a"})) == "od-c");
  }
  SECTION("no departments at all")
  {
    CHECK(choose_primary_department(user_in({})).empty());
  }
}

TEST_CASE("departments_primary_first sorts the others so Feishu's listing order is not a change",
          "[storage][user_version]")
{
  const auto a = user_in({"od-z", "od-b", "od-m"});
  const auto b = user_in({"od-b", "od-m", "od-z"});
  CHECK(departments_primary_first(a, "od-m") == std::vector<std::string>{"od-m", "od-b", "od-z"});
  CHECK(departments_primary_first(b, "od-m") == departments_primary_first(a, "od-m"));
}

TEST_CASE("department_paths names every department from the top", "[storage][user_version]")
{
  const auto paths = department_paths({department("od-3", "od-2", "后端组"), department("od-1", "0", "总部"),
                                       department("od-2", "od-1", "技术部"), department("od-9", "od-gone", "孤儿"),
                                       department("od-x", "od-y", "X"), department("od-y", "od-x", "Y")});
  CHECK(join_path(paths.at("od-3")) == "总部/技术部/后端组");
  CHECK(join_path(paths.at("od-2")) == "总部/技术部");
  CHECK(join_path(paths.at("od-1")) == "总部");
  // A parent the app cannot see: the path starts at the department itself.
  CHECK(join_path(paths.at("od-9")) == "孤儿");
  // A cycle (never sent by Feishu) still ends.
  CHECK(paths.contains("od-x"));
  CHECK(paths.contains("od-y"));
}

TEST_CASE("make_version and changed_fields tell a changed user from an unchanged one", "[storage][user_version]")
{
  User u = user_in({"od-a", "od-b"}, {order("od-a", 1), order("od-b", 2)});
  u.job_title = "工程师";
  u.email = "a@example.com";
  u.leader_user_id = "ou_boss";
  const auto before = make_version(u, "active", "总部/B");
  CHECK(before.departments == std::vector<std::string>{"od-b", "od-a"});
  CHECK_FALSE(before.mobile.has_value()); // "" from Feishu is no value

  SECTION("the same user is the same version")
  {
    User again = u;
    again.department_ids = {"od-b", "od-a"};
    again.avatar.avatar_72 = "https://elsewhere"; // not a field history keeps
    CHECK(make_version(again, "active", "总部/B") == before);
    CHECK(changed_fields(before, make_version(again, "active", "总部/B")).empty());
  }
  SECTION("a new title and a new primary department are changes")
  {
    User moved = u;
    moved.job_title = "经理";
    moved.orders = {order("od-a", 5), order("od-b", 2)};
    const auto after = make_version(moved, "active", "总部/A");
    CHECK(changed_fields(before, after) == std::vector<std::string>{"department", "job_title"});
  }
  SECTION("a renamed primary department is a change")
  {
    CHECK(changed_fields(before, make_version(u, "active", "总部/B2")) == std::vector<std::string>{"department"});
  }
  SECTION("resigning changes the flag and the mirror state")
  {
    User gone = u;
    gone.status.is_resigned = true;
    CHECK(changed_fields(before, make_version(gone, "resigned", "总部/B")) ==
          std::vector<std::string>{"resigned", "mirror_state"});
  }
}
