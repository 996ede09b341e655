// Integration tests of the Feishu client against the real feishu-emulator on a loopback port:
// every call's result and its main error, paging over many pages, 429 handling, a token that
// expires part-way, injected 5xx and dropped connections, idempotent creates, the resurrect window,
// uniqueness conflicts and scope errors.
#include "feishu/client.hpp"

#include "support/emulator_process.hpp"
#include "support/tenant_generator.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <set>

using namespace dirsync;
using namespace dirsync::feishu;
using namespace dirsync::testing;
using namespace std::chrono_literals;

namespace {

const IdTypes k_custom{UserIdType::user_id, DepartmentIdType::department_id};

// A small tenant from the generator, plus a second app that sees only D0002, job titles and a unit.
json::Value seed_tenant(std::size_t users = 40, std::size_t departments = 4)
{
  TenantShape shape;
  shape.users = users;
  shape.departments = departments;
  json::Value seed = generate_tenant(shape);
  if (departments < 2) {
    return seed;
  }
  seed["apps"].push_back(
    json::Value::object({{"app_id", "cli_narrow"}, {"app_secret", "narrow-secret"},
                         {"scope", json::Value::string_array({"D0002"})}}));
  seed.set("job_titles", json::parse(R"([
    {"job_title_id": "JT01", "name": "工程师", "i18n_name": [{"locale": "en_us", "value": "Engineer"}], "status": true},
    {"job_title_id": "JT02", "name": "经理", "i18n_name": [{"locale": "en_us", "value": "Manager"}], "status": false}])"));
  seed.set("units", json::parse(R"([{"unit_id": "U01", "name": "华东子公司", "unit_type": "子公司", "department_ids": ["D0001"]}])"));
  return seed;
}

config::FeishuConfig config_for(const EmulatorProcess& emulator, std::string app_id = "cli_test",
                                std::string app_secret = "test-secret")
{
  config::FeishuConfig c;
  c.base_url = emulator.base_url();
  c.app_id = std::move(app_id);
  c.app_secret = std::move(app_secret);
  c.timeout = 5s;
  c.max_attempts = 8;
  return c;
}

// Real time, but short backoffs so retried tests stay quick.
ClientHooks quick_retries()
{
  ClientHooks hooks;
  hooks.random_seed = 7;
  hooks.initial_backoff = 5ms;
  hooks.max_backoff = 50ms;
  return hooks;
}

std::unique_ptr<Client> client_for(const EmulatorProcess& emulator, config::FeishuConfig config = {})
{
  if (config.base_url != emulator.base_url()) {
    config = config_for(emulator);
  }
  return std::make_unique<Client>(config, quick_retries());
}

long long api_error_code(const std::function<void()>& call)
{
  try {
    call();
  } catch (const ApiError& e) {
    return e.code();
  }
  return 0;
}

// A new user in `department` (a department_id: create it with k_custom).
UserCreate new_user(const std::string& n, const std::string& department = "D0001")
{
  UserCreate u;
  u.name = "新员工" + n;
  u.department_ids = {department};
  u.employee_type = 1;
  u.mobile = "+861370000" + n;
  u.email = "new" + n + "@example.com";
  u.employee_no = "N" + n;
  return u;
}

std::vector<User> all_users_in(Client& client, const std::string& department, IdTypes ids, int* pages = nullptr)
{
  std::vector<User> out;
  client.list_users_by_department(department, [&](std::vector<User>& page) {
    if (pages != nullptr) {
      ++*pages;
    }
    out.insert(out.end(), page.begin(), page.end());
  }, ids);
  return out;
}

std::size_t users_in_state(const EmulatorProcess& emulator)
{
  const json::Value state = emulator.state();
  const json::Value* users = state.find("users");
  return users == nullptr ? 0 : users->size();
}

} // namespace

