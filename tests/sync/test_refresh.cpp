#include "sync/refresh.hpp"

#include "common/error.hpp"
#include "storage/mirror_store.hpp"
#include "storage/sqlite_access.hpp"
#include "support/emulator_process.hpp"
#include "support/fake_transport.hpp"
#include "support/scratch_dir.hpp"
#include "sync/refresh_fixtures.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>

using namespace dirsync;
using dirsync::testing::FakeTransport;

namespace {

std::int64_t count(storage::Database& db, const std::string& sql_text)
{
  SQLite::Statement st(storage::SqliteAccess::connection(db), sql_text);
  REQUIRE(st.executeStep());
  return st.getColumn(0).getInt64();
}

// Everything the mirror holds, as text, to tell whether a refresh changed it.
std::string dump_mirror(storage::Database& db)
{
  std::string out;
  for (const char* q : {"SELECT open_id, name, mirror_state, job_title, last_seen FROM users ORDER BY open_id",
                        "SELECT open_id, open_department_id, is_primary FROM user_departments ORDER BY 1, 2",
                        "SELECT open_department_id, name, mirror_state, last_seen FROM departments ORDER BY 1",
                        "SELECT id, open_id, valid_from, valid_to FROM user_history ORDER BY id",
                        "SELECT job_title_id, name FROM job_titles ORDER BY 1",
                        "SELECT unit_id, open_department_id FROM unit_departments ORDER BY 1, 2"}) {
    SQLite::Statement st(storage::SqliteAccess::connection(db), q);
    while (st.executeStep()) {
      for (int i = 0; i < st.getColumnCount(); ++i) {
        out += st.getColumn(i).getString();
        out += '|';
      }
      out += '\n';
    }
  }
  return out;
}

// A scripted tenant for the fake transport: departments od-1 > od-2 > od-3 and `users` users
// spread over them. Options make it answer 43010 to fetch_child, or fail one department's members.
struct FakeTenant
{
  int users = 20;
  bool big = false;             // fetch_child=true answers 43010
  std::string failing_members;  // this department's member listing answers 500
  std::set<std::string> resigned; // batch get answers these as resigned (others: not returned)

  feishu::HttpResponse answer(const feishu::HttpRequest& request) const
  {
    using testing::ok;
    const std::string path = testing::path_of(request.target);
    std::map<std::string, std::string> q;
    std::vector<std::string> batch_ids;
    for (auto& [k, v] : testing::query_of(request.target)) {
      if (k == "user_ids") {
        batch_ids.push_back(v);
      }
      q[k] = v;
    }
    const std::string base = "/open-apis/contact/v3";
    static const std::map<std::string, std::string> parent{{"od-1", "0"}, {"od-2", "od-1"}, {"od-3", "od-2"}};
    auto department = [](const std::string& id, const std::string& parent_id) {
      return json::Value::object({{"open_department_id", id}, {"department_id", "D" + id.substr(3)},
                                  {"name", "部门" + id.substr(3)}, {"parent_department_id", parent_id}});
    };
    auto user = [](int i, bool is_resigned) {
      const std::string dep = "od-" + std::to_string(i % 3 + 1);
      json::Value u = json::Value::object({{"open_id", "ou_" + std::to_string(i)},
                                           {"name", "用户" + std::to_string(i)},
                                           {"department_ids", json::Value::string_array({dep})}});
      u.set("status", json::Value::object({{"is_resigned", is_resigned}, {"is_activated", !is_resigned}}));
      return u;
    };
    if (path.starts_with(base + "/departments/") && path.ends_with("/children")) {
      const std::string id = path.substr(base.size() + 13, path.size() - base.size() - 13 - 9);
      if (q["fetch_child"] == "true" && big) {
        return testing::failure(400, 43010, "big dept forbid recursion");
      }
      json::Array items;
      for (const auto& [child, p] : parent) {
        if (p == id || (q["fetch_child"] == "true" && id == "0")) {
          items.push_back(department(child, p));
        }
      }
      return ok(json::Value::object({{"has_more", false}, {"items", json::Value(std::move(items))}}));
    }
    if (path == base + "/users/find_by_department") {
      const std::string id = q["department_id"];
      if (id == failing_members) {
        return testing::failure(500, 40003, "internal error");
      }
      json::Array items;
      for (int i = 0; i < users; ++i) {
        if ("od-" + std::to_string(i % 3 + 1) == id) {
          items.push_back(user(i, false));
        }
      }
      return ok(json::Value::object({{"has_more", false}, {"items", json::Value(std::move(items))}}));
    }
    if (path == base + "/users/batch") {
      json::Array items;
      for (const auto& id : batch_ids) {
        if (resigned.contains(id)) {
          items.push_back(user(std::stoi(id.substr(3)), true));
        }
      }
      return ok(json::Value::object({{"items", json::Value(std::move(items))}}));
    }
    if (path == base + "/job_titles") {
      return ok(json::Value::object({{"has_more", false}, {"items", json::Value::array()}}));
    }
    if (path == base + "/unit") {
      return ok(json::Value::object({{"has_more", false}, {"unitlist", json::Value::array()}}));
    }
    return testing::failure(404, 99991201, "not found: " + path);
  }
};

struct FakeRig
{
  testing::ScratchDir dir;
  std::shared_ptr<FakeTransport> transport = std::make_shared<FakeTransport>();
  testing::FakeTime time;
  config::Config config;
  std::unique_ptr<feishu::Client> client;
  std::unique_ptr<storage::Database> db;
  FakeTenant tenant;

