#include "emulator/tenant.hpp"

#include "common/error.hpp"
#include "support/scratch_dir.hpp"
#include "support/tenant_generator.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <set>

using dirsync::emulator::ApiFailure;
using dirsync::emulator::Caller;
using dirsync::emulator::DepartmentIdType;
using dirsync::emulator::IdTypes;
using dirsync::emulator::PageRequest;
using dirsync::emulator::Tenant;
using dirsync::emulator::UserIdType;
using dirsync::json::parse;
using dirsync::json::Value;

namespace {

constexpr std::int64_t k_day = 86400;

const char* const k_seed = R"({
  "apps": [{"app_id": "cli_all", "app_secret": "s1", "scope": ["0"]},
           {"app_id": "cli_tech", "app_secret": "s2", "scope": ["D02"]}],
  "departments": [
    {"department_id": "D01", "name": "总经办", "parent_department_id": "0", "leader_user_id": "E0001"},
    {"department_id": "D02", "name": "技术部", "parent_department_id": "0", "leader_user_id": "E0002"},
    {"department_id": "D03", "name": "后端组", "parent_department_id": "D02"}],
  "users": [
    {"user_id": "E0001", "employee_no": "E0001", "name": "王建国", "email": "boss@example.com",
     "mobile": "+8613800000001", "department_ids": ["D01"], "is_tenant_manager": true},
    {"user_id": "E0002", "employee_no": "E0002", "name": "李明", "email": "liming@example.com",
     "mobile": "+8613800000002", "department_ids": ["D02"], "leader_user_id": "E0001"},
    {"user_id": "E0003", "employee_no": "E0003", "name": "张伟", "email": "zhangwei@example.com",
     "mobile": "13800000003", "department_ids": ["D03"], "leader_user_id": "E0002"}],
  "job_titles": [{"job_title_id": "JT01", "name": "工程师", "i18n_name": [{"locale": "en_us", "value": "Engineer"}]}],
  "units": [{"unit_id": "U01", "name": "华东子公司", "unit_type": "子公司", "department_ids": ["D03"]}]
})";

struct Fixture
{
  std::int64_t wall = 1'800'000'000;
  Tenant tenant{Tenant::Options{7200, 7, [this] { return wall; }}};
  Caller all;
  Caller tech;
  IdTypes custom{UserIdType::user_id, DepartmentIdType::department_id};

  Fixture()
  {
    tenant.load_seed(parse(k_seed));
    all = login("cli_all", "s1");
    tech = login("cli_tech", "s2");
  }

  Caller login(const std::string& app, const std::string& secret)
  {
    const auto grant = tenant.issue_tenant_token(Value::object({{"app_id", app}, {"app_secret", secret}}));
    return tenant.authenticate(grant.token);
  }

  Value new_user(const std::string& id, const std::string& mobile, const std::string& email)
  {
    Value body = Value::object({{"name", "新人"}, {"department_ids", Value::string_array({"D03"})}, {"employee_type", 1}});
    if (!id.empty()) {
      body.set("user_id", id);
    }
    if (!mobile.empty()) {
      body.set("mobile", mobile);
    }
    if (!email.empty()) {
      body.set("email", email);
    }
    return body;
  }

  Value create(const Value& body, const std::string& client_token = "")
  {
    return tenant.create_user(all, body, custom, client_token).get("user").get_string("user_id");
  }

  std::vector<std::string> members(const std::string& department)
  {
    std::vector<std::string> out;
    PageRequest page{"50", ""};
    for (;;) {
      const auto data = tenant.find_users_by_department(all, department, custom, page);
      for (const auto& u : data.find("items")->as_array()) {
        out.push_back(u.get_string("user_id"));
      }
      if (!data.get_bool("has_more")) {
        return out;
      }
      page.page_token = data.get_string("page_token");
    }
  }
};

// Runs `f`, expecting an ApiFailure with this HTTP status and code.
template<typename F>
void expect_failure(F&& f, int http, long long code)
{
  try {
    f();
    FAIL("expected code " << code << ", got success");
  } catch (const ApiFailure& e) {
    CHECK(e.http_status() == http);
    CHECK(e.code() == code);
  }
}

} // namespace

