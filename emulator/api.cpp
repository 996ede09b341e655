#include "emulator/api.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ctime>

namespace dirsync::emulator {

namespace {

using namespace std::chrono_literals;

const std::vector<RateWindow> k_tier_default{{1000, 60s}, {50, 1s}}; // "1000/min + 50/s"
const std::vector<RateWindow> k_per_second_20{{20, 1s}};
const std::vector<RateWindow> k_per_minute_10{{10, 60s}};
const std::vector<RateWindow> k_per_second_1{{1, 1s}};
const std::vector<RateWindow> k_unlimited{};

const std::string k_json = "application/json; charset=utf-8";

std::vector<std::string> split_path(std::string_view path)
{
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    if (end > start) {
      out.emplace_back(path.substr(start, end - start));
    }
    start = end + 1;
  }
  return out;
}

HttpResponse json_response(int status, const json::Value& body)
{
  HttpResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

} // namespace

std::optional<std::string> try_percent_decode(std::string_view text, bool plus_is_space)
{
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) {
        return std::nullopt;
      }
      const auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') {
          return h - '0';
        }
        if (h >= 'a' && h <= 'f') {
          return h - 'a' + 10;
        }
        if (h >= 'A' && h <= 'F') {
          return h - 'A' + 10;
        }
        return -1;
      };
      const int hi = hex(text[i + 1]);
      const int lo = hex(text[i + 2]);
      if (hi < 0 || lo < 0) {
        return std::nullopt;
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query)
{
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t start = 0;
  while (start < query.size()) {
    auto end = query.find('&', start);
    if (end == std::string_view::npos) {
      end = query.size();
    }
    const auto part = query.substr(start, end - start);
    if (!part.empty()) {
      const auto eq = part.find('=');
      const auto name = try_percent_decode(part.substr(0, eq), true);
      const auto value =
        eq == std::string_view::npos ? std::optional<std::string>("") : try_percent_decode(part.substr(eq + 1), true);
      if (name && value) {
        out.emplace_back(*name, *value);
      }
    }
    start = end + 1;
  }
  return out;
}

std::string Api::Call::get(std::string_view name) const
{
  for (const auto& [k, v] : query) {
    if (k == name) {
      return v;
    }
  }
  return "";
}

std::vector<std::string> Api::Call::all(std::string_view name) const
{
  std::vector<std::string> out;
  for (const auto& [k, v] : query) {
    if (k == name) {
      out.push_back(v);
    }
  }
  return out;
}

Api::Api(Options options, const json::Value& seed)
  : m_options(std::move(options)),
    m_tenant(Tenant::Options{m_options.token_ttl, m_options.random_seed, m_options.wall_clock,
                             m_options.fetch_child_limit}),
    m_limiter(m_options.rate_limit_scale),
    m_fault_random(m_options.random_seed ^ 0x5eed5eed5eed5eedULL)
{
  if (!m_options.steady_clock) {
    m_options.steady_clock = [] { return RateLimiter::Clock::now(); };
  }
  m_tenant.load_seed(seed);
  add_routes();
}

std::uint64_t Api::generation()
{
  std::lock_guard lock(m_mutex);
  return m_tenant.generation();
}

json::Value Api::state()
{
  std::lock_guard lock(m_mutex);
  return m_tenant.state();
}

void Api::route(std::string method, std::string pattern, Auth auth, std::vector<RateWindow> limits,
                std::function<json::Value(Api&, Call&)> run)
{
  Route r;
  r.method = std::move(method);
  r.segments = split_path(pattern);
  r.endpoint = r.method + " " + pattern;
  r.auth = auth;
  r.limits = std::move(limits);
  r.run = std::move(run);
  m_routes.push_back(std::move(r));
}