TEST_CASE("the client creates, reads, patches, deletes and resurrects users on the emulator", "[feishu][emulator]")
{
  EmulatorProcess emulator(seed_tenant());
  auto client = client_for(emulator);

  // Create with the default id types: departments are open_department_ids, the answer carries open ids.
  const std::string d1 = client->get_department("D0001", k_custom).open_department_id;
  REQUIRE(d1.rfind("od-", 0) == 0);
  const User created = client->create_user(new_user("0001", d1), "ct-0001");
  CHECK(created.open_id.rfind("ou_", 0) == 0);
  CHECK(created.name == "新员工0001");
  CHECK(created.employee_no == "N0001");
  CHECK(created.department_ids == std::vector<std::string>{d1});
  CHECK_FALSE(created.raw.empty());

  // Get by open_id, and by user_id with custom department ids.
  const User fetched = client->get_user(created.open_id);
  CHECK(fetched.email == "new0001@example.com");
  const User by_user_id = client->get_user("E000002", k_custom);
  CHECK(by_user_id.user_id == "E000002");
  CHECK(by_user_id.department_ids == std::vector<std::string>{"D0002"});
  CHECK(api_error_code([&] { client->get_user("ou_nobody"); }) == 41050);

  // Patch: only the given fields change.
  UserPatch patch;
  patch.city = "杭州";
  patch.job_title = "高级工程师";
  const User patched = client->patch_user(created.open_id, patch);
  CHECK(patched.city == "杭州");
  CHECK(patched.job_title == "高级工程师");
  CHECK(patched.email == "new0001@example.com");
  UserPatch move;
  move.department_ids = std::vector<std::string>{"D0003"};
  const User moved = client->patch_user(created.open_id, move, {UserIdType::open_id, DepartmentIdType::department_id});
  CHECK(moved.department_ids == std::vector<std::string>{"D0003"});
  CHECK(api_error_code([&] { client->patch_user("nobody", move, k_custom); }) == 41050);

  // Batch get and batch_get_id.
  const auto batch = client->batch_get_users({"E000001", "E000002", "E000003"}, k_custom);
  CHECK(batch.size() == 3);
  BatchIdQuery query;
  query.emails = {"new0001@example.com", "nobody@example.com"};
  query.mobiles = {"+8613700000001"};
  const auto ids = client->batch_get_user_ids(query);
  REQUIRE(ids.size() == 3);
  std::map<std::string, std::string> by_key;
  for (const auto& e : ids) {
    by_key[e.email.empty() ? e.mobile : e.email] = e.user_id;
  }
  CHECK(by_key["new0001@example.com"] == created.open_id);
  CHECK(by_key["nobody@example.com"].empty());
  CHECK(by_key["+8613700000001"] == created.open_id);

  // update_user_id.
  client->update_user_id(created.open_id, "custom-0001");
  CHECK(client->get_user("custom-0001", k_custom).open_id == created.open_id);
  CHECK(api_error_code([&] { client->update_user_id(created.open_id, "E000002"); }) == 41011);

  // Delete, then resurrect within the window.
  UserDelete del;
  del.docs_acceptor_user_id = "E000001";
  del.email_acceptor = EmailAcceptor{"1", "E000001"};
  client->delete_user("custom-0001", del, UserIdType::user_id);
  CHECK(client->get_user(created.open_id).status.is_resigned);
  const auto members = all_users_in(*client, "D0001", k_custom);
  CHECK(std::none_of(members.begin(), members.end(), [](const User& u) { return u.user_id == "custom-0001"; }));
  CHECK(api_error_code([&] { client->delete_user("E000001", {}, UserIdType::user_id); }) == 44037);

  UserResurrect back;
  back.departments = {{"D0002", 0, 0}};
  client->resurrect_user("custom-0001", back, k_custom);
  const User revived = client->get_user("custom-0001", k_custom);
  CHECK_FALSE(revived.status.is_resigned);
  CHECK(revived.department_ids == std::vector<std::string>{"D0002"});
  CHECK(api_error_code([&] { client->resurrect_user("custom-0001", back, k_custom); }) == 44033);
}

TEST_CASE("the client's resurrect fails with 44028 after the 30-day window", "[feishu][emulator]")
{
  EmulatorProcess emulator(seed_tenant());
  auto client = client_for(emulator);
  client->delete_user("E000005", {}, UserIdType::user_id);
  emulator.advance_clock(29 * 24 * 3600);
  client->delete_user("E000006", {}, UserIdType::user_id);
  emulator.advance_clock(2 * 24 * 3600);
  // E000005 left 31 days ago, E000006 2 days ago.
  CHECK(api_error_code([&] { client->resurrect_user("E000005", {}, k_custom); }) == 44028);
  client->resurrect_user("E000006", {}, k_custom);
  CHECK_FALSE(client->get_user("E000006", k_custom).status.is_resigned);
}

