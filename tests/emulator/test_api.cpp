// Api without sockets: routing, envelopes, authentication, rate limits with an injected clock.
#include "emulator/api.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

using dirsync::emulator::Api;
using dirsync::emulator::HttpRequest;
using dirsync::emulator::HttpResponse;
using dirsync::emulator::parse_query;
using dirsync::json::parse;
using dirsync::json::Value;

namespace {

const char* const k_seed = R"({
  "apps": [{"app_id": "cli_a", "app_secret": "s"}],
  "departments": [{"department_id": "D01", "name": "技术部"}],
  "users": [{"user_id": "E1", "name": "张三", "mobile": "+8613800000001", "department_ids": ["D01"]},
            {"user_id": "E2", "name": "李四", "mobile": "+8613800000002", "department_ids": ["D01"]}]
})";

struct Fixture
{
  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  Api api;
  std::string token;

  explicit Fixture(double scale = 1.0)
    : api(make_options(scale), parse(k_seed))
  {
    token = parse(call("POST", "/open-apis/auth/v3/tenant_access_token/internal", "",
                       R"({"app_id":"cli_a","app_secret":"s"})", false)
                    .body)
              .get_string("tenant_access_token");
  }

  Api::Options make_options(double scale)
  {
    Api::Options o;
    o.rate_limit_scale = scale;
    o.steady_clock = [this] { return now; };
    return o;
  }

  HttpResponse call(const std::string& method, const std::string& path, const std::string& query = "",
                    const std::string& body = "", bool auth = true)
  {
    return api.handle(HttpRequest{method, path, query, auth ? "Bearer " + token : "", body});
  }

  static std::string header(const HttpResponse& r, const std::string& name)
  {
    for (const auto& [k, v] : r.headers) {
      if (k == name) {
        return v;
      }
    }
    return "";
  }
};

} // namespace

TEST_CASE("api parse_query decodes escapes and '+' and keeps repeated names", "[emulator]")
{
  const auto q = parse_query("user_ids=a&user_ids=b%2Bc&page_token=x+y%3D&empty=&flag");
  REQUIRE(q.size() == 5);
  CHECK(q[1].second == "b+c");
  CHECK(q[2].second == "x y=");
  CHECK(q[3].second.empty());
  CHECK(q[4].first == "flag");
}

TEST_CASE("api answers unknown paths with 404 99991201 and wrong methods with 99991301", "[emulator]")
{
  Fixture f;
  const auto missing = f.call("GET", "/open-apis/contact/v3/nothing");
  CHECK(missing.status == 404);
  CHECK(parse(missing.body).get_int("code") == 99991201);
  const auto wrong = f.call("POST", "/open-apis/contact/v3/users/E1");
  CHECK(wrong.status == 400);
  CHECK(parse(wrong.body).get_int("code") == 99991301);
  CHECK(Fixture::header(wrong, "X-Tt-Logid") == parse(wrong.body).get("error").get_string("log_id"));
}

TEST_CASE("api decodes path ids and answers in the envelope", "[emulator]")
{
  Fixture f;
  const auto ok = f.call("GET", "/open-apis/contact/v3/users/%45%31", "user_id_type=user_id");
  REQUIRE(ok.status == 200);
  const auto body = parse(ok.body);
  CHECK(body.get_int("code", -1) == 0);
  CHECK(body.find("data")->find("user")->get_string("name") == "张三");
  const auto bad_type = f.call("GET", "/open-apis/contact/v3/users/E1", "user_id_type=employee_id");
  CHECK(bad_type.status == 400);
  CHECK(parse(bad_type.body).get_int("code") == 40001);
  const auto bad_json = f.call("PATCH", "/open-apis/contact/v3/users/E1", "user_id_type=user_id", "{");
  CHECK(parse(bad_json.body).get_int("code") == 40001);
}

TEST_CASE("api rate limit refuses the 51st call within a second and recovers after it", "[emulator]")
{
  Fixture f;
  for (int i = 0; i < 50; ++i) {
    REQUIRE(f.call("GET", "/open-apis/contact/v3/users/E1", "user_id_type=user_id").status == 200);
  }
  const auto limited = f.call("GET", "/open-apis/contact/v3/users/E1", "user_id_type=user_id");
  CHECK(limited.status == 429);
  CHECK(Fixture::header(limited, "x-ogw-ratelimit-limit") == "50");
  CHECK(Fixture::header(limited, "x-ogw-ratelimit-reset") == "1");
  f.now += std::chrono::seconds(1);
  CHECK(f.call("GET", "/open-apis/contact/v3/users/E1", "user_id_type=user_id").status == 200);
}

