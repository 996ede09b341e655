// The emulator over HTTP: the real binary, started on a free loopback port by EmulatorProcess.
#include "support/emulator_process.hpp"
#include "support/scratch_dir.hpp"
#include "support/tenant_generator.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <set>
#include <thread>

using dirsync::json::parse;
using dirsync::json::Value;
using dirsync::testing::EmulatorProcess;
using dirsync::testing::generate_tenant;
using dirsync::testing::TenantShape;

namespace {

const std::string k_users = "/open-apis/contact/v3/users";

Value small_tenant(std::size_t users = 30)
{
  TenantShape shape;
  shape.users = users;
  shape.departments = 3;
  return generate_tenant(shape);
}

std::map<std::string, std::string> bearer(const std::string& token)
{
  return {{"Authorization", "Bearer " + token}};
}

// Percent-encodes a query value (page tokens hold '+', '/' and '=').
std::string encode(const std::string& s)
{
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buffer[4];
      std::snprintf(buffer, sizeof buffer, "%%%02X", c);
      out += buffer;
    }
  }
  return out;
}

} // namespace

TEST_CASE("emulator token endpoint answers flat bodies with HTTP 200, also for a wrong secret", "[emulator][server]")
{
  EmulatorProcess emu(small_tenant());
  const std::string path = "/open-apis/auth/v3/tenant_access_token/internal";
  const auto ok = emu.request("POST", path, R"({"app_id":"cli_test","app_secret":"test-secret"})");
  CHECK(ok.status == 200);
  const auto body = ok.json();
  CHECK(body.get_int("code", -1) == 0);
  CHECK(body.get_string("tenant_access_token").starts_with("t-"));
  CHECK(body.get_int("expire") == 7200);
  CHECK_FALSE(body.contains("data"));
  CHECK_FALSE(ok.header("x-tt-logid").empty());

  const auto wrong = emu.request("POST", path, R"({"app_id":"cli_test","app_secret":"nope"})");
  CHECK(wrong.status == 200);
  CHECK(wrong.json().get_int("code") == 10015);
  const auto unknown = emu.request("POST", path, R"({"app_id":"cli_other","app_secret":"nope"})");
  CHECK(unknown.json().get_int("code") == 10014);
  const auto garbage = emu.request("POST", path, "not json");
  CHECK(garbage.status == 200);
  CHECK(garbage.json().get_int("code") == 10003);

  const auto app = emu.request("POST", "/open-apis/auth/v3/app_access_token/internal",
                               R"({"app_id":"cli_test","app_secret":"test-secret"})")
                     .json();
  CHECK(app.get_string("app_access_token").starts_with("t-"));
  CHECK(app.get_string("tenant_access_token") == body.get_string("tenant_access_token"));
}

TEST_CASE("emulator errors use the Feishu envelope with the log id in header and body", "[emulator][server]")
{
  EmulatorProcess emu(small_tenant());
  const auto token = emu.tenant_token("cli_test", "test-secret");

  const auto missing = emu.request("GET", k_users + "/E000001?user_id_type=user_id");
  CHECK(missing.status == 400);
  CHECK(missing.json().get_int("code") == 99991661);

  const auto unknown_path = emu.request("GET", "/open-apis/contact/v3/nothing_here", "", bearer(token));
  CHECK(unknown_path.status == 404);
  const auto body = unknown_path.json();
  CHECK(body.get_int("code") == 99991201);
  CHECK(body.find("error")->get_string("log_id") == unknown_path.header("x-tt-logid"));
  CHECK(body.find("error")->get_string("troubleshooter").find(unknown_path.header("x-tt-logid")) != std::string::npos);

  const auto nobody = emu.request("GET", k_users + "/E999999?user_id_type=user_id", "", bearer(token));
  CHECK(nobody.status == 400);
  CHECK(nobody.json().get_int("code") == 41050);

  const auto conflict = emu.request("POST", k_users + "?user_id_type=user_id&department_id_type=department_id",
                                    R"({"name":"重复","mobile":"+8613900000001","email":"e000001@example.com",
                                        "department_ids":["D0001"],"employee_type":1})",
                                    bearer(token));
  CHECK(conflict.status == 409);
  CHECK(conflict.json().get_int("code") == 41053);

  const auto ok = emu.request("GET", k_users + "/E000002?user_id_type=user_id", "", bearer(token));
  CHECK(ok.status == 200);
  CHECK(ok.json().get_int("code", -1) == 0);
  CHECK(ok.json().get_string("msg") == "success");
  CHECK(ok.json().get("data").get("user").get_string("user_id") == "E000002");
}

