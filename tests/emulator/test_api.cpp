// Api without sockets: routing, envelopes, authentication, rate limits with an injected clock.
#include "emulator/api.hpp"

#include <catch2/catch.hpp>

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
  CHECK(Fixture::header(wrong, "X-Tt-Logid") == parse(wrong.body).find("error")->get_string("log_id"));
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
  CHECK(parse(control.body).find("requests")->find("faults")->size() == 1);
}