  FakeRig()
  {
    config.feishu = testing::test_config();
    config.feishu.max_attempts = 1;
    config.feishu.rate_limits.clear();
    client = std::make_unique<feishu::Client>(config.feishu, transport, time.hooks());
    db = std::make_unique<storage::Database>(dir / "mirror.db");
    transport->set_handler([this](const feishu::HttpRequest& r) { return tenant.answer(r); });
  }

  sync::RefreshOutcome refresh(bool accept_shrink = false)
  {
    sync::RefreshOptions options;
    options.accept_shrink = accept_shrink;
    return sync::refresh_mirror(*client, *db, config, options);
  }
};

} // namespace

TEST_CASE("refresh_mirror walks the departments level by level when fetch_child answers 43010", "[sync][refresh]")
{
  FakeRig rig;
  rig.tenant.big = true;
  const auto outcome = rig.refresh();
  REQUIRE(outcome.run.result == storage::RefreshResult::ok);
  CHECK(outcome.run.departments_seen == 3);
  CHECK(outcome.run.users_seen == 20);
  CHECK(count(*rig.db, "SELECT count(*) FROM v_departments WHERE path = '部门1/部门2/部门3'") == 1);
  // One refused recursive listing, then one listing per level: 0, od-1, od-2, od-3.
  int listings = 0;
  for (const auto& r : rig.transport->api_requests()) {
    if (r.target.find("/children") != std::string::npos) {
      ++listings;
    }
  }
  CHECK(listings == 5);
}

TEST_CASE("refresh_mirror keeps the previous mirror when paging fails part-way", "[sync][refresh]")
{
  FakeRig rig;
  REQUIRE(rig.refresh().run.result == storage::RefreshResult::ok);
  const auto before = dump_mirror(*rig.db);

  rig.tenant.users = 25; // would add users...
  rig.tenant.failing_members = "od-2"; // ...but one department's listing fails
  const auto outcome = rig.refresh();
  CHECK(outcome.run.result == storage::RefreshResult::untrusted);
  CHECK_THAT(outcome.run.trust_reason, Catch::Contains("paging failed part-way"));
  CHECK(dump_mirror(*rig.db) == before);
  storage::MirrorStore store(*rig.db);
  CHECK(store.find_latest_trusted_refresh()->id == 1);
  CHECK(store.load_snapshot().refresh.result == storage::RefreshResult::untrusted);
}

TEST_CASE("refresh_mirror stops when asked, records it failed and leaves the mirror", "[sync][refresh]")
{
  FakeRig rig;
  REQUIRE(rig.refresh().run.result == storage::RefreshResult::ok);
  const auto before = dump_mirror(*rig.db);
  rig.tenant.users = 30;
  int asked = 0;
  sync::RefreshOptions options;
  options.should_stop = [&asked] { return ++asked > 3; };
  const auto outcome = sync::refresh_mirror(*rig.client, *rig.db, rig.config, options);
  CHECK(outcome.run.result == storage::RefreshResult::failed);
  CHECK_THAT(outcome.run.error, Catch::Contains("stopped"));
  CHECK(dump_mirror(*rig.db) == before);
}