TEST_CASE("emulator tokens expire on the emulator clock (--token-ttl)", "[emulator][server]")
{
  EmulatorProcess emu(small_tenant(), {"--token-ttl", "60"});
  const auto token = emu.tenant_token("cli_test", "test-secret");
  const auto path = k_users + "/E000002?user_id_type=user_id";
  CHECK(emu.request("GET", path, "", bearer(token)).status == 200);
  emu.advance_clock(61);
  const auto expired = emu.request("GET", path, "", bearer(token));
  CHECK(expired.status == 400);
  CHECK(expired.json().get_int("code") == 99991663);
  const auto fresh = emu.tenant_token("cli_test", "test-secret");
  CHECK(fresh != token);
  CHECK(emu.request("GET", path, "", bearer(fresh)).status == 200);
}

TEST_CASE("emulator rate limits answer 429 with the x-ogw-ratelimit headers", "[emulator][server]")
{
  EmulatorProcess emu(small_tenant()); // real limits: job titles are 10 per minute
  const auto token = emu.tenant_token("cli_test", "test-secret");
  for (int i = 0; i < 10; ++i) {
    REQUIRE(emu.request("GET", "/open-apis/contact/v3/job_titles", "", bearer(token)).status == 200);
  }
  const auto limited = emu.request("GET", "/open-apis/contact/v3/job_titles", "", bearer(token));
  CHECK(limited.status == 429);
  CHECK(limited.json().get_int("code") == 99991400);
  CHECK(limited.header("x-ogw-ratelimit-limit") == "10");
  const int reset = std::stoi(limited.header("x-ogw-ratelimit-reset"));
  CHECK(reset >= 1);
  CHECK(reset <= 60);
  // Another endpoint has its own window.
  CHECK(emu.request("GET", k_users + "/E000002?user_id_type=user_id", "", bearer(token)).status == 200);

  SECTION("a patch that moves a person is limited to one per second")
  {
    const auto move = R"({"department_ids":["D0002"]})";
    const auto path = k_users + "/E000005?user_id_type=user_id&department_id_type=department_id";
    CHECK(emu.request("PATCH", path, move, bearer(token)).status == 200);
    // The next one within the second is refused. (A few tries, in case this machine is so busy
    // that a request takes longer than a second: then the window has moved on.)
    EmulatorProcess::Reply limited_move;
    for (int i = 0; i < 5 && limited_move.status != 429; ++i) {
      limited_move = emu.request("PATCH", path, move, bearer(token));
    }
    CHECK(limited_move.status == 429);
    CHECK(limited_move.header("x-ogw-ratelimit-limit") == "1");
    CHECK(emu.request("PATCH", path, R"({"en_name":"Renamed"})", bearer(token)).status == 200);
  }
}

TEST_CASE("emulator --rate-limit-scale 0 turns the limits off", "[emulator][server]")
{
  EmulatorProcess emu(small_tenant(), {"--rate-limit-scale", "0"});
  const auto token = emu.tenant_token("cli_test", "test-secret");
  for (int i = 0; i < 15; ++i) {
    REQUIRE(emu.request("GET", "/open-apis/contact/v3/job_titles", "", bearer(token)).status == 200);
  }
}