TEST_CASE("api latency and faults apply to /open-apis only", "[emulator]")
{
  Api::Options o;
  o.latency = std::chrono::milliseconds(20);
  o.fail_rate = 1.0;
  Api api(o, parse(k_seed));
  const auto faulted = api.handle(HttpRequest{"GET", "/open-apis/contact/v3/users/E1", "", "", ""});
  CHECK(faulted.status >= 500);
  CHECK(faulted.delay == std::chrono::milliseconds(20));
  const auto control = api.handle(HttpRequest{"GET", "/_emulator/stats", "", "", ""});
  CHECK(control.status == 200);
  CHECK(control.delay.count() == 0);
  CHECK(parse(control.body).get("requests").get("faults").size() == 1);
}

namespace {

// A create of hire `hire` in D01; `n` varies the mobile and email so that only the employee number is shared.
std::string hire_body(int hire, int n)
{
  return fmt::format(R"({{"name":"新员工","mobile":"+86139{:03}{:05}","email":"hire{}.{}@example.com",)"
                     R"("employee_no":"H{:04}","employee_type":1,"department_ids":["D01"]}})",
                     hire, n, hire, n, hire);
}

// Runs `call(i)` for i in [0, n) on n threads released together; returns the answers.
std::vector<HttpResponse> at_once(int n, const std::function<HttpResponse(int)>& call)
{
  std::vector<HttpResponse> answers(static_cast<std::size_t>(n));
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) {
        std::this_thread::yield();
      }
      answers[static_cast<std::size_t>(i)] = call(i);
    });
  }
  go = true;
  for (auto& t : threads) {
    t.join();
  }
  return answers;
}

// How many users of the tenant carry each hire's employee number.
std::map<std::string, int> hires_in(Api& api)
{
  const Value state = api.state();
  std::map<std::string, int> count;
  for (const Value& user : state.find("users")->as_array()) {
    if (const auto no = user.get_string("employee_no"); no.starts_with("H")) {
      ++count[no];
    }
  }
  return count;
}

} // namespace

TEST_CASE("api creates one user for concurrent creates with one client_token, and refuses a second employee_no",
          "[emulator]")
{
  constexpr int k_hires = 100;
  constexpr int k_threads = 8;
  Fixture f(0.0); // no rate limits: 800 creates
  SECTION("one client_token per hire: every answer is the same user")
  {
    for (int hire = 1; hire <= k_hires; ++hire) {
      const auto answers = at_once(k_threads, [&](int) {
        return f.call("POST", "/open-apis/contact/v3/users",
                      fmt::format("department_id_type=department_id&client_token=tok-{}", hire), hire_body(hire, 0));
      });
      std::set<std::string> open_ids;
      for (const auto& a : answers) {
        REQUIRE(a.status == 200);
        open_ids.insert(parse(a.body).get("data").get("user").get_string("open_id"));
      }
      CHECK(open_ids.size() == 1);
    }
  }
  SECTION("one employee_no under different client_tokens: one user, the rest refused with 44051")
  {
    for (int hire = 1; hire <= k_hires; ++hire) {
      const auto answers = at_once(k_threads, [&](int i) {
        return f.call("POST", "/open-apis/contact/v3/users",
                      fmt::format("department_id_type=department_id&client_token=tok-{}-{}", hire, i),
                      hire_body(hire, i));
      });
      int created = 0;
      int refused = 0;
      for (const auto& a : answers) {
        created += a.status == 200;
        refused += a.status == 400 && parse(a.body).get_int("code") == 44051;
      }
      CHECK(created == 1);
      CHECK(refused == k_threads - 1);
    }
  }
  const auto hires = hires_in(f.api);
  CHECK(hires.size() == static_cast<std::size_t>(k_hires));
  for (const auto& [no, n] : hires) {
    INFO(no);
    CHECK(n == 1);
  }
}

TEST_CASE("api carries out a create before its latency: the user exists while the answer waits", "[emulator]")
{
  Api::Options o;
  o.latency = std::chrono::milliseconds(150);
  Api api(o, parse(k_seed));
  const auto token = parse(api.handle(HttpRequest{"POST", "/open-apis/auth/v3/tenant_access_token/internal", "",
                                                  "", R"({"app_id":"cli_a","app_secret":"s"})"})
                             .body)
                       .get_string("tenant_access_token");
  const auto created = api.handle(HttpRequest{"POST", "/open-apis/contact/v3/users",
                                              "department_id_type=department_id&client_token=tok-1",
                                              "Bearer " + token, hire_body(1, 0)});
  REQUIRE(created.status == 200);
  // The server holds the answer back by `delay`; the tenant already has the user.
  CHECK(created.delay == std::chrono::milliseconds(150));
  CHECK(hires_in(api) == std::map<std::string, int>{{"H0001", 1}});
}