TEST_CASE("tenant create_user refuses taken mobile, email, user_id and employee_no with their codes", "[emulator]")
{
  Fixture f;
  SECTION("mobile, also written without +86")
  {
    expect_failure([&] { f.create(f.new_user("", "13800000002", "")); }, 400, 41001);
  }
  SECTION("email, case-insensitively")
  {
    expect_failure([&] { f.create(f.new_user("", "", "LiMing@example.com")); }, 400, 41002);
  }
  SECTION("user_id")
  {
    expect_failure([&] { f.create(f.new_user("E0002", "+8613900000009", "")); }, 400, 41011);
  }
  SECTION("employee_no")
  {
    auto body = f.new_user("", "+8613900000009", "");
    body.set("employee_no", "E0003");
    expect_failure([&] { f.create(body); }, 400, 44051);
  }
  SECTION("mobile of one person and email of another")
  {
    expect_failure([&] { f.create(f.new_user("", "+8613800000002", "zhangwei@example.com")); }, 409, 41003);
  }
  SECTION("mobile and email of the same person")
  {
    expect_failure([&] { f.create(f.new_user("", "+8613800000002", "liming@example.com")); }, 409, 41053);
  }
}

TEST_CASE("tenant create_user validates required fields", "[emulator]")
{
  Fixture f;
  auto body = f.new_user("", "+8613900000009", "");
  SECTION("name") { body.erase("name"); expect_failure([&] { f.create(body); }, 400, 41006); }
  SECTION("department_ids") { body.erase("department_ids"); expect_failure([&] { f.create(body); }, 400, 41017); }
  SECTION("employee_type") { body.erase("employee_type"); expect_failure([&] { f.create(body); }, 400, 40001); }
  SECTION("mobile or email") { body.erase("mobile"); expect_failure([&] { f.create(body); }, 400, 41009); }
  SECTION("a department outside the app's scope")
  {
    body.set("department_ids", Value::string_array({"D01"}));
    expect_failure([&] { f.tenant.create_user(f.tech, body, f.custom, ""); }, 403, 40004);
  }
  SECTION("an unknown leader")
  {
    body.set("leader_user_id", "E9999");
    expect_failure([&] { f.create(body); }, 400, 44022);
  }
}

TEST_CASE("tenant create_user with a client_token replays the first user and refuses other parameters", "[emulator]")
{
  Fixture f;
  const auto body = f.new_user("", "+8613900000009", "new@example.com");
  const auto first = f.create(body, "token-1");
  const auto count = f.tenant.user_count();
  CHECK(f.create(body, "token-1") == first);
  CHECK(f.tenant.user_count() == count);

  auto other = body;
  other.set("name", "别人");
  expect_failure([&] { f.create(other, "token-1"); }, 400, 40021);
  // Without a token there is no idempotency: the same body is a second person (and a conflict).
  expect_failure([&] { f.create(body); }, 409, 41053);
}

TEST_CASE("tenant delete_user resigns: gone from listings, still readable, mobile and email freed", "[emulator]")
{
  Fixture f;
  f.tenant.delete_user(f.all, "E0003", Value(), f.custom);
  CHECK(f.members("D03").empty());
  const auto user_data = f.tenant.get_user(f.all, "E0003", f.custom);
  const auto* user = user_data.find("user");
  CHECK(user->find("status")->get_bool("is_resigned"));
  CHECK(user->find("department_ids")->size() == 0);
  // A new person may take the freed mobile, email and employee number.
  auto body = f.new_user("", "+8613800000003", "zhangwei@example.com");
  body.set("employee_no", "E0003");
  CHECK_NOTHROW(f.create(body));
  expect_failure([&] { f.tenant.delete_user(f.all, "E0003", Value(), f.custom); }, 400, 42006);
}