TEST_CASE("emulator pages find_by_department with encoded opaque tokens and honours id types", "[emulator][server]")
{
  EmulatorProcess emu(small_tenant(60));
  const auto token = emu.tenant_token("cli_test", "test-secret");
  // Department D0001 holds users 1, 4, 7, ...: 20 people.
  std::set<std::string> seen;
  std::string page_token;
  int pages = 0;
  do {
    std::string path = "/open-apis/contact/v3/users/find_by_department?department_id=D0001"
                       "&department_id_type=department_id&user_id_type=user_id&page_size=7";
    if (!page_token.empty()) {
      path += "&page_token=" + encode(page_token);
    }
    const auto reply = emu.request("GET", path, "", bearer(token));
    REQUIRE(reply.status == 200);
    const auto data = reply.json().get("data");
    for (const auto& u : data.find("items")->as_array()) {
      seen.insert(u.get_string("user_id"));
      CHECK(u.find("department_ids")->as_array()[0].as_string() == "D0001");
    }
    page_token = data.get_bool("has_more") ? data.get_string("page_token") : "";
    ++pages;
  } while (!page_token.empty() && pages < 10);
  CHECK(pages == 3);
  CHECK(seen.size() == 20);

  const auto bad = emu.request("GET",
                               "/open-apis/contact/v3/users/find_by_department?department_id=D0001"
                               "&department_id_type=department_id&page_token=7",
                               "", bearer(token));
  CHECK(bad.status == 400);
  CHECK(bad.json().get_int("code") == 40012);

  // Default id types: open ids everywhere, references included.
  const auto custom = emu.request("GET", k_users + "/E000004?user_id_type=user_id", "", bearer(token)).json();
  CHECK(custom.find("data")->find("user")->get_string("leader_user_id") == "E000001");
  const auto open_id = custom.find("data")->find("user")->get_string("open_id");
  REQUIRE(open_id.starts_with("ou_"));
  const auto open = emu.request("GET", k_users + "/" + open_id, "", bearer(token)).json();
  const auto& user = *open.find("data")->find("user");
  CHECK(user.get_string("user_id") == "E000004");
  CHECK(user.get_string("leader_user_id").starts_with("ou_"));
  CHECK(user.find("department_ids")->as_array()[0].as_string().starts_with("od-"));

  // Repeated user_ids in a batch.
  const auto batch = emu.request("GET", k_users + "/batch?user_id_type=user_id&user_ids=E000001&user_ids=E000002",
                                 "", bearer(token));
  CHECK(batch.json().get("data").get("items").size() == 2);
}

TEST_CASE("emulator control API: state, stats, reset, seed, user tokens", "[emulator][server]")
{
  EmulatorProcess emu(small_tenant(5));
  const auto token = emu.tenant_token("cli_test", "test-secret");
  const auto created = emu.request("POST", k_users + "?user_id_type=user_id&department_id_type=department_id",
                                   R"({"name":"新员工","mobile":"+8613700000000","department_ids":["D0002"],
                                       "employee_type":1,"user_id":"N0001"})",
                                   bearer(token));
  REQUIRE(created.status == 200);

  const auto state = emu.state();
  CHECK(state.find("users")->size() == 6);
  CHECK(state.find("users")->as_array()[5].get_string("user_id") == "N0001");
  CHECK(state.find("users")->as_array()[5].get_string("open_id").starts_with("ou_"));
  CHECK(state.find("departments")->as_array()[0].get_string("open_department_id").starts_with("od-"));

  const auto stats = emu.stats();
  CHECK(stats.find("requests")->find("POST /open-apis/contact/v3/users")->get_int("200") == 1);
  CHECK(stats.find("requests")->find("POST /open-apis/auth/v3/tenant_access_token/internal")->get_int("200") == 1);

  emu.reset();
  CHECK(emu.state().get("users").size() == 5);
  CHECK(emu.stats().get_int("total") == 0);

  emu.seed(small_tenant(2));
  CHECK(emu.state().get("users").size() == 2);
  const auto bad_seed = emu.request("POST", "/_emulator/seed", R"({"users":[{"name":"x"}]})");
  CHECK(bad_seed.status == 400);
  CHECK(bad_seed.json().get_string("error").find("users[0]") != std::string::npos);

  const auto user_token = emu.user_token("E000002");
  CHECK(user_token.starts_with("u-"));
  const auto info = emu.request("GET", "/open-apis/authen/v1/user_info", "", bearer(user_token));
  CHECK(info.json().get("data").get_string("user_id") == "E000002");
  const auto search = emu.request("GET", "/open-apis/search/v1/user?query=2",
                                  "", bearer(user_token));
  CHECK(search.status == 200);
  CHECK(search.json().get("data").contains("users"));
  const auto tenant_search = emu.request("GET", "/open-apis/search/v1/user?query=a", "", bearer(token));
  CHECK(tenant_search.status == 400);
  CHECK(tenant_search.json().get_int("code") == 99991663);
  const auto user_create = emu.request("POST", k_users, "{}", bearer(user_token));
  CHECK(user_create.json().get_int("code") == 99991668);
}

