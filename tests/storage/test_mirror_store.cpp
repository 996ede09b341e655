#include "storage/mirror_store.hpp"

#include "storage/sqlite_access.hpp"
#include "support/scratch_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <ctime>

using namespace dirsync;
using namespace dirsync::storage;

namespace {

feishu::Department department(std::string id, std::string parent, std::string name)
{
  feishu::Department d;
  d.open_department_id = std::move(id);
  d.parent_department_id = std::move(parent);
  d.name = std::move(name);
  d.order = "10";
  return d;
}

feishu::User user(std::string open_id, std::string name, std::vector<std::string> departments)
{
  feishu::User u;
  u.open_id = std::move(open_id);
  u.name = std::move(name);
  u.department_ids = std::move(departments);
  u.job_title = "工程师";
  u.employee_type = 1;
  u.status.is_activated = true;
  return u;
}

// A user as the JSON Feishu would send (what PagedTenant::users holds).
std::string raw_of(const feishu::User& u)
{
  json::Value v = json::Value::object({{"open_id", u.open_id},
                                       {"name", u.name},
                                       {"department_ids", json::Value::string_array(u.department_ids)},
                                       {"job_title", u.job_title},
                                       {"employee_type", u.employee_type},
                                       {"leader_user_id", u.leader_user_id},
                                       {"city", u.city}});
  json::Array orders;
  for (const auto& o : u.orders) {
    orders.push_back(json::Value::object({{"department_id", o.department_id},
                                          {"user_order", o.user_order},
                                          {"department_order", o.department_order},
                                          {"is_primary_dept", o.is_primary_dept}}));
  }
  v.set("orders", json::Value(std::move(orders)));
  v.set("status", json::Value::object({{"is_resigned", u.status.is_resigned},
                                       {"is_activated", u.status.is_activated},
                                       {"is_frozen", u.status.is_frozen}}));
  return v.dump();
}

// A tenant whose users are still decoded, so tests can change them before building the PagedTenant.
struct Fixture
{
  PagedTenant paged;
  std::vector<feishu::User> users;

  PagedTenant build() const
  {
    PagedTenant t = paged;
    for (const auto& u : users) {
      t.users.push_back(raw_of(u));
    }
    return t;
  }
};

Fixture small_tenant()
{
  Fixture f;
  auto& t = f.paged;
  t.departments = {department("od-1", "0", "总部"), department("od-2", "od-1", "技术部")};
  f.users = {user("ou_a", "张三", {"od-2"}), user("ou_b", "李四", {"od-1", "od-2"})};
  f.users[1].orders = {{"od-1", 0, 1, false}, {"od-2", 0, 0, true}};
  f.users[0].leader_user_id = "ou_b";
  feishu::JobTitle title;
  title.job_title_id = "JT01";
  title.name = "工程师";
  title.status = true;
  t.job_titles = {title};
  feishu::Unit unit;
  unit.unit_id = "U1";
  unit.name = "子公司";
  unit.unit_type = "subsidiary";
  t.units = {unit};
  feishu::UnitDepartment binding;
  binding.unit_id = "U1";
  binding.department_id = "od-2";
  t.unit_departments = {binding};
  return f;
}

// Times near now, so that views limited to recent days (v_recent_changes) show them.
std::int64_t at(std::int64_t offset)
{
  static const std::int64_t base = std::time(nullptr) - 86400;
  return base + offset;
}

std::int64_t count(Database& db, const std::string& sql_text)
{
  SQLite::Statement st(SqliteAccess::connection(db), sql_text);
  REQUIRE(st.executeStep());
  return st.getColumn(0).getInt64();
}

std::string text(Database& db, const std::string& sql_text)
{
  SQLite::Statement st(SqliteAccess::connection(db), sql_text);
  REQUIRE(st.executeStep());
  return st.getColumn(0).isNull() ? "NULL" : st.getColumn(0).getString();
}

} // namespace