TEST_CASE("the client's create is idempotent with a client_token and conflicts are reported", "[feishu][emulator]")
{
  EmulatorProcess emulator(seed_tenant());
  auto client = client_for(emulator);
  const std::size_t before = users_in_state(emulator);

  const User first = client->create_user(new_user("0002"), "ct-0002", k_custom);
  const User again = client->create_user(new_user("0002"), "ct-0002", k_custom);
  CHECK(again.open_id == first.open_id);
  CHECK(users_in_state(emulator) == before + 1);

  // The same client_token with other parameters.
  CHECK(api_error_code([&] { client->create_user(new_user("0003"), "ct-0002", k_custom); }) == 40021);

  // Uniqueness of mobile, email and employee_no.
  UserCreate same_mobile = new_user("0004");
  same_mobile.mobile = "+8613700000002";
  CHECK(api_error_code([&] { client->create_user(same_mobile, "ct-0004a", k_custom); }) == 41001);
  UserCreate same_email = new_user("0004");
  same_email.email = "new0002@example.com";
  CHECK(api_error_code([&] { client->create_user(same_email, "ct-0004b", k_custom); }) == 41002);
  UserCreate same_no = new_user("0004");
  same_no.employee_no = "N0002";
  CHECK(api_error_code([&] { client->create_user(same_no, "ct-0004c", k_custom); }) == 44051);
  CHECK(users_in_state(emulator) == before + 1);

  // The error carries everything the journal keeps.
  try {
    client->create_user(same_mobile, "ct-0004d", k_custom);
    FAIL("no error");
  } catch (const ApiError& e) {
    CHECK(e.http_status() == 400);
    CHECK_FALSE(e.log_id().empty());
    CHECK_FALSE(e.retryable());
    CHECK(e.details().endpoint == "POST /open-apis/contact/v3/users");
  }
}

TEST_CASE("the client is refused outside its app's contact scope", "[feishu][emulator]")
{
  EmulatorProcess emulator(seed_tenant());
  auto narrow = client_for(emulator, config_for(emulator, "cli_narrow", "narrow-secret"));
  CHECK_FALSE(all_users_in(*narrow, "D0002", k_custom).empty());
  CHECK(api_error_code([&] { all_users_in(*narrow, "D0001", k_custom); }) == 40004);
  CHECK(api_error_code([&] { narrow->get_user("E000001", k_custom); }) == 41050);
  UserCreate outside = new_user("0005");
  CHECK(api_error_code([&] { narrow->create_user(outside, "ct-0005", k_custom); }) == 40004);
  // Batch get leaves out-of-scope users out silently.
  CHECK(narrow->batch_get_users({"E000001", "E000002"}, k_custom).size() == 1);

  auto wrong = client_for(emulator, config_for(emulator, "cli_test", "not-the-secret"));
  try {
    wrong->get_user("E000001", k_custom);
    FAIL("no error");
  } catch (const ApiError& e) {
    CHECK(e.code() == 10015);
    CHECK_FALSE(e.retryable());
    CHECK(std::string(e.what()).find("check feishu.app_id and the app secret") != std::string::npos);
  }
}

TEST_CASE("the client pages through many pages of users and departments", "[feishu][emulator]")
{
  // 1 department holding 260 users, and 130 departments under the root.
  EmulatorProcess emulator(seed_tenant(260 + 130, 131));
  auto client = client_for(emulator);

  int pages = 0;
  const auto members = all_users_in(*client, "D0001", k_custom, &pages);
  std::set<std::string> unique;
  for (const auto& u : members) {
    unique.insert(u.user_id);
  }
  CHECK(unique.size() == members.size());
  CHECK(pages == static_cast<int>((members.size() + 49) / 50));
  CHECK(members.size() >= 2);

  std::vector<Department> departments;
  int department_pages = 0;
  client->list_department_children("0", true, [&](std::vector<Department>& page) {
    ++department_pages;
    departments.insert(departments.end(), page.begin(), page.end());
  });
  CHECK(departments.size() == 131);
  CHECK(department_pages == 3);
  std::set<std::string> open_ids;
  for (const auto& d : departments) {
    open_ids.insert(d.open_department_id);
  }
  CHECK(open_ids.size() == 131);

  // Every user of the tenant is seen exactly once over all departments.
  std::set<std::string> everyone;
  std::size_t listed = 0;
  for (const auto& d : departments) {
    for (const auto& u : all_users_in(*client, d.department_id, k_custom)) {
      everyone.insert(u.user_id);
      ++listed;
    }
  }
  CHECK(everyone.size() == 390);
  CHECK(listed == 390);
}