TEST_CASE("emulator faults are deterministic under --random-seed and spare the control API", "[emulator][server]")
{
  const auto run = [](const std::string& seed) {
    EmulatorProcess emu(small_tenant(3), {"--fail-rate", "0.5", "--random-seed", seed});
    std::vector<int> statuses;
    for (int i = 0; i < 16; ++i) {
      statuses.push_back(emu.request("POST", "/open-apis/auth/v3/tenant_access_token/internal",
                                     R"({"app_id":"cli_test","app_secret":"test-secret"})")
                           .status);
    }
    CHECK(emu.state().get("users").size() == 3); // never faulted
    return statuses;
  };
  const auto a = run("42");
  const auto b = run("42");
  CHECK(a == b);
  CHECK(std::count(a.begin(), a.end(), 200) > 0);
  CHECK(std::count_if(a.begin(), a.end(), [](int s) { return s >= 500; }) > 0);
  CHECK(run("43") != a);
}

TEST_CASE("emulator --drop-rate closes connections without a usable answer", "[emulator][server]")
{
  EmulatorProcess emu(small_tenant(3), {"--drop-rate", "1"});
  CHECK_THROWS(emu.request("POST", "/open-apis/auth/v3/tenant_access_token/internal",
                           R"({"app_id":"cli_test","app_secret":"test-secret"})"));
  CHECK(emu.stats().get("requests").get("faults").get_int("dropped") == 1);
}

TEST_CASE("emulator --latency-ms delays answers without serializing them", "[emulator][server]")
{
  EmulatorProcess emu(small_tenant(3), {"--latency-ms", "300"});
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::future<int>> replies;
  for (int i = 0; i < 10; ++i) {
    replies.push_back(std::async(std::launch::async, [&emu] {
      return emu.request("POST", "/open-apis/auth/v3/tenant_access_token/internal",
                         R"({"app_id":"cli_test","app_secret":"test-secret"})")
        .status;
    }));
  }
  for (auto& r : replies) {
    CHECK(r.get() == 200);
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed >= std::chrono::milliseconds(300));
  CHECK(elapsed < std::chrono::milliseconds(2500)); // ten in a row would take 3 s
}

TEST_CASE("emulator --state keeps the tenant across restarts", "[emulator][server]")
{
  dirsync::testing::ScratchDir dir;
  const auto state_file = dir / "state.json";
  {
    EmulatorProcess emu(small_tenant(3), {"--state", state_file.string()});
    const auto token = emu.tenant_token("cli_test", "test-secret");
    REQUIRE(emu.request("DELETE", k_users + "/E000003?user_id_type=user_id", "", bearer(token)).status == 200);
    CHECK(emu.stop() == 0);
  }
  REQUIRE(std::filesystem::exists(state_file));
  // The seed passed now is ignored: the state file wins.
  EmulatorProcess again(small_tenant(1), {"--state", state_file.string()});
  const auto users = again.state().get("users").as_array();
  REQUIRE(users.size() == 3);
  CHECK(users[2].find("resigned_at")->is_integer());
}