TEST_CASE("tenant delete_user protects the tenant manager and checks acceptors", "[emulator]")
{
  Fixture f;
  expect_failure([&] { f.tenant.delete_user(f.all, "E0001", Value(), f.custom); }, 400, 44037);
  expect_failure(
    [&] {
      f.tenant.delete_user(f.all, "E0003", Value::object({{"docs_acceptor_user_id", "E9999"}}), f.custom);
    },
    400, 41052);
  expect_failure(
    [&] {
      f.tenant.delete_user(
        f.all, "E0003",
        Value::object({{"email_acceptor", Value::object({{"processing_type", "1"}, {"acceptor_user_id", "E0003"}})}}),
        f.custom);
    },
    400, 41052);
  CHECK_NOTHROW(f.tenant.delete_user(
    f.all, "E0003", Value::object({{"docs_acceptor_user_id", "E0002"}, {"email_acceptor", Value::object({{"processing_type", "2"}})}}),
    f.custom));
}

TEST_CASE("tenant resurrect_user works within 30 days of the emulator clock only", "[emulator]")
{
  Fixture f;
  expect_failure([&] { f.tenant.resurrect_user(f.all, "E0003", Value(), f.custom); }, 400, 44033);
  f.tenant.delete_user(f.all, "E0003", Value(), f.custom);

  SECTION("within the window, into the departments asked for")
  {
    f.tenant.advance_clock(29 * k_day);
    const auto body = parse(R"({"departments": [{"department_id": "D02"}]})");
    CHECK_NOTHROW(f.tenant.resurrect_user(f.all, "E0003", body, f.custom));
    CHECK(f.members("D02") == std::vector<std::string>{"E0002", "E0003"});
    CHECK_FALSE(f.tenant.get_user(f.all, "E0003", f.custom).get("user").get("status").get_bool("is_resigned"));
  }
  SECTION("without departments, into the root")
  {
    CHECK_NOTHROW(f.tenant.resurrect_user(f.all, "E0003", Value(), f.custom));
    CHECK(f.members("0") == std::vector<std::string>{"E0003"});
  }
  SECTION("past the window")
  {
    f.tenant.advance_clock(31 * k_day);
    expect_failure([&] { f.tenant.resurrect_user(f.all, "E0003", Value(), f.custom); }, 400, 44028);
  }
  SECTION("when the mobile, email or user_id is now someone else's")
  {
    f.create(f.new_user("", "13800000003", ""));
    expect_failure([&] { f.tenant.resurrect_user(f.all, "E0003", Value(), f.custom); }, 400, 44030);
  }
  SECTION("when the email is now someone else's")
  {
    f.create(f.new_user("", "", "zhangwei@example.com"));
    expect_failure([&] { f.tenant.resurrect_user(f.all, "E0003", Value(), f.custom); }, 400, 44031);
  }
  SECTION("when the user_id is now someone else's (reached by open_id)")
  {
    const auto open_id = f.tenant.get_user(f.all, "E0003", f.custom).get("user").get_string("open_id");
    f.create(f.new_user("E0003", "+8613900000008", ""));
    expect_failure([&] { f.tenant.resurrect_user(f.all, open_id, Value(), IdTypes{}); }, 400, 44032);
  }
}

TEST_CASE("tenant find_users_by_department pages with opaque tokens bound to their listing", "[emulator]")
{
  Fixture f;
  for (int i = 0; i < 23; ++i) {
    f.create(f.new_user("", "+86139000000" + std::to_string(10 + i), ""));
  }
  const auto all = f.members("D03");
  CHECK(all.size() == 24);
  CHECK(std::set<std::string>(all.begin(), all.end()).size() == 24);

  const auto first = f.tenant.find_users_by_department(f.all, "D03", f.custom, PageRequest{});
  CHECK(first.find("items")->size() == 10); // the default page size
  CHECK(first.get_bool("has_more"));
  const auto token = first.get_string("page_token");
  CHECK(token.find("10") == std::string::npos);

  const auto second = f.tenant.find_users_by_department(f.all, "D03", f.custom, PageRequest{"", token});
  CHECK(second.find("items")->as_array()[0].get_string("user_id") == all[10]);

  std::string tampered = token;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  expect_failure([&] { f.tenant.find_users_by_department(f.all, "D03", f.custom, PageRequest{"", tampered}); }, 400,
                 40012);
  expect_failure([&] { f.tenant.find_users_by_department(f.all, "D02", f.custom, PageRequest{"", token}); }, 400,
                 40012);
  expect_failure([&] { f.tenant.find_users_by_department(f.all, "D03", f.custom, PageRequest{"51", ""}); }, 400,
                 40011);
  expect_failure([&] { f.tenant.find_users_by_department(f.all, "D03", f.custom, PageRequest{"0", ""}); }, 400, 40011);
  const auto last = f.tenant.find_users_by_department(f.all, "D03", f.custom, PageRequest{"50", ""});
  CHECK_FALSE(last.get_bool("has_more"));
  CHECK_FALSE(last.contains("page_token"));
}