TEST_CASE("refresh_mirror records a refresh that could not read anything as failed", "[sync][refresh]")
{
  FakeRig rig;
  rig.transport->push(testing::failure(400, 40001, "param error"));
  const auto outcome = rig.refresh();
  CHECK(outcome.run.result == storage::RefreshResult::failed);
  CHECK_THAT(outcome.run.error, Catch::Contains("40001"));
  CHECK(count(*rig.db, "SELECT count(*) FROM users") == 0);
}

TEST_CASE("refresh_mirror's gate refuses a mirror that shrank too much, unless accepted", "[sync][refresh]")
{
  FakeRig rig;
  REQUIRE(rig.refresh().run.result == storage::RefreshResult::ok);
  const auto before = dump_mirror(*rig.db);

  SECTION("a shrink within the limit is written; leavers are sorted out")
  {
    rig.tenant.users = 19; // ou_19 left: 5% of 20, the limit is 10%
    rig.tenant.resigned = {"ou_19"};
    const auto outcome = rig.refresh();
    REQUIRE(outcome.run.result == storage::RefreshResult::ok);
    CHECK(outcome.run.users_resigned == 1);
    CHECK(count(*rig.db, "SELECT count(*) FROM users WHERE mirror_state = 'resigned' AND open_id = 'ou_19'") == 1);
  }
  SECTION("half of the users gone is refused, and the mirror stays")
  {
    rig.tenant.users = 10;
    rig.tenant.resigned = {"ou_10"};
    const auto outcome = rig.refresh();
    CHECK(outcome.run.result == storage::RefreshResult::untrusted);
    CHECK_THAT(outcome.run.trust_reason, Catch::Contains("lost 10 of the mirror's 20 active users (50.0%"));
    CHECK_THAT(outcome.run.trust_reason, Catch::Contains("1 resigned, 9 no longer visible"));
    CHECK(dump_mirror(*rig.db) == before);

    const auto accepted = rig.refresh(true);
    CHECK(accepted.run.result == storage::RefreshResult::ok);
    CHECK(accepted.run.users_out_of_scope == 9);
    CHECK(count(*rig.db, "SELECT count(*) FROM users WHERE mirror_state = 'active'") == 10);
  }
}

// ------------------------------------------------------------------------------------------------
// Against the emulator

namespace {

struct EmulatorRig
{
  testing::ScratchDir dir;
  testing::EmulatorProcess emu;
  config::Config config;
  feishu::Client client;
  storage::Database db;

  explicit EmulatorRig(std::vector<std::string> args = {"--rate-limit-scale", "50"},
                       const json::Value& seed = testing::refresh_test_tenant())
    : emu(seed, std::move(args)),
      config(testing::refresh_test_config(emu.base_url(), dir.path())),
      client(config.feishu),
      db(config.storage.database)
  {
  }

  sync::RefreshOutcome refresh() { return sync::refresh_mirror(client, db, config); }
};

std::string nullable(const SQLite::Column& c)
{
  return c.isNull() ? "" : c.getString();
}

} // namespace