TEST_CASE("MirrorStore::apply_refresh writes the tenant, its memberships and a first version of each user",
          "[storage][mirror_store]")
{
  testing::ScratchDir dir;
  Database db(dir / "mirror.db");
  MirrorStore store(db);
  const auto run_id = store.begin_refresh(at(1000), "http://127.0.0.1:1", "cli_test");
  const auto run = store.apply_refresh(run_id, small_tenant().build(), at(1010), {42, 3});

  CHECK(run.result == RefreshResult::ok);
  CHECK(run.users_seen == 2);
  CHECK(run.users_added == 2);
  CHECK(run.users_changed == 0);
  CHECK(run.api_requests == 42);
  CHECK(run.rate_limit_waits == 3);
  CHECK(count(db, "SELECT count(*) FROM departments") == 3); // with the root
  CHECK(count(db, "SELECT count(*) FROM user_departments WHERE open_id = 'ou_b'") == 2);
  CHECK(text(db, "SELECT open_department_id FROM user_departments WHERE open_id = 'ou_b' AND is_primary") == "od-2");
  CHECK(count(db, "SELECT count(*) FROM user_history WHERE valid_to IS NULL AND refresh_run_id = " +
                    std::to_string(run_id)) == 2);
  CHECK(text(db, "SELECT primary_department_path FROM user_history WHERE open_id = 'ou_b'") == "总部/技术部");
  CHECK(text(db, "SELECT unit FROM v_users WHERE open_id = 'ou_a'") == "子公司");
  CHECK(text(db, "SELECT leader_name FROM v_users WHERE open_id = 'ou_a'") == "李四");
  CHECK(text(db, "SELECT department FROM v_users WHERE open_id = 'ou_b'") == "总部/技术部");
  CHECK(store.find_latest_trusted_refresh()->id == run_id);
}

TEST_CASE("MirrorStore::apply_refresh records a new version only for users that changed", "[storage][mirror_store]")
{
  testing::ScratchDir dir;
  Database db(dir / "mirror.db");
  MirrorStore store(db);
  store.apply_refresh(store.begin_refresh(at(1000), "u", "a"), small_tenant().build(), at(1000), {});

  auto tenant = small_tenant();
  tenant.users[0].job_title = "经理";
  tenant.paged.departments[1].name = "研发部"; // renames ou_b's primary department too
  const auto run = store.apply_refresh(store.begin_refresh(at(2000), "u", "a"), tenant.build(), at(2000), {});

  CHECK(run.users_added == 0);
  CHECK(run.users_changed == 2);
  CHECK(count(db, "SELECT count(*) FROM user_history WHERE open_id = 'ou_a'") == 2);
  CHECK(count(db, "SELECT valid_to FROM user_history WHERE open_id = 'ou_a' AND job_title = '工程师'") == at(2000));
  CHECK(text(db, "SELECT job_title FROM user_history WHERE open_id = 'ou_a' AND valid_to IS NULL") == "经理");
  CHECK(text(db, "SELECT primary_department_path FROM user_history WHERE open_id = 'ou_b' AND valid_to IS NULL") ==
        "总部/研发部");
  CHECK(text(db, "SELECT detail FROM v_recent_changes WHERE open_id = 'ou_a' AND change = 'changed'") ==
        "department, job_title");

  // The same tenant again: nothing changed.
  const auto again = store.apply_refresh(store.begin_refresh(at(3000), "u", "a"), tenant.build(), at(3000), {});
  CHECK(again.users_changed == 0);
  CHECK(count(db, "SELECT count(*) FROM user_history") == 4);
}

TEST_CASE("MirrorStore::apply_refresh marks leavers resigned or out of scope and keeps them", "[storage][mirror_store]")
{
  testing::ScratchDir dir;
  Database db(dir / "mirror.db");
  MirrorStore store(db);
  auto tenant = small_tenant();
  tenant.users.push_back(user("ou_c", "王五", {"od-2"}));
  store.apply_refresh(store.begin_refresh(at(1000), "u", "a"), tenant.build(), at(1000), {});

  auto later = small_tenant();
  later.users.erase(later.users.begin()); // ou_a resigned
  auto gone = user("ou_a", "张三", {});
  gone.status.is_resigned = true;
  later.paged.resigned = {gone};
  later.paged.out_of_scope = {"ou_c"};
  later.paged.departments.pop_back(); // od-2 is no longer visible
  const auto run = store.apply_refresh(store.begin_refresh(at(2000), "u", "a"), later.build(), at(2000), {});

  CHECK(run.users_resigned == 1);
  CHECK(run.users_out_of_scope == 1);
  CHECK(text(db, "SELECT mirror_state FROM users WHERE open_id = 'ou_a'") == "resigned");
  CHECK(count(db, "SELECT resigned_seen_at FROM users WHERE open_id = 'ou_a'") == at(2000));
  CHECK(text(db, "SELECT mirror_state FROM users WHERE open_id = 'ou_c'") == "out_of_scope");
  CHECK(text(db, "SELECT mirror_state FROM departments WHERE open_department_id = 'od-2'") == "out_of_scope");
  // The resigned user keeps the department they left, in the mirror and in their history.
  CHECK(count(db, "SELECT count(*) FROM user_departments WHERE open_id = 'ou_a'") == 1);
  CHECK(text(db, "SELECT departments FROM user_history WHERE open_id = 'ou_a' AND valid_to IS NULL") == "[\"od-2\"]");
  CHECK(text(db, "SELECT change FROM v_recent_changes WHERE open_id = 'ou_a' ORDER BY at DESC LIMIT 1") == "resigned");

  // Seen resigned again: still the first time it was seen so.
  later.paged.out_of_scope.clear();
  store.apply_refresh(store.begin_refresh(at(3000), "u", "a"), later.build(), at(3000), {});
  CHECK(count(db, "SELECT resigned_seen_at FROM users WHERE open_id = 'ou_a'") == at(2000));
  CHECK(count(db, "SELECT count(*) FROM users") == 3);
}