TEST_CASE("tenant hides departments and users outside an app's contact scope", "[emulator]")
{
  Fixture f;
  expect_failure([&] { f.tenant.get_department(f.tech, "D01", f.custom); }, 403, 40004);
  expect_failure([&] { f.tenant.get_user(f.tech, "E0001", f.custom); }, 400, 41050);
  expect_failure([&] { f.tenant.find_users_by_department(f.tech, "0", f.custom, PageRequest{}); }, 403, 40004);
  CHECK(f.tenant.get_department(f.tech, "D03", f.custom).get("department").get_string("name") == "后端组");
  const auto batch =
    f.tenant.batch_get_users(f.tech, {"E0001", "E0002", "E0003", "E9999"}, f.custom).get("items").as_array();
  REQUIRE(batch.size() == 2);
  CHECK(batch[0].get_string("user_id") == "E0002");
  const auto children = f.tenant.department_children(f.all, "0", f.custom, true, PageRequest{"50", ""});
  CHECK(children.find("items")->size() == 3);
  expect_failure([&] { f.tenant.get_department(f.all, "D99", f.custom); }, 400, 40015);
}

TEST_CASE("tenant answers in the id types asked for, references included", "[emulator]")
{
  Fixture f;
  const auto open = f.tenant.get_user(f.all, "E0003", f.custom).get("user").get_string("open_id");
  CHECK(open.starts_with("ou_"));
  const auto user_data = f.tenant.get_user(f.all, open, IdTypes{});
  const auto* user = user_data.find("user");
  CHECK(user->get_string("user_id") == "E0003");
  const auto leader_open = user->get_string("leader_user_id");
  CHECK(leader_open.starts_with("ou_"));
  CHECK(f.tenant.get_user(f.all, leader_open, IdTypes{}).get("user").get_string("user_id") == "E0002");
  const auto department = user->find("department_ids")->as_array()[0].as_string();
  CHECK(department.starts_with("od-"));
  CHECK(f.tenant.get_department(f.all, department, IdTypes{}).get("department").get_string("department_id") == "D03");
  CHECK(user->get_string("union_id").starts_with("on_"));
  CHECK(user->get_string("mobile") == "+8613800000003");
}

TEST_CASE("tenant batch_get_user_ids answers one entry per query, without user_id when not found", "[emulator]")
{
  Fixture f;
  f.tenant.delete_user(f.all, "E0003", Value(), f.custom);
  const auto body = parse(R"({"emails": ["liming@example.com", "nobody@example.com", "zhangwei@example.com"],
                             "mobiles": ["13800000002"]})");
  const auto list = f.tenant.batch_get_user_ids(f.all, body, f.custom).get("user_list").as_array();
  REQUIRE(list.size() == 4);
  CHECK(list[0].get_string("user_id") == "E0002");
  CHECK(list[1].get_string("email") == "nobody@example.com");
  CHECK_FALSE(list[1].contains("user_id"));
  CHECK_FALSE(list[2].contains("user_id"));
  CHECK(list[3].get_string("mobile") == "13800000002");
  CHECK(list[3].get_string("user_id") == "E0002");

  auto with_resigned = body;
  with_resigned.set("include_resigned", true);
  const auto again = f.tenant.batch_get_user_ids(f.all, with_resigned, f.custom).get("user_list").as_array();
  CHECK(again[2].get_string("user_id") == "E0003");
  CHECK(again[2].find("status")->get_bool("is_resigned"));
}