TEST_CASE("the client fetches a new token when the emulator's expires part-way through paging", "[feishu][emulator]")
{
  EmulatorProcess emulator(seed_tenant(200, 1));
  auto client = client_for(emulator);
  int pages = 0;
  std::size_t seen = 0;
  client->list_users_by_department("D0001", [&](std::vector<User>& page) {
    ++pages;
    seen += page.size();
    if (pages == 2) {
      emulator.advance_clock(2 * 3600);  // every token issued so far is now expired
    }
  }, k_custom);
  CHECK(seen == 200);
  CHECK(pages == 4);
  const auto m = client->metrics();
  CHECK(m.token_fetches == 2);
  CHECK(m.requests.at({"user_find_by_department", "99991663"}) == 1);
}

TEST_CASE("the client renews a short-lived token before the emulator refuses it", "[feishu][emulator]")
{
  // The emulator counts whole seconds, so a 4 s token may live only just over 3 s; the client
  // renews it after 2 s.
  EmulatorProcess emulator(seed_tenant(), {"--token-ttl", "4"});
  auto client = client_for(emulator);
  const auto start = std::chrono::steady_clock::now();
  int calls = 0;
  while (std::chrono::steady_clock::now() - start < 4500ms) {
    client->get_user("E000001", k_custom);
    ++calls;
  }
  const auto m = client->metrics();
  CHECK(m.token_fetches >= 2);
  CHECK(m.requests.count({"user_get", "99991663"}) == 0);
  CHECK(m.requests.at({"user_get", "0"}) == static_cast<std::uint64_t>(calls));
}

TEST_CASE("the client waits out the emulator's 429 and succeeds", "[feishu][emulator]")
{
  // 50/s × 0.04 = 2 gets per second at the emulator; the client's own limit is turned off.
  EmulatorProcess emulator(seed_tenant(), {"--rate-limit-scale", "0.04"});
  config::FeishuConfig config = config_for(emulator);
  config.rate_limits["user_get"] = {};
  auto client = client_for(emulator, config);
  for (int i = 0; i < 5; ++i) {
    CHECK(client->get_user("E000001", k_custom).user_id == "E000001");
  }
  const auto m = client->metrics();
  CHECK(m.requests.at({"user_get", "99991400"}) >= 1);
  CHECK(m.requests.at({"user_get", "0"}) == 5);
  CHECK(m.rate_limit_waits.at("user_get") >= 1);
}

TEST_CASE("the client's own rate limit keeps the emulator from answering 429", "[feishu][emulator]")
{
  EmulatorProcess emulator(seed_tenant(), {"--rate-limit-scale", "0.04"});
  config::FeishuConfig config = config_for(emulator);
  config.rate_limits["user_get"] = {{1, std::chrono::seconds(1)}};  // below the emulator's 2/s
  auto client = client_for(emulator, config);
  for (int i = 0; i < 4; ++i) {
    client->get_user("E000001", k_custom);
  }
  const auto m = client->metrics();
  CHECK(m.requests.count({"user_get", "99991400"}) == 0);
  CHECK(m.rate_limit_waits.at("user_get") >= 3);
}

TEST_CASE("the client retries injected 5xx answers and dropped connections without duplicating users", "[feishu][emulator]")
{
  EmulatorProcess emulator(seed_tenant(), {"--fail-rate", "0.2", "--drop-rate", "0.1", "--random-seed", "11"});
  config::FeishuConfig config = config_for(emulator);
  config.max_attempts = 10;
  auto client = client_for(emulator, config);
  const std::size_t before = users_in_state(emulator);

  for (int i = 0; i < 40; ++i) {
    CHECK(client->get_user("E000003", k_custom).user_id == "E000003");
  }
  for (int i = 0; i < 15; ++i) {
    const std::string n = fmt::format("{:04}", 100 + i);
    CHECK(client->create_user(new_user(n), "ct-" + n, k_custom).employee_no == "N" + n);
  }
  CHECK(users_in_state(emulator) == before + 15);
  const auto m = client->metrics();
  std::uint64_t retries = 0;
  for (const auto& [endpoint, n] : m.retries) {
    retries += n;
  }
  CHECK(retries > 0);
}