TEST_CASE("refresh_mirror makes the mirror equal to the emulator's tenant", "[sync][refresh][emulator]")
{
  EmulatorRig rig;
  const auto outcome = rig.refresh();
  REQUIRE(outcome.run.result == storage::RefreshResult::ok);
  auto state = rig.emu.state();

  std::map<std::string, std::string> dep_open{{"0", "0"}};
  for (auto& d : state["departments"].as_array()) {
    dep_open[d.get_string("department_id")] = d.get_string("open_department_id");
  }
  std::map<std::string, std::string> user_open{{"", ""}};
  for (auto& u : state["users"].as_array()) {
    user_open[u.get_string("user_id")] = u.get_string("open_id");
  }
  auto& sql = storage::SqliteAccess::connection(rig.db);

  // Departments: the same ones, names, parents and leaders.
  std::set<std::string> expected_departments;
  for (auto& d : state["departments"].as_array()) {
    expected_departments.insert(fmt::format("{}|{}|{}|{}", d.get_string("open_department_id"), d.get_string("name"),
                                            dep_open.at(d.get_string("parent_department_id")),
                                            user_open.at(d.get_string("leader_user_id"))));
  }
  std::set<std::string> mirrored_departments;
  SQLite::Statement deps(sql, "SELECT open_department_id, name, parent_open_department_id, leader_open_id "
                              "FROM departments WHERE open_department_id <> '0' AND mirror_state = 'active'");
  while (deps.executeStep()) {
    mirrored_departments.insert(fmt::format("{}|{}|{}|{}", deps.getColumn(0).getString(), deps.getColumn(1).getString(),
                                            deps.getColumn(2).getString(), nullable(deps.getColumn(3))));
  }
  CHECK(mirrored_departments.size() == 300);
  CHECK(mirrored_departments == expected_departments);

  // Users: every active one, with their fields, memberships and primary department; no one else.
  std::set<std::string> expected_users;
  std::set<std::string> expected_memberships;
  for (auto& u : state["users"].as_array()) {
    if (!u["resigned_at"].is_null()) {
      continue;
    }
    expected_users.insert(fmt::format("{}|{}|{}|{}|{}|{}|{}", u.get_string("open_id"), u.get_string("name"),
                                      u.get_string("email"), u.get_string("mobile"), u.get_string("employee_no"),
                                      u.get_string("job_title"), user_open.at(u.get_string("leader_user_id"))));
    for (auto& o : u["orders"].as_array()) {
      expected_memberships.insert(fmt::format("{}|{}|{}", u.get_string("open_id"),
                                              dep_open.at(o.get_string("department_id")),
                                              o.get_bool("is_primary_dept") ? 1 : 0));
    }
  }
  std::set<std::string> mirrored_users;
  SQLite::Statement users(sql, "SELECT open_id, name, email, mobile, employee_no, job_title, leader_open_id, "
                               "mirror_state FROM users");
  while (users.executeStep()) {
    CHECK(users.getColumn(7).getString() == "active");
    mirrored_users.insert(fmt::format("{}|{}|{}|{}|{}|{}|{}", users.getColumn(0).getString(),
                                      users.getColumn(1).getString(), nullable(users.getColumn(2)),
                                      nullable(users.getColumn(3)), nullable(users.getColumn(4)),
                                      nullable(users.getColumn(5)), nullable(users.getColumn(6))));
  }
  CHECK(mirrored_users.size() == 2970);
  CHECK(mirrored_users == expected_users);
  std::set<std::string> mirrored_memberships;
  SQLite::Statement members(sql, "SELECT open_id, open_department_id, is_primary FROM user_departments");
  while (members.executeStep()) {
    mirrored_memberships.insert(fmt::format("{}|{}|{}", members.getColumn(0).getString(),
                                            members.getColumn(1).getString(), members.getColumn(2).getInt()));
  }
  CHECK(mirrored_memberships.size() > mirrored_users.size()); // some users are in two departments
  CHECK(mirrored_memberships == expected_memberships);

  // Job titles, units and their departments.
  std::set<std::string> expected_titles;
  for (auto& t : state["job_titles"].as_array()) {
    expected_titles.insert(t.get_string("job_title_id") + "|" + t.get_string("name"));
  }
  std::set<std::string> mirrored_titles;
  SQLite::Statement titles(sql, "SELECT job_title_id, name FROM job_titles");
  while (titles.executeStep()) {
    mirrored_titles.insert(titles.getColumn(0).getString() + "|" + titles.getColumn(1).getString());
  }
  CHECK(mirrored_titles == expected_titles);
  std::set<std::string> expected_bindings;
  for (auto& u : state["units"].as_array()) {
    for (auto& d : u["department_ids"].as_array()) {
      expected_bindings.insert(u.get_string("unit_id") + "|" + u.get_string("name") + "|" + dep_open.at(d.as_string()));
    }
  }
  std::set<std::string> mirrored_bindings;
  SQLite::Statement bindings(sql, "SELECT u.unit_id, u.name, b.open_department_id FROM unit_departments b "
                                  "JOIN units u USING (unit_id)");
  while (bindings.executeStep()) {
    mirrored_bindings.insert(bindings.getColumn(0).getString() + "|" + bindings.getColumn(1).getString() + "|" +
                             bindings.getColumn(2).getString());
  }
  CHECK(mirrored_bindings.size() == 3);
  CHECK(mirrored_bindings == expected_bindings);

  // The run: what it saw and what it cost.
  CHECK(outcome.run.users_seen == 2970);
  CHECK(outcome.run.users_added == 2970);
  CHECK(outcome.run.units_seen == 2);
  CHECK(outcome.run.api_requests > 300);
  CHECK(count(rig.db, "SELECT count(*) FROM user_history WHERE valid_to IS NULL") == 2970);
}