TEST_CASE("tenant tokens: the same one while more than 30 minutes remain, refused once expired", "[emulator]")
{
  Fixture f;
  const auto credentials = Value::object({{"app_id", "cli_all"}, {"app_secret", "s1"}});
  const auto first = f.tenant.issue_tenant_token(credentials);
  CHECK(first.token.starts_with("t-"));
  CHECK(first.expire == 7200);
  f.wall += 3000;
  const auto same = f.tenant.issue_tenant_token(credentials);
  CHECK(same.token == first.token);
  CHECK(same.expire == 4200);
  f.wall += 2500; // 1700 s left: a new token, and the old one still works
  const auto renewed = f.tenant.issue_tenant_token(credentials);
  CHECK(renewed.token != first.token);
  CHECK_NOTHROW(f.tenant.authenticate(first.token));
  f.tenant.advance_clock(1800);
  expect_failure([&] { f.tenant.authenticate(first.token); }, 400, 99991663);
  CHECK_NOTHROW(f.tenant.authenticate(renewed.token));
  expect_failure([&] { f.tenant.authenticate("t-unknown"); }, 400, 99991663);
  expect_failure([&] { f.tenant.authenticate("bogus"); }, 400, 99991671);
  expect_failure([&] { f.tenant.issue_tenant_token(Value::object({{"app_id", "cli_all"}, {"app_secret", "x"}})); }, 200,
                 10015);
  expect_failure([&] { f.tenant.issue_tenant_token(Value::object({{"app_id", "cli_x"}, {"app_secret", "x"}})); }, 200,
                 10014);
  expect_failure([&] { f.tenant.issue_tenant_token(Value()); }, 200, 10003);
}

TEST_CASE("tenant patch_user changes only what is sent and keeps uniqueness", "[emulator]")
{
  Fixture f;
  const auto user_data = f.tenant.patch_user(f.all, "E0003", parse(R"({"en_name": "Zhang Wei", "department_ids": ["D02"]})"), f.custom)
      ;
  const auto* user = user_data.find("user");
  CHECK(user->get_string("name") == "张伟");
  CHECK(user->get_string("en_name") == "Zhang Wei");
  CHECK(f.members("D03").empty());
  CHECK(f.members("D02") == std::vector<std::string>{"E0002", "E0003"});
  expect_failure([&] { f.tenant.patch_user(f.all, "E0003", parse(R"({"email": "liming@example.com"})"), f.custom); },
                 400, 41002);
  expect_failure([&] { f.tenant.patch_user(f.all, "E0003", parse(R"({"leader_user_id": "E0003"})"), f.custom); }, 400,
                 41030);
}

TEST_CASE("tenant units keep one unit per department and answer with their own list keys", "[emulator]")
{
  Fixture f;
  const auto id = f.tenant.create_unit(f.all, parse(R"({"name": "华南子公司", "unit_type": "子公司"})")).get_string("unit_id");
  expect_failure([&] { f.tenant.create_unit(f.all, parse(R"({"name": "华南子公司", "unit_type": "子公司"})")); }, 400,
                 43055);
  expect_failure([&] { f.tenant.create_unit(f.all, parse(R"({"unit_id": "U01", "name": "x", "unit_type": "y"})")); },
                 400, 43056);
  const auto bind = Value::object({{"unit_id", id}, {"department_id", "D03"}, {"department_id_type", "department_id"}});
  expect_failure([&] { f.tenant.bind_unit_department(f.all, bind, true); }, 400, 43054);
  const auto list = f.tenant.list_units(f.all, PageRequest{});
  CHECK(list.find("unitlist")->size() == 2);
  const auto departments = f.tenant.list_unit_departments(f.all, "U01", DepartmentIdType::department_id, PageRequest{});
  CHECK(departments.find("departmentlist")->as_array()[0].get_string("department_id") == "D03");
}

TEST_CASE("tenant load_seed names the bad entry and leaves the tenant as it was", "[emulator]")
{
  Fixture f;
  const auto before = f.tenant.state();
  auto seed = parse(k_seed);
  seed.find("users")->as_array()[1].set("department_ids", Value::string_array({"D77"}));
  try {
    f.tenant.load_seed(seed);
    FAIL("expected an InputError");
  } catch (const dirsync::InputError& e) {
    CHECK(std::string(e.what()) == "seed: users[1].department_ids[0]: no department \"D77\" in departments");
  }
  CHECK(f.tenant.state() == before);
}