TEST_CASE("MirrorStore::finish_refresh records an untrusted run and nothing else", "[storage][mirror_store]")
{
  testing::ScratchDir dir;
  Database db(dir / "mirror.db");
  MirrorStore store(db);
  const auto ok_id = store.apply_refresh(store.begin_refresh(at(1000), "u", "a"), small_tenant().build(), at(1000), {}).id;
  const auto before = count(db, "SELECT count(*) FROM user_history");

  const auto id = store.begin_refresh(at(2000), "u", "a");
  RefreshEnd end;
  end.result = RefreshResult::untrusted;
  end.trust_reason = "it lost 2 of 2 users";
  end.users_seen = 0;
  store.finish_refresh(id, at(2005), end);

  CHECK(store.find_refresh(id)->result == RefreshResult::untrusted);
  CHECK(store.find_refresh(id)->trust_reason == "it lost 2 of 2 users");
  CHECK(store.find_latest_trusted_refresh()->id == ok_id);
  CHECK(store.find_latest_refresh()->id == id);
  CHECK(count(db, "SELECT count(*) FROM user_history") == before);
  const auto snapshot = store.load_snapshot();
  CHECK(snapshot.refresh.id == id);
  CHECK(snapshot.refresh.result == RefreshResult::untrusted);
  CHECK(snapshot.users.size() == 2);
}

TEST_CASE("MirrorStore::load_snapshot gives users with their primary department and departments with paths",
          "[storage][mirror_store]")
{
  testing::ScratchDir dir;
  Database db(dir / "mirror.db");
  MirrorStore store(db);
  CHECK(store.load_snapshot().refresh.id == 0);
  store.apply_refresh(store.begin_refresh(at(1000), "u", "a"), small_tenant().build(), at(1000), {});
  const auto snapshot = store.load_snapshot();

  CHECK(snapshot.refresh.result == RefreshResult::ok);
  REQUIRE(snapshot.users.size() == 2);
  const auto& b = snapshot.users[1];
  CHECK(b.user.open_id == "ou_b");
  CHECK(b.primary_department == "od-2");
  CHECK(b.user.department_ids == std::vector<std::string>{"od-2", "od-1"});
  CHECK(snapshot.users[0].user.leader_user_id == "ou_b");
  CHECK(snapshot.users[0].state == MirrorState::active);
  REQUIRE(snapshot.departments.size() == 3);
  for (const auto& d : snapshot.departments) {
    if (d.department.open_department_id == "od-2") {
      CHECK(d.path == std::vector<std::string>{"总部", "技术部"});
    }
  }
  CHECK(snapshot.job_titles.size() == 1);
  CHECK(snapshot.units.size() == 1);
}

TEST_CASE("MirrorStore::find_user reads one user as load_snapshot does", "[storage][mirror_store]")
{
  testing::ScratchDir dir;
  Database db(dir / "mirror.db");
  MirrorStore store(db);
  store.apply_refresh(store.begin_refresh(at(1000), "u", "a"), small_tenant().build(), at(1000), {});
  const auto snapshot = store.load_snapshot();
  for (const MirrorUser& expected : snapshot.users) {
    const std::optional<MirrorUser> found = store.find_user(expected.user.open_id);
    REQUIRE(found);
    CHECK(found->user.name == expected.user.name);
    CHECK(found->user.department_ids == expected.user.department_ids);
    CHECK(found->primary_department == expected.primary_department);
    CHECK(found->user.leader_user_id == expected.user.leader_user_id);
    CHECK(found->state == expected.state);
  }
  CHECK_FALSE(store.find_user("ou_nobody"));
  CHECK_FALSE(store.find_user_by_employee_no("E404"));
}