void Api::add_routes()
{
  const std::string c = "/open-apis/contact/v3";
  // Literal paths come before the parameterized ones they would otherwise match.
  route("GET", c + "/users/batch", Auth::tenant_or_user, k_tier_default, [](Api& api, Call& call) {
    return api.m_tenant.batch_get_users(call.caller, call.all("user_ids"), call.types);
  });
  route("GET", c + "/users/find_by_department", Auth::tenant_or_user, k_tier_default, [](Api& api, Call& call) {
    return api.m_tenant.find_users_by_department(call.caller, call.get("department_id"), call.types, call.page());
  });
  route("POST", c + "/users/batch_get_id", Auth::tenant, k_tier_default, [](Api& api, Call& call) {
    return api.m_tenant.batch_get_user_ids(call.caller, call.body, call.types);
  });
  route("POST", c + "/users", Auth::tenant, k_tier_default, [](Api& api, Call& call) {
    return api.m_tenant.create_user(call.caller, call.body, call.types, call.get("client_token"));
  });
  route("PATCH", c + "/users/:user_id/update_user_id", Auth::tenant, k_per_second_20, [](Api& api, Call& call) {
    return api.m_tenant.update_user_id(call.caller, call.param(0), call.body, call.types);
  });
  route("POST", c + "/users/:user_id/resurrect", Auth::tenant, k_per_minute_10, [](Api& api, Call& call) {
    return api.m_tenant.resurrect_user(call.caller, call.param(0), call.body, call.types);
  });
  route("PATCH", c + "/users/:user_id", Auth::tenant_or_user, k_tier_default, [](Api& api, Call& call) {
    return api.m_tenant.patch_user(call.caller, call.param(0), call.body, call.types);
  });
  route("PUT", c + "/users/:user_id", Auth::tenant, k_tier_default, [](Api& api, Call& call) {
    return api.m_tenant.update_user(call.caller, call.param(0), call.body, call.types);
  });
  route("GET", c + "/users/:user_id", Auth::tenant_or_user, k_tier_default, [](Api& api, Call& call) {
    return api.m_tenant.get_user(call.caller, call.param(0), call.types);
  });
  route("DELETE", c + "/users/:user_id", Auth::tenant, k_tier_default, [](Api& api, Call& call) {
    return api.m_tenant.delete_user(call.caller, call.param(0), call.body, call.types);
  });

  route("GET", c + "/departments/:department_id/children", Auth::tenant_or_user, k_tier_default,
        [](Api& api, Call& call) {
          const auto fetch = call.get("fetch_child");
          if (!fetch.empty() && fetch != "true" && fetch != "false") {
            throw ApiFailure(400, 40001, "invalid param: fetch_child must be true or false");
          }
          return api.m_tenant.department_children(call.caller, call.param(0), call.types, fetch == "true",
                                                  call.page());
        });
  route("POST", c + "/departments", Auth::tenant, k_tier_default, [](Api& api, Call& call) {
    return api.m_tenant.create_department(call.caller, call.body, call.types, call.get("client_token"));
  });
  route("GET", c + "/departments/:department_id", Auth::tenant_or_user, k_tier_default, [](Api& api, Call& call) {
    return api.m_tenant.get_department(call.caller, call.param(0), call.types);
  });
  route("PATCH", c + "/departments/:department_id", Auth::tenant, k_tier_default, [](Api& api, Call& call) {
    return api.m_tenant.patch_department(call.caller, call.param(0), call.body, call.types);
  });
  route("DELETE", c + "/departments/:department_id", Auth::tenant, k_tier_default, [](Api& api, Call& call) {
    return api.m_tenant.delete_department(call.caller, call.param(0), call.types);
  });

  route("GET", c + "/job_titles", Auth::tenant_or_user, k_per_minute_10,
        [](Api& api, Call& call) { return api.m_tenant.list_job_titles(call.caller, call.page()); });
  route("GET", c + "/job_titles/:job_title_id", Auth::tenant_or_user, k_per_minute_10,
        [](Api& api, Call& call) { return api.m_tenant.get_job_title(call.caller, call.param(0)); });

  route("POST", c + "/unit/bind_department", Auth::tenant, k_per_second_20,
        [](Api& api, Call& call) { return api.m_tenant.bind_unit_department(call.caller, call.body, true); });
  route("POST", c + "/unit/unbind_department", Auth::tenant, k_per_second_20,
        [](Api& api, Call& call) { return api.m_tenant.bind_unit_department(call.caller, call.body, false); });
  route("GET", c + "/unit/list_department", Auth::tenant, k_tier_default, [](Api& api, Call& call) {
    const auto unit_id = call.get("unit_id");
    if (unit_id.empty()) {
      throw ApiFailure(400, 40001, "invalid param: unit_id is required");
    }
    return api.m_tenant.list_unit_departments(call.caller, unit_id, call.types.department, call.page());
  });
  route("POST", c + "/unit", Auth::tenant, k_per_second_20,
        [](Api& api, Call& call) { return api.m_tenant.create_unit(call.caller, call.body); });
  route("GET", c + "/unit", Auth::tenant, k_tier_default,
        [](Api& api, Call& call) { return api.m_tenant.list_units(call.caller, call.page()); });
  route("PATCH", c + "/unit/:unit_id", Auth::tenant, k_per_second_20,
        [](Api& api, Call& call) { return api.m_tenant.patch_unit(call.caller, call.param(0), call.body); });
  route("GET", c + "/unit/:unit_id", Auth::tenant, k_tier_default,
        [](Api& api, Call& call) { return api.m_tenant.get_unit(call.caller, call.param(0)); });
  route("DELETE", c + "/unit/:unit_id", Auth::tenant, k_per_second_20,
        [](Api& api, Call& call) { return api.m_tenant.delete_unit(call.caller, call.param(0)); });

  route("GET", "/open-apis/search/v1/user", Auth::user, k_unlimited, [](Api& api, Call& call) {
    return api.m_tenant.search_users(call.caller, call.get("query"), call.page());
  });
  route("GET", "/open-apis/authen/v1/user_info", Auth::user, k_unlimited,
        [](Api& api, Call& call) { return api.m_tenant.user_info(call.caller); });
  route("POST", "/open-apis/passport/v1/sessions/logout", Auth::tenant, k_unlimited,
        [](Api& api, Call& call) { return api.m_tenant.logout(call.caller, call.body, call.types); });
  route("POST", "/open-apis/jssdk/ticket/get", Auth::tenant, k_unlimited,
        [](Api& api, Call& call) { return api.m_tenant.jssdk_ticket(call.caller); });
}