TEST_CASE("tenant state() loads back into the same tenant", "[emulator]")
{
  Fixture f;
  f.create(f.new_user("N1", "+8613900000001", "n1@example.com"));
  f.tenant.delete_user(f.all, "E0003", Value(), f.custom);
  const auto state = f.tenant.state();
  Tenant copy(Tenant::Options{7200, 7, [&f] { return f.wall; }});
  copy.load_seed(state);
  CHECK(copy.state() == state);
  CHECK(state.find("users")->as_array()[0].get_string("open_id").starts_with("ou_"));
}

TEST_CASE("tenant refuses a recursive listing of a big department with 43010 when limited", "[emulator]")
{
  std::int64_t wall = 1'800'000'000;
  Tenant tenant(Tenant::Options{7200, 7, [&wall] { return wall; }, 2});
  tenant.load_seed(parse(k_seed));
  const auto caller =
    tenant.authenticate(tenant.issue_tenant_token(Value::object({{"app_id", "cli_all"}, {"app_secret", "s1"}})).token);
  const IdTypes custom{UserIdType::user_id, DepartmentIdType::department_id};
  expect_failure([&] { tenant.department_children(caller, "0", custom, true, PageRequest{}); }, 400, 43010);
  CHECK(tenant.department_children(caller, "0", custom, false, PageRequest{}).get("items").size() == 2);
  CHECK(tenant.department_children(caller, "D02", custom, true, PageRequest{}).get("items").size() == 1);
}

TEST_CASE("generate_tenant makes a loadable, nested, deterministic tenant", "[emulator]")
{
  dirsync::testing::TenantShape shape;
  shape.users = 500;
  shape.departments = 40;
  shape.resigned = 5;
  const auto seed = dirsync::testing::generate_tenant(shape);
  CHECK(seed == dirsync::testing::generate_tenant(shape));
  Tenant tenant(Tenant::Options{});
  tenant.load_seed(seed);
  CHECK(tenant.user_count() == 500);
  CHECK(tenant.department_count() == 40);
  const auto caller = tenant.authenticate(
    tenant.issue_tenant_token(Value::object({{"app_id", "cli_test"}, {"app_secret", "test-secret"}})).token);
  const IdTypes custom{UserIdType::user_id, DepartmentIdType::department_id};
  const auto top = tenant.department_children(caller, "0", custom, false, PageRequest{"50", ""});
  CHECK(top.find("items")->size() == shape.branching);
  const auto all = tenant.department_children(caller, "0", custom, true, PageRequest{"50", ""});
  CHECK(all.find("items")->size() == 40);
  const auto last = tenant.get_user(caller, "E000500", custom);
  CHECK(last.find("user")->find("status")->get_bool("is_resigned"));
  CHECK_NOTHROW(tenant.resurrect_user(caller, "E000500", Value(), custom));
}

TEST_CASE("tenant departments: create with client_token, move without cycles, delete only when empty", "[emulator]")
{
  Fixture f;
  const auto body = parse(R"({"name": "测试组", "parent_department_id": "D02", "department_id": "D10", "order": "5"})");
  const auto created = f.tenant.create_department(f.all, body, f.custom, "dept-1");
  CHECK(created.find("department")->get_string("open_department_id").starts_with("od-"));
  CHECK(f.tenant.create_department(f.all, body, f.custom, "dept-1") == created);
  expect_failure([&] { f.tenant.create_department(f.all, body, f.custom, ""); }, 400, 40001); // D10 exists
  expect_failure(
    [&] { f.tenant.create_department(f.tech, parse(R"({"name": "x", "parent_department_id": "D01"})"), f.custom, ""); },
    403, 40014);

  // Children sort by order: D03 ("0") before D10 ("5").
  const auto children = f.tenant.department_children(f.all, "D02", f.custom, false, PageRequest{});
  REQUIRE(children.find("items")->size() == 2);
  CHECK(children.find("items")->as_array()[0].get_string("department_id") == "D03");

  expect_failure([&] { f.tenant.patch_department(f.all, "D02", parse(R"({"parent_department_id": "D10"})"), f.custom); },
                 400, 40001);
  const auto moved = f.tenant.patch_department(f.all, "D10", parse(R"({"parent_department_id": "D01", "name": "新名字"})"), f.custom);
  CHECK(moved.find("department")->get_string("parent_department_id") == "D01");
  CHECK(moved.find("department")->get_string("name") == "新名字");

  expect_failure([&] { f.tenant.delete_department(f.all, "D03", f.custom); }, 400, 40001); // has a member
  CHECK_NOTHROW(f.tenant.delete_department(f.all, "D10", f.custom));
  expect_failure([&] { f.tenant.get_department(f.all, "D10", f.custom); }, 400, 40015);
  CHECK_NOTHROW(f.tenant.create_department(f.all, body, f.custom, "")); // the id may be reused
}