TEST_CASE("MirrorStore::upsert_user records an API answer with history, in the caller's transaction if open",
          "[storage][mirror_store]")
{
  testing::ScratchDir dir;
  Database db(dir / "mirror.db");
  MirrorStore store(db);
  store.apply_refresh(store.begin_refresh(at(1000), "u", "a"), small_tenant().build(), at(1000), {});

  SECTION("a new user, alone")
  {
    store.upsert_user(user("ou_new", "赵六", {"od-2"}), at(1500));
    CHECK(text(db, "SELECT mirror_state FROM users WHERE open_id = 'ou_new'") == "active");
    CHECK(text(db, "SELECT refresh_run_id FROM user_history WHERE open_id = 'ou_new'") == "NULL");
    CHECK(text(db, "SELECT primary_department_path FROM user_history WHERE open_id = 'ou_new'") == "总部/技术部");
  }
  SECTION("inside a transaction that is rolled back, nothing stays")
  {
    {
      Transaction tx(db);
      store.upsert_user(user("ou_new", "赵六", {"od-2"}), at(1500));
    }
    CHECK(count(db, "SELECT count(*) FROM users WHERE open_id = 'ou_new'") == 0);
  }
  SECTION("a patched user gets a new version; marking resigned another")
  {
    auto patched = small_tenant().users[0];
    patched.city = "上海";
    store.upsert_user(patched, at(1500));
    CHECK(count(db, "SELECT count(*) FROM user_history WHERE open_id = 'ou_a'") == 2);
    store.mark_resigned("ou_a", at(1600));
    CHECK(text(db, "SELECT mirror_state FROM users WHERE open_id = 'ou_a'") == "resigned");
    CHECK(count(db, "SELECT count(*) FROM user_history WHERE open_id = 'ou_a' AND is_resigned = 1") == 1);
    store.mark_resigned("ou_nobody", at(1600)); // not in the mirror: nothing to do
  }
}

TEST_CASE("MirrorStore stores a user found resigned, records a refused resurrect, and forgets it once active",
          "[storage][mirror_store]")
{
  testing::ScratchDir dir;
  Database db(dir / "mirror.db");
  MirrorStore store(db);
  store.apply_refresh(store.begin_refresh(at(1000), "u", "a"), small_tenant().build(), at(1000), {});

  auto gone = user("ou_gone", "钱七", {"od-2"});
  gone.status.is_resigned = true;
  store.upsert_user(gone, at(1500));
  CHECK(text(db, "SELECT mirror_state FROM users WHERE open_id = 'ou_gone'") == "resigned");
  CHECK(count(db, "SELECT resigned_seen_at FROM users WHERE open_id = 'ou_gone'") == at(1500));
  CHECK(count(db, "SELECT count(*) FROM user_history WHERE open_id = 'ou_gone' AND is_resigned = 1") == 1);
  CHECK_FALSE(store.find_user("ou_gone")->resurrect_refused);

  store.mark_resurrect_refused("ou_gone", 44028);
  store.mark_resurrect_refused("ou_a", 44028); // active: not resigned, nothing recorded
  CHECK(store.find_user("ou_gone")->resurrect_refused == 44028);
  CHECK_FALSE(store.find_user("ou_a")->resurrect_refused);
  const auto snapshot = store.load_snapshot();
  const auto it = std::find_if(snapshot.users.begin(), snapshot.users.end(),
                               [](const auto& u) { return u.user.open_id == "ou_gone"; });
  REQUIRE(it != snapshot.users.end());
  CHECK(it->resurrect_refused == 44028);

  // Seen resigned again (a refresh or a look-up): kept. Active again: forgotten.
  store.upsert_user(gone, at(1600));
  CHECK(store.find_user("ou_gone")->resurrect_refused == 44028);
  gone.status.is_resigned = false;
  store.upsert_user(gone, at(1700));
  CHECK_FALSE(store.find_user("ou_gone")->resurrect_refused);
}