std::string Api::new_log_id()
{
  const std::time_t t = static_cast<std::time_t>(m_tenant.now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[16];
  std::strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
  const auto h = hash64(std::to_string(++m_log_counter), m_options.random_seed);
  return fmt::format("{}{:016X}{:04X}", stamp, h, m_log_counter & 0xffff);
}

void Api::count(const std::string& endpoint, const std::string& outcome)
{
  ++m_stats[endpoint][outcome];
}

HttpResponse Api::error_response(int http_status, long long code, const std::string& msg, const std::string& log_id,
                                 bool with_data)
{
  json::Value body = json::Value::object({{"code", code}, {"msg", msg}});
  if (with_data) {
    body.set("data", json::Value::object());
  }
  body.set("error",
           json::Value::object(
             {{"log_id", log_id},
              {"troubleshooter",
               fmt::format("排查建议查看(Troubleshooting suggestions): https://open.feishu.cn/search?from=openapi&log_id={}&code={}&method_id=0&lang=zh-CN",
                           log_id, code)}}));
  return json_response(http_status, body);
}

HttpResponse Api::handle(const HttpRequest& request)
{
  std::lock_guard lock(m_mutex);
  const std::string log_id = new_log_id();
  if (request.path.starts_with("/_emulator/")) {
    auto response = handle_control(request);
    response.headers.emplace_back("X-Tt-Logid", log_id);
    return response;
  }
  HttpResponse response;

  // Faults first: they stand for failures between the client and the service.
  const bool is_api = request.path.starts_with("/open-apis/");
  enum class Fault { none, fail, drop_before, drop_after } fault = Fault::none;
  if (is_api && (m_options.fail_rate > 0 || m_options.drop_rate > 0)) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const double draw = unit(m_fault_random);
    const double half = unit(m_fault_random);
    if (draw < m_options.drop_rate) {
      // Half of the dropped requests were carried out before the connection went: the client
      // cannot know which, exactly as with a real network.
      fault = half < 0.5 ? Fault::drop_before : Fault::drop_after;
    } else if (draw < m_options.drop_rate + m_options.fail_rate) {
      fault = Fault::fail;
    }
  }

  if (fault == Fault::fail) {
    std::uniform_int_distribution<int> pick(0, 2);
    switch (pick(m_fault_random)) {
    case 0:
      response = error_response(500, 40003, "internal error", log_id);
      break;
    case 1:
      response.status = 502;
      response.content_type = "text/html";
      response.body = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad "
                      "Gateway</h1></center>\r\n</body>\r\n</html>\r\n";
      break;
    default:
      response = error_response(503, 5000, "internal error, please try again later", log_id);
      break;
    }
    count("faults", std::to_string(response.status));
  } else if (fault == Fault::drop_before) {
    response.drop = true;
    count("faults", "dropped");
  } else {
    response = handle_open_api(request, log_id);
    if (fault == Fault::drop_after) {
      response.drop = true;
      count("faults", "dropped");
    }
  }
  response.headers.emplace_back("X-Tt-Logid", log_id);
  response.headers.emplace_back("X-Request-Id", log_id);
  if (is_api) {
    response.delay = m_options.latency;
  }
  return response;
}