TEST_CASE("refresh_mirror records changes made between two refreshes as history, and resigned users as resigned",
          "[sync][refresh][emulator]")
{
  EmulatorRig rig;
  REQUIRE(rig.refresh().run.result == storage::RefreshResult::ok);
  auto state = rig.emu.state();
  std::map<std::string, std::string> open;
  for (auto& u : state["users"].as_array()) {
    open[u.get_string("user_id")] = u.get_string("open_id");
  }
  std::map<std::string, std::string> dep_open;
  for (auto& d : state["departments"].as_array()) {
    dep_open[d.get_string("department_id")] = d.get_string("open_department_id");
  }

  feishu::UserPatch retitle;
  retitle.job_title = "架构师";
  rig.client.patch_user(open.at("E000500"), retitle);
  feishu::UserPatch move;
  move.department_ids = std::vector<std::string>{dep_open.at("D0007")};
  rig.client.patch_user(open.at("E000600"), move);
  rig.client.delete_user(open.at("E000700"));

  const auto outcome = rig.refresh();
  REQUIRE(outcome.run.result == storage::RefreshResult::ok);
  CHECK(outcome.run.users_changed == 2);
  CHECK(outcome.run.users_resigned == 1);
  CHECK(outcome.run.users_added == 0);

  auto history_of = [&](const std::string& user_id) {
    return count(rig.db, "SELECT count(*) FROM user_history WHERE open_id = '" + open.at(user_id) + "'");
  };
  CHECK(history_of("E000500") == 2);
  CHECK(history_of("E000600") == 2);
  CHECK(history_of("E000700") == 2);
  CHECK(history_of("E000800") == 1);
  CHECK(count(rig.db, "SELECT count(*) FROM v_user_history WHERE employee_no = 'E000500' AND job_title = '架构师' "
                      "AND valid_to IS NULL") == 1);
  CHECK(count(rig.db, "SELECT count(*) FROM v_user_history WHERE employee_no = 'E000500' AND job_title = '工程师' "
                      "AND valid_to IS NOT NULL") == 1);
  CHECK(count(rig.db, "SELECT count(*) FROM v_users WHERE employee_no = 'E000600' AND department = "
                      "'部门0001/部门0007'") == 1);
  CHECK(count(rig.db, "SELECT count(*) FROM users WHERE employee_no = 'E000700' AND mirror_state = 'resigned' "
                      "AND is_resigned = 1 AND resigned_seen_at IS NOT NULL") == 1);
  CHECK(count(rig.db, "SELECT count(*) FROM v_recent_changes WHERE source = 'feishu' AND change = 'resigned'") == 1);

  // A third refresh sees nothing new, and still keeps the resigned user.
  const auto third = rig.refresh();
  CHECK(third.run.users_changed == 0);
  CHECK(third.run.users_resigned == 0);
  CHECK(count(rig.db, "SELECT count(*) FROM users WHERE mirror_state = 'resigned'") == 1);
}

TEST_CASE("refresh_mirror does not trust a refresh after the app's scope was narrowed", "[sync][refresh][emulator]")
{
  EmulatorRig rig;
  REQUIRE(rig.refresh().run.result == storage::RefreshResult::ok);
  const auto before = dump_mirror(rig.db);

  auto narrowed = rig.emu.state();
  narrowed["apps"].as_array()[0].set("scope", json::Value::string_array({"D0001"}));
  rig.emu.seed(narrowed);
  const auto outcome = rig.refresh();

  CHECK(outcome.run.result == storage::RefreshResult::untrusted);
  CHECK_THAT(outcome.run.trust_reason, Catch::Contains("scope"));
  CHECK(dump_mirror(rig.db) == before);
  storage::MirrorStore store(rig.db);
  CHECK(store.find_latest_trusted_refresh()->id == 1);
  CHECK(store.load_snapshot().refresh.result == storage::RefreshResult::untrusted);
}

