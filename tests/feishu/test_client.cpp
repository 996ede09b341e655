#include "feishu/client.hpp"

#include "support/fake_transport.hpp"

#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <sstream>
#include <thread>

using namespace dirsync;
using namespace dirsync::feishu;
using namespace dirsync::testing;
using namespace std::chrono_literals;

namespace {

struct Fixture
{
  config::FeishuConfig config = test_config();
  std::shared_ptr<FakeTransport> transport = std::make_shared<FakeTransport>();
  FakeTime time;
  std::unique_ptr<Client> client;

  Client& make()
  {
    client = std::make_unique<Client>(config, transport, time.hooks());
    return *client;
  }
};

json::Value user_json(const std::string& open_id)
{
  return json::Value::object({{"open_id", open_id}, {"name", "N " + open_id}});
}

json::Value users_page(std::vector<std::string> ids, std::string next_token)
{
  json::Value items = json::Value::array();
  for (auto& id : ids) {
    items.push_back(user_json(id));
  }
  json::Value data = json::Value::object({{"items", std::move(items)}, {"has_more", !next_token.empty()}});
  if (!next_token.empty()) {
    data.set("page_token", next_token);
  }
  return data;
}

std::vector<std::string> values_of(const HttpRequest& r, const std::string& key)
{
  std::vector<std::string> out;
  for (auto& [k, v] : query_of(r.target)) {
    if (k == key) {
      out.push_back(v);
    }
  }
  return out;
}

std::string value_of(const HttpRequest& r, const std::string& key)
{
  auto all = values_of(r, key);
  return all.empty() ? std::string("<absent>") : all.front();
}

std::string auth_of(const HttpRequest& r)
{
  const std::string* v = find_header(r.headers, "Authorization");
  return v == nullptr ? std::string("<none>") : *v;
}

} // namespace

// --- Tokens ---------------------------------------------------------------------------------------

TEST_CASE("Client fetches the tenant token with a flat body and reuses it", "[feishu][client]")
{
  Fixture f;
  f.transport->push(ok(json::Value::object({{"user", user_json("ou_1")}})));
  f.transport->push(ok(json::Value::object({{"user", user_json("ou_2")}})));
  Client& c = f.make();
  CHECK(c.get_user("ou_1").open_id == "ou_1");
  CHECK(c.get_user("ou_2").open_id == "ou_2");

  auto all = f.transport->requests();
  REQUIRE(all.size() == 3);
  CHECK(all[0].method == "POST");
  CHECK(all[0].target == "/open-apis/auth/v3/tenant_access_token/internal");
  CHECK(json::parse(all[0].body) == json::parse(R"({"app_id":"cli_test","app_secret":"s3cret-app-secret"})"));
  CHECK(auth_of(all[0]) == "<none>");
  CHECK(auth_of(all[1]) == "Bearer t-fake-token-1");
  CHECK(auth_of(all[2]) == "Bearer t-fake-token-1");
  CHECK(c.metrics().token_fetches == 1);
}

TEST_CASE("Client renews the tenant token 3 minutes before it expires", "[feishu][client]")
{
  Fixture f;
  f.transport->set_handler([](const HttpRequest&) { return ok(json::Value::object({{"user", user_json("ou_1")}})); });
  Client& c = f.make();
  c.get_user("ou_1");
  f.time.advance(7200s - 181s);
  c.get_user("ou_1");
  CHECK(f.transport->token_requests() == 1);
  f.time.advance(1s);
  c.get_user("ou_1");
  CHECK(f.transport->token_requests() == 2);
  CHECK(auth_of(f.transport->requests().back()) == "Bearer t-fake-token-2");
}

TEST_CASE("Client takes the token after waiting for the rate limit, so a wait cannot outlast it", "[feishu][client]")
{
  Fixture f;
  f.transport->token_expire = 10s;  // renewed after 5 s
  f.config.rate_limits["user_get"] = {{1, std::chrono::seconds(10)}};
  f.transport->set_handler([](const HttpRequest&) { return ok(json::Value::object({{"user", user_json("ou_1")}})); });
  Client& c = f.make();
  c.get_user("ou_1");
  c.get_user("ou_1");  // waits 10.25 s for the limit; the first token is due for renewal by then
  REQUIRE(f.time.sleeps().size() == 1);
  auto api = f.transport->api_requests();
  REQUIRE(api.size() == 2);
  CHECK(auth_of(api[0]) == "Bearer t-fake-token-1");
  CHECK(auth_of(api[1]) == "Bearer t-fake-token-2");
}