HttpResponse Api::handle_open_api(const HttpRequest& request, const std::string& log_id)
{
  if (request.path == "/open-apis/auth/v3/tenant_access_token/internal" && request.method == "POST") {
    auto r = handle_token(request, false);
    count("POST /open-apis/auth/v3/tenant_access_token/internal", std::to_string(r.status));
    return r;
  }
  if (request.path == "/open-apis/auth/v3/app_access_token/internal" && request.method == "POST") {
    auto r = handle_token(request, true);
    count("POST /open-apis/auth/v3/app_access_token/internal", std::to_string(r.status));
    return r;
  }

  // Match the route: decode each path segment, then compare with the patterns.
  std::vector<std::string> segments;
  for (const auto& raw : split_path(request.path)) {
    auto decoded = try_percent_decode(raw, false);
    segments.push_back(decoded ? *decoded : raw);
  }
  const Route* found = nullptr;
  bool path_known = false;
  std::vector<std::string> params;
  for (const auto& r : m_routes) {
    if (r.segments.size() != segments.size()) {
      continue;
    }
    std::vector<std::string> p;
    bool match = true;
    for (std::size_t i = 0; i < segments.size() && match; ++i) {
      if (r.segments[i].starts_with(':')) {
        p.push_back(segments[i]);
      } else {
        match = r.segments[i] == segments[i];
      }
    }
    if (!match) {
      continue;
    }
    path_known = true;
    if (r.method == request.method) {
      found = &r;
      params = std::move(p);
      break;
    }
  }
  if (found == nullptr) {
    count("unmatched", path_known ? "400" : "404");
    if (path_known) {
      return error_response(400, 99991301, "request method doesn't match", log_id);
    }
    return error_response(404, 99991201, "resource not find", log_id);
  }

  const auto fail_with = [&](int status, long long code, const std::string& msg, bool with_data = false) {
    count(found->endpoint, std::to_string(status));
    return error_response(status, code, msg, log_id, with_data);
  };

  // Authentication.
  Call call;
  if (found->auth != Auth::none) {
    const std::string& header = request.authorization;
    if (header.size() <= 7 || !(header.starts_with("Bearer ") || header.starts_with("bearer "))) {
      return fail_with(400, 99991661, "Missing access token for authorization. Please make a request with token attached.",
                       true);
    }
    try {
      call.caller = m_tenant.authenticate(std::string_view(header).substr(7));
    } catch (const ApiFailure& e) {
      return fail_with(e.http_status(), e.code(), e.msg());
    }
    const bool user = call.caller.kind == TokenKind::user;
    if (call.caller.kind == TokenKind::app) {
      return fail_with(400, 99991663, "Invalid access token for authorization. Please make a request with token attached.");
    }
    if (user && found->auth == Auth::tenant) {
      return fail_with(400, 99991668, "user access token not support");
    }
    if (!user && found->auth == Auth::user) {
      return fail_with(400, 99991663, "tenant access token not support");
    }
  }

  // Rate limits, per app and endpoint.
  const auto now = m_options.steady_clock();
  if (auto refused = m_limiter.try_acquire(call.caller.app_id + "|" + found->endpoint, found->limits, now)) {
    auto r = fail_with(429, 99991400, "request trigger frequency limit");
    r.headers.emplace_back("x-ogw-ratelimit-limit", std::to_string(refused->limit));
    r.headers.emplace_back("x-ogw-ratelimit-reset", std::to_string(refused->reset_seconds));
    return r;
  }

  try {
    call.params = std::move(params);
    call.query = parse_query(request.query);
    call.types.user = parse_user_id_type(call.get("user_id_type"));
    call.types.department = parse_department_id_type(call.get("department_id_type"));
    if (!request.body.empty()) {
      try {
        call.body = json::parse(request.body);
      } catch (const json::JsonError& e) {
        return fail_with(400, 40001, std::string("invalid param: the body is not valid JSON: ") + e.what());
      }
    }
    // A patch that moves a person or freezes them is limited to 1 per second on top.
    if (found->endpoint == "PATCH /open-apis/contact/v3/users/:user_id" &&
        (call.body.contains("department_ids") || call.body.contains("is_frozen"))) {
      if (auto refused = m_limiter.try_acquire(call.caller.app_id + "|users.patch.departments_or_frozen",
                                               k_per_second_1, now)) {
        auto r = fail_with(429, 99991400, "request trigger frequency limit");
        r.headers.emplace_back("x-ogw-ratelimit-limit", std::to_string(refused->limit));
        r.headers.emplace_back("x-ogw-ratelimit-reset", std::to_string(refused->reset_seconds));
        return r;
      }
    }
    json::Value data = found->run(*this, call);
    count(found->endpoint, "200");
    // Built member by member: an initializer list would copy `data`, which can be 50 users.
    json::Object envelope;
    envelope.emplace_back("code", 0);
    envelope.emplace_back("msg", "success");
    envelope.emplace_back("data", std::move(data));
    return json_response(200, json::Value(std::move(envelope)));
  } catch (const ApiFailure& e) {
    // Failures answered with HTTP 200 (authen user_info) keep the plain envelope.
    if (e.http_status() == 200) {
      count(found->endpoint, "200");
      return json_response(200, json::Value::object({{"code", e.code()}, {"msg", e.msg()}, {"data", json::Value::object()}}));
    }
    return fail_with(e.http_status(), e.code(), e.msg());
  } catch (const json::JsonError& e) {
    // A body member of an unexpected shape that no check above caught.
    return fail_with(400, 40001, std::string("invalid param: ") + e.what());
  } catch (const std::exception& e) {
    spdlog::error("{} {}: {}", request.method, request.path, e.what());
    return fail_with(500, 40003, "internal error");
  }
}