TEST_CASE("refresh_mirror leaves the mirror intact when the emulator fails requests", "[sync][refresh][emulator]")
{
  EmulatorRig rig({"--rate-limit-scale", "50", "--fail-rate", "0.3", "--random-seed", "7"},
                  testing::refresh_test_tenant(600, 60));
  rig.config.feishu.max_attempts = 1;
  feishu::Client flaky(rig.config.feishu);
  // The mirror as a trusted refresh left it, written directly (the flaky emulator would not let one finish).
  storage::MirrorStore store(rig.db);
  storage::PagedTenant known;
  known.users.push_back(R"({"open_id": "ou_known", "name": "已知"})");
  store.apply_refresh(store.begin_refresh(1, "x", "y"), known, 2, {});
  const auto before = dump_mirror(rig.db);

  const auto outcome = sync::refresh_mirror(flaky, rig.db, rig.config);
  CHECK(outcome.run.result != storage::RefreshResult::ok);
  CHECK(dump_mirror(rig.db) == before);
  CHECK(store.find_latest_trusted_refresh()->id == 1);
}

TEST_CASE("refresh_mirror walks the emulator's departments level by level when it answers 43010",
          "[sync][refresh][emulator]")
{
  EmulatorRig rig({"--rate-limit-scale", "50", "--fetch-child-limit", "100"}, testing::refresh_test_tenant(600, 300));
  const auto outcome = rig.refresh();
  REQUIRE(outcome.run.result == storage::RefreshResult::ok);
  CHECK(outcome.run.departments_seen == 300);
  CHECK(outcome.run.users_seen == 570);
  const auto metrics = rig.client.metrics();
  const auto refused = metrics.requests.find({"department_children", "43010"});
  REQUIRE(refused != metrics.requests.end());
  CHECK(refused->second == 1);
  // Every department hangs where the emulator has it: D0007 is the first child of D0001.
  auto state = rig.emu.state();
  std::string d0007;
  for (auto& d : state["departments"].as_array()) {
    if (d.get_string("department_id") == "D0007") {
      d0007 = d.get_string("open_department_id");
    }
  }
  CHECK(count(rig.db, "SELECT count(*) FROM v_departments WHERE open_department_id = '" + d0007 +
                        "' AND path = '部门0001/部门0007' AND depth = 2") == 1);
  CHECK(count(rig.db, "SELECT count(*) FROM v_department_paths WHERE depth > 0") == 300);
}

TEST_CASE("refresh_mirror's gate holds a mass resignation in the emulator until it is accepted",
          "[sync][refresh][emulator]")
{
  EmulatorRig rig({"--rate-limit-scale", "50"}, testing::refresh_test_tenant(300, 30));
  REQUIRE(rig.refresh().run.result == storage::RefreshResult::ok);
  const auto before = dump_mirror(rig.db);
  auto state = rig.emu.state();
  // 40 of the 270 active users leave: 14.8%, more than the 10% the gate allows.
  int deleted = 0;
  for (auto& u : state["users"].as_array()) {
    if (deleted < 40 && u["resigned_at"].is_null() && !u.get_bool("is_tenant_manager") &&
        u.get_string("user_id") > "E000030") {
      rig.client.delete_user(u.get_string("open_id"));
      ++deleted;
    }
  }
  REQUIRE(deleted == 40);

  const auto held = rig.refresh();
  CHECK(held.run.result == storage::RefreshResult::untrusted);
  CHECK_THAT(held.run.trust_reason, Catch::Contains("lost 40 of the mirror's 270 active users (14.8%"));
  CHECK_THAT(held.run.trust_reason, Catch::Contains("40 resigned, 0 no longer visible"));
  CHECK(dump_mirror(rig.db) == before);

  sync::RefreshOptions accept;
  accept.accept_shrink = true;
  const auto accepted = sync::refresh_mirror(rig.client, rig.db, rig.config, accept);
  CHECK(accepted.run.result == storage::RefreshResult::ok);
  CHECK(accepted.run.users_resigned == 40);
  CHECK(count(rig.db, "SELECT count(*) FROM users WHERE mirror_state = 'resigned' AND is_resigned = 1") == 40);
  CHECK(count(rig.db, "SELECT count(*) FROM users WHERE mirror_state = 'active'") == 230);
}