TEST_CASE("the client's department, job title and unit calls work on the emulator", "[feishu][emulator]")
{
  EmulatorProcess emulator(seed_tenant());
  auto client = client_for(emulator);

  // Departments.
  DepartmentCreate d;
  d.name = "新部门";
  d.department_id = "D9000";
  d.parent_department_id = "D0001";
  const Department created = client->create_department(d, "dct-1", k_custom);
  CHECK(created.department_id == "D9000");
  CHECK(created.open_department_id.rfind("od-", 0) == 0);
  CHECK(created.parent_department_id == "D0001");
  CHECK(client->create_department(d, "dct-1", k_custom).open_department_id == created.open_department_id);
  CHECK(client->get_department("D9000", k_custom).name == "新部门");
  CHECK(client->get_department(created.open_department_id).department_id == "D9000");
  CHECK(api_error_code([&] { client->get_department("D-none", k_custom); }) == 40015);
  std::vector<Department> children;
  client->list_department_children("D0001", false, [&](std::vector<Department>& page) {
    children.insert(children.end(), page.begin(), page.end());
  }, k_custom);
  CHECK(std::any_of(children.begin(), children.end(), [](const Department& x) { return x.department_id == "D9000"; }));

  // Job titles.
  std::vector<JobTitle> titles;
  client->list_job_titles([&](std::vector<JobTitle>& page) { titles.insert(titles.end(), page.begin(), page.end()); });
  REQUIRE(titles.size() == 2);
  const JobTitle manager = client->get_job_title("JT02");
  CHECK(manager.name == "经理");
  CHECK_FALSE(manager.status);
  REQUIRE(manager.i18n_name.size() == 1);
  CHECK(manager.i18n_name[0].value == "Manager");

  // Units.
  const std::string unit_id = client->create_unit({"华南子公司", "子公司", std::nullopt});
  CHECK_FALSE(unit_id.empty());
  CHECK(api_error_code([&] { client->create_unit({"华南子公司", "子公司", std::nullopt}); }) == 43055);
  client->patch_unit(unit_id, "华南分公司");
  CHECK(client->get_unit(unit_id).name == "华南分公司");
  client->bind_unit_department(unit_id, "D0002", DepartmentIdType::department_id);
  CHECK(api_error_code([&] { client->bind_unit_department("U01", "D0002", DepartmentIdType::department_id); }) == 43054);
  std::vector<UnitDepartment> bound;
  client->list_unit_departments(unit_id, [&](std::vector<UnitDepartment>& page) { bound = page; },
                                DepartmentIdType::department_id);
  REQUIRE(bound.size() == 1);
  CHECK(bound[0].department_id == "D0002");
  client->unbind_unit_department(unit_id, "D0002", DepartmentIdType::department_id);
  std::vector<Unit> units;
  client->list_units([&](std::vector<Unit>& page) { units.insert(units.end(), page.begin(), page.end()); });
  CHECK(units.size() == 2);
  client->delete_unit(unit_id);
  CHECK(api_error_code([&] { client->get_unit(unit_id); }) != 0);
}

TEST_CASE("the client's user-token calls, logout and JSAPI ticket work on the emulator", "[feishu][emulator]")
{
  EmulatorProcess emulator(seed_tenant());
  auto client = client_for(emulator);
  const std::string user_token = emulator.user_token("E000002");

  const CurrentUser me = client->get_current_user(user_token);
  CHECK(me.user_id == "E000002");
  CHECK_FALSE(me.open_id.empty());
  CHECK(api_error_code([&] { client->get_current_user("u-not-a-token"); }) != 0);

  std::vector<SearchUser> found;
  const User target = client->get_user("E000003", k_custom);
  client->search_users(user_token, target.name, [&](std::vector<SearchUser>& page) {
    found.insert(found.end(), page.begin(), page.end());
  });
  CHECK(std::any_of(found.begin(), found.end(), [&](const SearchUser& s) { return s.open_id == target.open_id; }));
  // Search needs a user token: the tenant token is refused, and that is not retried.
  CHECK(api_error_code([&] {
          Client::Call call("user_search", {}, "GET", "/open-apis/search/v1/user", {{"query", "x"}});
          client->send(call);
        }) == 99991663);

  // A user token may patch only names.
  UserPatch rename;
  rename.en_name = "Renamed";
  CHECK(client->patch_user(me.open_id, rename, {}, Auth::user(user_token)).en_name == "Renamed");

  Logout out;
  out.logout_type = 1;
  out.user_id = me.open_id;
  client->logout(out);
  Logout bad;
  bad.logout_type = 1;
  bad.user_id = "ou_nobody";
  CHECK(api_error_code([&] { client->logout(bad); }) == 1080001);

  const JsapiTicket ticket = client->get_jsapi_ticket();
  CHECK_FALSE(ticket.ticket.empty());
  CHECK(ticket.expire_in > 0);
}