HttpResponse Api::handle_token(const HttpRequest& request, bool app)
{
  json::Value body;
  try {
    body = json::parse(request.body);
  } catch (const json::JsonError&) {
    body = json::Value();
  }
  try {
    if (app) {
      const auto [app_grant, tenant_grant] = m_tenant.issue_app_token(body);
      return json_response(200, json::Value::object({{"code", 0},
                                                     {"msg", "ok"},
                                                     {"app_access_token", app_grant.token},
                                                     {"expire", app_grant.expire},
                                                     {"tenant_access_token", tenant_grant.token}}));
    }
    const auto grant = m_tenant.issue_tenant_token(body);
    return json_response(
      200, json::Value::object({{"code", 0}, {"msg", "ok"}, {"tenant_access_token", grant.token}, {"expire", grant.expire}}));
  } catch (const ApiFailure& e) {
    json::Value out = json::Value::object({{"code", e.code()}, {"msg", e.msg()}});
    if (e.code() == 10003) {
      out.set("data", json::Value::object());
    }
    return json_response(e.http_status(), out);
  }
}

HttpResponse Api::handle_control(const HttpRequest& request)
{
  const auto bad = [](const std::string& what) {
    return json_response(400, json::Value::object({{"error", what}}));
  };
  json::Value body;
  if (!request.body.empty()) {
    try {
      body = json::parse(request.body);
    } catch (const json::JsonError& e) {
      return bad(std::string("the body is not valid JSON: ") + e.what());
    }
  }
  const std::string& p = request.path;
  const std::string& m = request.method;
  try {
    if (p == "/_emulator/state" && m == "GET") {
      return json_response(200, m_tenant.state());
    }
    if (p == "/_emulator/stats" && m == "GET") {
      json::Value requests = json::Value::object();
      std::uint64_t total = 0;
      for (const auto& [endpoint, outcomes] : m_stats) {
        json::Value by = json::Value::object();
        for (const auto& [outcome, n] : outcomes) {
          by.set(outcome, static_cast<long long>(n));
          if (endpoint != "faults") {
            total += n;
          }
        }
        requests.set(endpoint, std::move(by));
      }
      return json_response(200, json::Value::object({{"total", static_cast<long long>(total)}, {"requests", requests}}));
    }
    if (p == "/_emulator/reset" && m == "POST") {
      m_tenant.reset();
      m_limiter.clear();
      m_stats.clear();
      return json_response(200, json::Value::object({{"ok", true}}));
    }
    if (p == "/_emulator/seed" && m == "POST") {
      m_tenant.load_seed(body);
      m_limiter.clear();
      m_stats.clear();
      return json_response(200, json::Value::object({{"ok", true}}));
    }
    if (p == "/_emulator/clock" && m == "POST") {
      const auto* advance = body.find("advance_seconds");
      if (advance == nullptr || !advance->is_integer()) {
        return bad("expected {\"advance_seconds\": N}");
      }
      m_tenant.advance_clock(advance->as_int());
      return json_response(200, json::Value::object({{"now", m_tenant.now()}, {"offset_seconds", m_tenant.clock_offset()}}));
    }
    if (p == "/_emulator/clock" && m == "GET") {
      return json_response(200, json::Value::object({{"now", m_tenant.now()}, {"offset_seconds", m_tenant.clock_offset()}}));
    }
    if (p == "/_emulator/user_token" && m == "POST") {
      const auto* user = body.find("user_id");
      if (user == nullptr || !user->is_string()) {
        return bad("expected {\"user_id\": \"...\"}");
      }
      const auto grant = m_tenant.issue_user_token(user->as_string(), body.get_string("app_id"));
      return json_response(200, json::Value::object({{"user_access_token", grant.token}, {"expire", grant.expire}}));
    }
  } catch (const InputError& e) {
    return bad(e.what());
  } catch (const ApiFailure& e) {
    return bad(e.msg());
  } catch (const json::JsonError& e) {
    return bad(e.what());
  }
  return json_response(404, json::Value::object({{"error", "no such control endpoint: " + m + " " + p}}));
}

} // namespace dirsync::emulator