TEST_CASE("tenant update_user_id renames the user_id and keeps it unique", "[emulator]")
{
  Fixture f;
  expect_failure([&] { f.tenant.update_user_id(f.all, "E0003", parse(R"({"new_user_id": "E0002"})"), f.custom); }, 400,
                 41011);
  expect_failure([&] { f.tenant.update_user_id(f.all, "E0003", parse(R"({})"), f.custom); }, 400, 41054);
  f.tenant.update_user_id(f.all, "E0003", parse(R"({"new_user_id": "Z0003"})"), f.custom);
  expect_failure([&] { f.tenant.get_user(f.all, "E0003", f.custom); }, 400, 41050);
  CHECK(f.tenant.get_user(f.all, "Z0003", f.custom).get("user").get_string("name") == "张伟");
}

TEST_CASE("tenant user tokens: search and user_info see the user; logout ends their tokens", "[emulator]")
{
  Fixture f;
  const auto grant = f.tenant.issue_user_token("E0002", "");
  CHECK(grant.token.starts_with("u-"));
  const auto user = f.tenant.authenticate(grant.token);
  CHECK(f.tenant.user_info(user).get_string("user_id") == "E0002");
  const auto found = f.tenant.search_users(user, "张", PageRequest{});
  REQUIRE(found.find("users")->size() == 1);
  CHECK(found.find("users")->as_array()[0].get_string("user_id") == "E0003");
  f.tenant.delete_user(f.all, "E0003", Value(), f.custom);
  CHECK(f.tenant.search_users(user, "张", PageRequest{}).get("users").size() == 0);

  expect_failure([&] { f.tenant.logout(f.all, parse(R"({"logout_type": 4})"), f.custom); }, 400, 1080001);
  f.tenant.logout(f.all, parse(R"({"logout_type": 1, "user_id": "E0002"})"), f.custom);
  expect_failure([&] { f.tenant.authenticate(grant.token); }, 400, 99991668);
  CHECK(f.tenant.jssdk_ticket(f.all).get_int("expire_in") == 7200);
}

TEST_CASE("tenant loads the seed example of docs/emulator.md and examples/tenant.json", "[emulator]")
{
  const auto example = parse(R"({
    "apps": [{"app_id": "cli_demo", "app_secret": "demo-secret", "scope": ["0"]}],
    "departments": [{"department_id": "D01", "name": "技术部", "parent_department_id": "0",
                     "leader_user_id": "E0001", "order": "10"}],
    "users": [{"user_id": "E0001", "employee_no": "E0001", "name": "张三", "en_name": "Zhang San",
               "email": "zhangsan@example.com", "mobile": "+8613800000001", "department_ids": ["D01"],
               "leader_user_id": "", "job_title": "工程师", "employee_type": 1,
               "is_tenant_manager": false, "resigned_at": null}],
    "job_titles": [{"job_title_id": "JT01", "name": "工程师",
                    "i18n_name": [{"locale": "en_us", "value": "Engineer"}], "status": true}],
    "units": [{"unit_id": "U01", "name": "消费者事业部", "unit_type": "子公司", "department_ids": ["D01"]}]
  })");
  Tenant tenant(Tenant::Options{});
  CHECK_NOTHROW(tenant.load_seed(example));
  CHECK(tenant.user_count() == 1);

  const auto sample = dirsync::testing::read_file(std::filesystem::path(DIRSYNC_SOURCE_DIR) / "examples" / "tenant.json");
  CHECK_NOTHROW(tenant.load_seed(parse(sample)));
  CHECK(tenant.user_count() == 15);
  CHECK(tenant.department_count() == 8);
}