TEST_CASE("Client fetches a new token once when Feishu refuses the cached one, and retries", "[feishu][client]")
{
  for (long long code : {99991661LL, 99991663LL, 99991664LL, 99991665LL}) {
    DYNAMIC_SECTION("code " << code)
    {
      Fixture f;
      f.transport->push(failure(400, code, "Invalid access token for authorization"));
      f.transport->push(ok(json::Value::object({{"user", user_json("ou_1")}})));
      Client& c = f.make();
      CHECK(c.get_user("ou_1").open_id == "ou_1");
      auto api = f.transport->api_requests();
      REQUIRE(api.size() == 2);
      CHECK(auth_of(api[0]) == "Bearer t-fake-token-1");
      CHECK(auth_of(api[1]) == "Bearer t-fake-token-2");
      CHECK(f.transport->token_requests() == 2);
      CHECK(f.time.sleeps().empty());
    }
  }
}

TEST_CASE("Client threads refused the same expired token share one new token", "[feishu][client]")
{
  Fixture f;
  f.transport->set_handler([](const HttpRequest& r) {
    if (auth_of(r) == "Bearer t-fake-token-1") {
      return failure(400, 99991663, "Invalid access token for authorization");
    }
    return ok(json::Value::object({{"user", user_json("ou_1")}}));
  });
  Client& c = f.make();
  std::vector<std::thread> threads;
  std::atomic<int> succeeded{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (c.get_user("ou_1").open_id == "ou_1") {
        ++succeeded;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(succeeded == 8);
  CHECK(f.transport->token_requests() == 2);
}

TEST_CASE("Client refreshes the token only once per request", "[feishu][client]")
{
  Fixture f;
  f.transport->push(failure(400, 99991663, "Invalid access token for authorization"));
  f.transport->push(failure(400, 99991663, "Invalid access token for authorization"));
  Client& c = f.make();
  try {
    c.get_user("ou_1");
    FAIL("no error");
  } catch (const ApiError& e) {
    CHECK(e.code() == 99991663);
    CHECK(e.http_status() == 400);
    CHECK_FALSE(e.retryable());
    CHECK(std::string(e.what()).find("a freshly fetched tenant token was refused too") != std::string::npos);
  }
  CHECK(f.transport->api_requests().size() == 2);
  CHECK(f.transport->token_requests() == 2);
}

TEST_CASE("Client reports a refused app id or secret as a permanent error that names the fix", "[feishu][client]")
{
  Fixture f;
  f.transport->push_token({200, {}, R"({"code":10014,"msg":"app id not exists"})"});
  Client& c = f.make();
  try {
    c.get_user("ou_1");
    FAIL("no error");
  } catch (const ApiError& e) {
    CHECK(e.code() == 10014);
    CHECK_FALSE(e.retryable());
    CHECK(e.details().endpoint == "POST /open-apis/auth/v3/tenant_access_token/internal");
    CHECK(std::string(e.what()).find("check feishu.app_id and the app secret") != std::string::npos);
  }
  CHECK(f.transport->api_requests().empty());
}

TEST_CASE("Client without app credentials refuses tenant-token calls with a ConfigError", "[feishu][client]")
{
  Fixture f;
  f.config.app_secret.clear();
  Client& c = f.make();
  CHECK_THROWS_AS(c.get_user("ou_1"), ConfigError);
  CHECK(f.transport->requests().empty());
}

TEST_CASE("Client passes a user token through and never fetches a tenant token for it", "[feishu][client]")
{
  Fixture f;
  f.transport->push(ok(json::Value::object({{"name", "Me"}, {"open_id", "ou_me"}})));
  Client& c = f.make();
  CurrentUser me = c.get_current_user("u-user-token");
  CHECK(me.open_id == "ou_me");
  REQUIRE(f.transport->requests().size() == 1);
  CHECK(auth_of(f.transport->requests()[0]) == "Bearer u-user-token");

  // An expired user token is the caller's to renew: no retry.
  f.transport->push(failure(400, 99991677, "token expire"));
  CHECK_THROWS_AS(c.get_current_user("u-user-token"), ApiError);
  CHECK(f.transport->requests().size() == 2);
}

// --- Errors and retries ---------------------------------------------------------------------------

TEST_CASE("Client turns a business error into a non-retryable ApiError with every detail", "[feishu][client]")
{
  Fixture f;
  f.transport->push(failure(400, 41001, "mobile already exists", {{"X-Tt-Logid", "20231121-abc"}}));
  Client& c = f.make();
  UserCreate u;
  u.name = "A";
  u.department_ids = {"od-1"};
  u.mobile = "+8613000000000";
  try {
    c.create_user(u, "token-1");
    FAIL("no error");
  } catch (const ApiError& e) {
    CHECK(e.details().endpoint == "POST /open-apis/contact/v3/users");
    CHECK(e.http_status() == 400);
    CHECK(e.code() == 41001);
    CHECK(e.details().msg == "mobile already exists");
    CHECK(e.log_id() == "20231121-abc");
    CHECK_FALSE(e.retryable());
  }
  CHECK(f.transport->api_requests().size() == 1);
  CHECK(f.time.sleeps().empty());
}

TEST_CASE("Client waits x-ogw-ratelimit-reset seconds after a 429, then succeeds", "[feishu][client]")
{
  Fixture f;
  f.transport->push(failure(429, 99991400, "request trigger frequency limit",
                            {{"x-ogw-ratelimit-limit", "50"}, {"x-ogw-ratelimit-reset", "3"}}));
  f.transport->push(ok(json::Value::object({{"user", user_json("ou_1")}})));
  Client& c = f.make();
  CHECK(c.get_user("ou_1").open_id == "ou_1");
  CHECK(f.time.sleeps() == std::vector<std::chrono::nanoseconds>{3s});
  CHECK(f.transport->api_requests().size() == 2);
  auto m = c.metrics();
  CHECK(m.rate_limit_waits["user_get"] == 1);
  CHECK(m.rate_limit_wait_seconds["user_get"] == Approx(3.0));
  CHECK(m.retries["user_get"] == 1);
  CHECK(m.requests[{"user_get", "99991400"}] == 1);
  CHECK(m.requests[{"user_get", "0"}] == 1);
}

TEST_CASE("Client backs off after a 429 that names no reset time", "[feishu][client]")
{
  Fixture f;
  f.transport->push(failure(429, 99991400, "request trigger frequency limit"));
  f.transport->push(failure(429, 99991400, "request trigger frequency limit", {{"x-ogw-ratelimit-reset", "0"}}));
  f.transport->push(ok(json::Value::object({{"user", user_json("ou_1")}})));
  Client& c = f.make();
  CHECK(c.get_user("ou_1").open_id == "ou_1");
  auto sleeps = f.time.sleeps();
  REQUIRE(sleeps.size() == 2);
  CHECK(sleeps[0] > 0ns);
  CHECK(sleeps[0] <= 1s);
  CHECK(sleeps[1] > 0ns);
  CHECK(sleeps[1] <= 2s);
}

TEST_CASE("Client retries a rate-limited request even when it is not safe to repeat", "[feishu][client]")
{
  // A 429 means the request was not applied, so even resurrect may be sent again.
  Fixture f;
  f.transport->push(failure(400, 99991400, "request trigger frequency limit", {{"x-ogw-ratelimit-reset", "6"}}));
  f.transport->push(ok());
  Client& c = f.make();
  c.resurrect_user("ou_1");
  CHECK(f.transport->api_requests().size() == 2);
  CHECK(f.time.sleeps() == std::vector<std::chrono::nanoseconds>{6s});
}

TEST_CASE("Client retries 5xx answers and dropped connections with jittered backoff", "[feishu][client]")
{
  Fixture f;
  f.transport->push({502, {}, "<html>Bad Gateway</html>"});
  f.transport->push_dropped(false);
  f.transport->push_dropped(true);
  f.transport->push(failure(500, 40003, "internal error"));
  f.transport->push(ok(json::Value::object({{"user", user_json("ou_1")}})));
  Client& c = f.make();
  CHECK(c.get_user("ou_1").open_id == "ou_1");
  CHECK(f.transport->api_requests().size() == 5);
  auto sleeps = f.time.sleeps();
  REQUIRE(sleeps.size() == 4);
  // Full jitter: each wait is within [0, min(8 s, 1 s * 2^(attempt-1))].
  CHECK(sleeps[0] <= 1s);
  CHECK(sleeps[1] <= 2s);
  CHECK(sleeps[2] <= 4s);
  CHECK(sleeps[3] <= 8s);
  auto m = c.metrics();
  CHECK(m.retries["user_get"] == 4);
  CHECK(m.requests[{"user_get", "http_502"}] == 1);
  CHECK(m.requests[{"user_get", "connection"}] == 1);
  CHECK(m.requests[{"user_get", "timeout"}] == 1);
  CHECK(m.requests[{"user_get", "40003"}] == 1);
}

TEST_CASE("Client gives up after max_attempts with a retryable ApiError", "[feishu][client]")
{
  SECTION("5xx answers")
  {
    Fixture f;
    f.config.max_attempts = 3;
    for (int i = 0; i < 3; ++i) {
      f.transport->push(failure(503, 0, "service unavailable", {{"X-Request-Id", "req-" + std::to_string(i)}}));
    }
    Client& c = f.make();
    try {
      c.get_user("ou_1");
      FAIL("no error");
    } catch (const ApiError& e) {
      CHECK(e.retryable());
      CHECK(e.http_status() == 503);
      CHECK(e.log_id() == "req-2");
      CHECK(std::string(e.what()).find("gave up after 3 attempts") != std::string::npos);
    }
    CHECK(f.transport->api_requests().size() == 3);
    CHECK(f.time.sleeps().size() == 2);
  }
  SECTION("timeouts")
  {
    Fixture f;
    f.config.max_attempts = 2;
    f.transport->push_dropped(true);
    f.transport->push_dropped(true);
    Client& c = f.make();
    try {
      c.get_user("ou_1");
      FAIL("no error");
    } catch (const ApiError& e) {
      CHECK(e.retryable());
      CHECK(e.http_status() == 0);
      CHECK(e.code() == 0);
      CHECK(e.details().endpoint == "GET /open-apis/contact/v3/users/ou_1");
    }
    CHECK(f.transport->api_requests().size() == 2);
  }
  SECTION("429 answers")
  {
    Fixture f;
    f.config.max_attempts = 2;
    f.transport->push(failure(429, 99991400, "limit", {{"x-ogw-ratelimit-reset", "1"}}));
    f.transport->push(failure(429, 99991400, "limit", {{"x-ogw-ratelimit-reset", "1"}}));
    Client& c = f.make();
    try {
      c.get_user("ou_1");
      FAIL("no error");
    } catch (const ApiError& e) {
      CHECK(e.retryable());
      CHECK(e.code() == 99991400);
    }
    CHECK(f.transport->api_requests().size() == 2);
  }
}

TEST_CASE("Client does not repeat a create without client_token after an ambiguous failure", "[feishu][client]")
{
  UserCreate u;
  u.name = "A";
  u.department_ids = {"od-1"};
  u.mobile = "+8613000000000";
  SECTION("without client_token: one request, a retryable error")
  {
    Fixture f;
    f.transport->push_dropped(true);
    Client& c = f.make();
    try {
      c.create_user(u);
      FAIL("no error");
    } catch (const ApiError& e) {
      CHECK(e.retryable());
      CHECK(std::string(e.what()).find("may have been applied") != std::string::npos);
    }
    CHECK(f.transport->api_requests().size() == 1);
    CHECK(value_of(f.transport->api_requests()[0], "client_token") == "<absent>");
  }
  SECTION("with client_token: repeated with the same token")
  {
    Fixture f;
    f.transport->push({504, {}, R"({"code":41027,"msg":"create failed"})"});
    f.transport->push(ok(json::Value::object({{"user", user_json("ou_new")}})));
    Client& c = f.make();
    CHECK(c.create_user(u, "ct-1").open_id == "ou_new");
    auto api = f.transport->api_requests();
    REQUIRE(api.size() == 2);
    CHECK(value_of(api[0], "client_token") == "ct-1");
    CHECK(value_of(api[1], "client_token") == "ct-1");
    CHECK(api[0].body == api[1].body);
  }
}

// --- Rate limits and concurrency --------------------------------------------------------------------

TEST_CASE("Client holds department-changing patches to 1 per second", "[feishu][client]")
{
  Fixture f;
  f.transport->set_handler([](const HttpRequest&) { return ok(json::Value::object({{"user", user_json("ou_1")}})); });
  Client& c = f.make();
  UserPatch move;
  move.department_ids = std::vector<std::string>{"od-2"};
  UserPatch rename;
  rename.name = "B";
  c.patch_user("ou_1", move);
  c.patch_user("ou_1", rename);
  c.patch_user("ou_1", rename);
  CHECK(f.time.sleeps().empty());
  c.patch_user("ou_2", move);
  REQUIRE(f.time.sleeps().size() == 1);
  CHECK(f.time.sleeps()[0] == 1100ms);  // 1 s plus the limiter's margin
  CHECK(c.metrics().rate_limit_waits["user_patch"] == 1);
}

TEST_CASE("Client applies configured rate limits", "[feishu][client]")
{
  Fixture f;
  f.config.rate_limits["user_get"] = {{2, std::chrono::seconds(10)}};
  f.transport->set_handler([](const HttpRequest&) { return ok(json::Value::object({{"user", user_json("ou_1")}})); });
  Client& c = f.make();
  for (int i = 0; i < 5; ++i) {
    c.get_user("ou_1");
  }
  // Five gets at 2 per 10 s (held 10.25 s): the 3rd waits for the 1st to leave the window, the
  // 5th for the 3rd.
  CHECK(f.time.sleeps() == std::vector<std::chrono::nanoseconds>{10250ms, 10250ms});
}

TEST_CASE("Client rejects an unknown rate-limit name in its config", "[feishu][client]")
{
  Fixture f;
  f.config.rate_limits["users_get"] = {{2, std::chrono::seconds(1)}};
  CHECK_THROWS_AS(f.make(), ConfigError);
}

TEST_CASE("Client keeps at most max_in_flight requests on the wire", "[feishu][client]")
{
  Fixture f;
  f.config.max_in_flight = 2;
  constexpr int k_requests = 6;
  std::mutex mutex;
  std::condition_variable changed;
  int inside = 0;
  int started = 0;
  int most = 0;
  f.transport->set_handler([&](const HttpRequest&) {
    std::unique_lock lock(mutex);
    ++inside;
    ++started;
    most = std::max(most, inside);
    changed.notify_all();
    // Stay on the wire until a second request joins (or none can come), so a limit of 1 would
    // show as a timeout here and no limit as more than 2 inside.
    changed.wait_for(lock, 5s, [&] { return inside >= 2 || started == k_requests; });
    --inside;
    changed.notify_all();
    return ok(json::Value::object({{"user", user_json("ou_1")}}));
  });
  f.transport->push(ok(json::Value::object({{"user", user_json("ou_0")}})));
  Client& c = f.make();
  c.get_user("ou_0");  // a scripted answer: fetches the token, so the threads only race on the API
  std::vector<std::thread> threads;
  for (int i = 0; i < k_requests; ++i) {
    threads.emplace_back([&c] { c.get_user("ou_x"); });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(most == 2);
}

// --- Batches and paging ------------------------------------------------------------------------------

TEST_CASE("batch_get_users asks for 50 ids per request with repeated user_ids", "[feishu][client]")
{
  Fixture f;
  f.transport->set_handler([](const HttpRequest& r) {
    json::Value items = json::Value::array();
    for (auto& id : values_of(r, "user_ids")) {
      items.push_back(user_json(id));
    }
    return ok(json::Value::object({{"items", std::move(items)}}));
  });
  Client& c = f.make();
  std::vector<std::string> ids;
  for (int i = 0; i < 120; ++i) {
    ids.push_back("ou_" + std::to_string(i));
  }
  auto users = c.batch_get_users(ids);
  REQUIRE(users.size() == 120);
  CHECK(users[0].open_id == "ou_0");
  CHECK(users[119].open_id == "ou_119");
  auto api = f.transport->api_requests();
  REQUIRE(api.size() == 3);
  CHECK(path_of(api[0].target) == "/open-apis/contact/v3/users/batch");
  CHECK(values_of(api[0], "user_ids").size() == 50);
  CHECK(values_of(api[1], "user_ids").size() == 50);
  CHECK(values_of(api[2], "user_ids").size() == 20);
  CHECK(values_of(api[2], "user_ids").front() == "ou_100");
  CHECK(value_of(api[0], "user_id_type") == "open_id");
  CHECK(value_of(api[0], "department_id_type") == "open_department_id");
  CHECK(c.batch_get_users({}).empty());
  CHECK(f.transport->api_requests().size() == 3);
}

TEST_CASE("batch_get_user_ids sends at most 50 emails and 50 mobiles per request", "[feishu][client]")
{
  Fixture f;
  f.transport->set_handler([](const HttpRequest& r) {
    json::Value body = json::parse(r.body);
    json::Value list = json::Value::array();
    if (auto* emails = body.find("emails")) {
      for (auto& e : emails->as_array()) {
        list.push_back(json::Value::object({{"email", e.as_string()}, {"user_id", "ou_" + e.as_string()}}));
      }
    }
    if (auto* mobiles = body.find("mobiles")) {
      for (auto& m : mobiles->as_array()) {
        list.push_back(json::Value::object({{"mobile", m.as_string()}}));
      }
    }
    return ok(json::Value::object({{"user_list", std::move(list)}}));
  });
  Client& c = f.make();
  BatchIdQuery q;
  for (int i = 0; i < 120; ++i) {
    q.emails.push_back("p" + std::to_string(i) + "@x.com");
  }
  for (int i = 0; i < 30; ++i) {
    q.mobiles.push_back("+86130000000" + std::to_string(10 + i));
  }
  q.include_resigned = true;
  auto entries = c.batch_get_user_ids(q);
  CHECK(entries.size() == 150);
  auto api = f.transport->api_requests();
  REQUIRE(api.size() == 3);
  auto first = json::parse(api[0].body);
  CHECK(first.find("emails")->size() == 50);
  CHECK(first.find("mobiles")->size() == 30);
  CHECK(first.get_bool("include_resigned"));
  auto third = json::parse(api[2].body);
  CHECK(third.find("emails")->size() == 20);
  CHECK(third.find("mobiles") == nullptr);
  CHECK(api[0].method == "POST");
  CHECK(path_of(api[0].target) == "/open-apis/contact/v3/users/batch_get_id");
  CHECK(entries[0].user_id == "ou_p0@x.com");
  CHECK(entries[50].user_id.empty());  // a mobile nobody has
}

TEST_CASE("list_users_by_department pages through every page with the page token", "[feishu][client]")
{
  Fixture f;
  f.transport->push(ok(users_page({"ou_1", "ou_2"}, "tok-2")));
  f.transport->push(ok(users_page({"ou_3"}, "tok=3/")));
  f.transport->push(ok(users_page({"ou_4"}, "")));
  Client& c = f.make();
  std::vector<std::string> seen;
  int pages = 0;
  c.list_users_by_department("od-root", [&](std::vector<User>& page) {
    ++pages;
    for (auto& u : page) {
      seen.push_back(u.open_id);
    }
  });
  CHECK(pages == 3);
  CHECK(seen == std::vector<std::string>{"ou_1", "ou_2", "ou_3", "ou_4"});
  auto api = f.transport->api_requests();
  REQUIRE(api.size() == 3);
  CHECK(path_of(api[0].target) == "/open-apis/contact/v3/users/find_by_department");
  CHECK(value_of(api[0], "department_id") == "od-root");
  CHECK(value_of(api[0], "page_size") == "50");
  CHECK(value_of(api[0], "page_token") == "<absent>");
  CHECK(value_of(api[1], "page_token") == "tok-2");
  CHECK(value_of(api[2], "page_token") == "tok%3D3%2F");  // passed back unchanged, encoded
}

TEST_CASE("paging stops with the error when Feishu rejects a page token part-way", "[feishu][client]")
{
  Fixture f;
  f.transport->push(ok(users_page({"ou_1"}, "tok-2")));
  f.transport->push(failure(400, 40012, "page token invalid"));
  Client& c = f.make();
  std::vector<std::string> seen;
  try {
    c.list_users_by_department("0", [&](std::vector<User>& page) {
      for (auto& u : page) {
        seen.push_back(u.open_id);
      }
    });
    FAIL("no error");
  } catch (const ApiError& e) {
    CHECK(e.code() == 40012);
    CHECK_FALSE(e.retryable());
  }
  CHECK(seen == std::vector<std::string>{"ou_1"});
}

TEST_CASE("paging refuses has_more without a new page token instead of looping", "[feishu][client]")
{
  Fixture f;
  f.transport->push(ok(json::Value::object({{"items", json::Value::array()}, {"has_more", true}})));
  Client& c = f.make();
  CHECK_THROWS_AS(c.list_units([](std::vector<Unit>&) {}), ApiError);

  f.transport->push(ok(json::Value::object({{"unitlist", json::Value::array()}, {"has_more", true}, {"page_token", "a"}})));
  f.transport->push(ok(json::Value::object({{"unitlist", json::Value::array()}, {"has_more", true}, {"page_token", "a"}})));
  CHECK_THROWS_AS(c.list_units([](std::vector<Unit>&) {}), ApiError);
}

// --- The shape of every call -------------------------------------------------------------------------

TEST_CASE("every typed call uses its real method, path, query and body", "[feishu][client]")
{
  Fixture f;
  f.transport->set_handler([](const HttpRequest&) { return ok(); });
  Client& c = f.make();
  const auto last = [&] { return f.transport->requests().back(); };
  const auto check = [&](const std::string& method, const std::string& target, const std::string& body) {
    HttpRequest r = last();
    CHECK(r.method == method);
    CHECK(r.target == target);
    if (body.empty()) {
      CHECK(r.body.empty());
    } else {
      CHECK(json::parse(r.body) == json::parse(body));
    }
  };

  UserCreate u;
  u.name = "A";
  u.department_ids = {"od-1"};
  u.mobile = "+8613000000000";
  c.create_user(u, "ct-1");
  check("POST", "/open-apis/contact/v3/users?user_id_type=open_id&department_id_type=open_department_id&client_token=ct-1",
        R"({"name":"A","department_ids":["od-1"],"employee_type":1,"mobile":"+8613000000000"})");
  c.create_user(u, "", {UserIdType::user_id, DepartmentIdType::department_id});
  check("POST", "/open-apis/contact/v3/users?user_id_type=user_id&department_id_type=department_id",
        R"({"name":"A","department_ids":["od-1"],"employee_type":1,"mobile":"+8613000000000"})");

  UserPatch p;
  p.city = "杭州";
  c.patch_user("ou_1", p);
  check("PATCH", "/open-apis/contact/v3/users/ou_1?user_id_type=open_id&department_id_type=open_department_id",
        R"({"city":"杭州"})");
  c.patch_user("ou_1", p, {}, Auth::user("u-abc"));
  CHECK(auth_of(last()) == "Bearer u-abc");

  c.update_user_id("ou_1", "new id");
  check("PATCH", "/open-apis/contact/v3/users/ou_1/update_user_id?user_id_type=open_id", R"({"new_user_id":"new id"})");

  c.get_user("a/b");
  check("GET", "/open-apis/contact/v3/users/a%2Fb?user_id_type=open_id&department_id_type=open_department_id", "");

  UserDelete del;
  del.docs_acceptor_user_id = "ou_2";
  c.delete_user("ou_1", del);
  check("DELETE", "/open-apis/contact/v3/users/ou_1?user_id_type=open_id", R"({"docs_acceptor_user_id":"ou_2"})");

  UserResurrect res;
  res.departments = {{"od-1", 1, 2}};
  c.resurrect_user("ou_1", res);
  check("POST", "/open-apis/contact/v3/users/ou_1/resurrect?user_id_type=open_id&department_id_type=open_department_id",
        R"({"departments":[{"department_id":"od-1","user_order":1,"department_order":2}]})");

  c.search_users("u-tok", "张", [](std::vector<SearchUser>&) {});
  check("GET", "/open-apis/search/v1/user?query=%E5%BC%A0&page_size=200", "");
  CHECK(auth_of(last()) == "Bearer u-tok");

  c.get_current_user("u-tok");
  check("GET", "/open-apis/authen/v1/user_info", "");

  Logout out;
  out.user_id = "ou_1";
  c.logout(out);
  check("POST", "/open-apis/passport/v1/sessions/logout?user_id_type=open_id", R"({"logout_type":1,"user_id":"ou_1"})");

  c.get_jsapi_ticket();
  check("POST", "/open-apis/jssdk/ticket/get", "");

  c.list_job_titles([](std::vector<JobTitle>&) {});
  check("GET", "/open-apis/contact/v3/job_titles?page_size=50", "");
  c.get_job_title("jt1", Auth::user("u-x"));
  check("GET", "/open-apis/contact/v3/job_titles/jt1", "");
  CHECK(auth_of(last()) == "Bearer u-x");

  c.create_unit({"事业部A", "事业部", std::nullopt});
  check("POST", "/open-apis/contact/v3/unit", R"({"name":"事业部A","unit_type":"事业部"})");
  c.patch_unit("BU1", "新名");
  check("PATCH", "/open-apis/contact/v3/unit/BU1", R"({"name":"新名"})");
  c.bind_unit_department("BU1", "od-1");
  check("POST", "/open-apis/contact/v3/unit/bind_department",
        R"({"unit_id":"BU1","department_id":"od-1","department_id_type":"open_department_id"})");
  c.unbind_unit_department("BU1", "D1", DepartmentIdType::department_id);
  check("POST", "/open-apis/contact/v3/unit/unbind_department",
        R"({"unit_id":"BU1","department_id":"D1","department_id_type":"department_id"})");
  c.list_unit_departments("BU1", [](std::vector<UnitDepartment>&) {});
  check("GET", "/open-apis/contact/v3/unit/list_department?unit_id=BU1&department_id_type=open_department_id&page_size=100", "");
  c.get_unit("BU1");
  check("GET", "/open-apis/contact/v3/unit/BU1", "");
  c.list_units([](std::vector<Unit>&) {});
  check("GET", "/open-apis/contact/v3/unit?page_size=100", "");
  c.delete_unit("BU1");
  check("DELETE", "/open-apis/contact/v3/unit/BU1", "");

  c.list_department_children("0", true, [](std::vector<Department>&) {});
  check("GET", "/open-apis/contact/v3/departments/0/children?user_id_type=open_id&department_id_type=open_department_id&fetch_child=true&page_size=50", "");
  c.get_department("od-1");
  check("GET", "/open-apis/contact/v3/departments/od-1?user_id_type=open_id&department_id_type=open_department_id", "");
  DepartmentCreate d;
  d.name = "研发";
  c.create_department(d, "dct");
  check("POST", "/open-apis/contact/v3/departments?user_id_type=open_id&department_id_type=open_department_id&client_token=dct",
        R"({"name":"研发","parent_department_id":"0"})");

  // Every tenant-token request carried the tenant token and a JSON body had its content type.
  for (const auto& r : f.transport->api_requests()) {
    if (!r.body.empty()) {
      CHECK(*find_header(r.headers, "Content-Type") == "application/json; charset=utf-8");
    }
  }
}

TEST_CASE("typed calls decode their answers from the right keys", "[feishu][client]")
{
  Fixture f;
  Client& c = f.make();
  f.transport->push(ok(json::Value::object({{"unit", json::Value::object({{"unit_id", "BU1"}, {"name", "n"}, {"unit_type", "t"}})}})));
  CHECK(c.get_unit("BU1").name == "n");
  f.transport->push(ok(json::Value::object({{"unit_id", "BU9"}})));
  CHECK(c.create_unit({"n", "t", std::nullopt}) == "BU9");
  f.transport->push(ok(json::Value::object({{"unitlist", json::parse(R"([{"unit_id":"a"},{"unit_id":"b"}])")}, {"has_more", false}})));
  std::vector<Unit> units;
  c.list_units([&](std::vector<Unit>& page) { units.insert(units.end(), page.begin(), page.end()); });
  CHECK(units.size() == 2);
  f.transport->push(ok(json::Value::object({{"departmentlist", json::parse(R"([{"unit_id":"a","department_id":"od-1"}])")}, {"has_more", false}})));
  std::vector<UnitDepartment> uds;
  c.list_unit_departments("a", [&](std::vector<UnitDepartment>& page) { uds = page; });
  REQUIRE(uds.size() == 1);
  CHECK(uds[0].department_id == "od-1");
  f.transport->push(ok(json::Value::object({{"job_title", json::parse(R"({"job_title_id":"j","status":true})")}})));
  CHECK(c.get_job_title("j").status);
  f.transport->push(ok(json::Value::object({{"users", json::parse(R"([{"open_id":"ou_s"}])")}, {"has_more", false}})));
  std::vector<SearchUser> found;
  c.search_users("u-t", "x", [&](std::vector<SearchUser>& page) { found = page; });
  REQUIRE(found.size() == 1);
  CHECK(found[0].open_id == "ou_s");
  f.transport->push(ok(json::Value::object({{"department", json::parse(R"({"open_department_id":"od-9","name":"D"})")}})));
  CHECK(c.get_department("od-9").name == "D");
  f.transport->push(ok(json::Value::object({{"ticket", "tk"}, {"expire_in", 7200}})));
  CHECK(c.get_jsapi_ticket().expire_in == 7200);
}

// --- Secrets ---------------------------------------------------------------------------------------

TEST_CASE("Client trace logs never show the app secret or a token", "[feishu][client]")
{
  std::ostringstream captured;
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(captured));
  logger->set_level(spdlog::level::trace);
  spdlog::set_default_logger(logger);

  Fixture f;
  f.transport->token_expire = 7200s;
  f.transport->push(failure(400, 99991663, "Invalid access token"));
  f.transport->push(ok(json::Value::object({{"ticket", "secret-ticket-value"}, {"expire_in", 7200}})));
  f.make().get_jsapi_ticket();

  spdlog::set_default_logger(previous);
  const std::string log = captured.str();
  CHECK(log.find("jssdk/ticket/get") != std::string::npos);  // it did trace
  CHECK(log.find("s3cret-app-secret") == std::string::npos);
  CHECK(log.find("t-fake-token") == std::string::npos);
  CHECK(log.find("secret-ticket-value") == std::string::npos);
}
