// The tenant's business rules (see tenant.hpp). This file: ids and tokens, lookups and contact scope, output
// (user and department objects as the API returns them), paging. Users are in tenant_users.cpp;
// departments, job titles and units in tenant_directory.cpp; seed loading and state() in
// tenant_seed.cpp; request-body helpers in body_fields.cpp.
//
// Users and departments are keyed by an internal number that never changes (user_id and
// department_id can). Hash indexes map every id kind to that key; uniqueness indexes hold active
// users only, so a resigned person's mobile, email and employee number are free for others.
// Department listings are ordered sets of keys, which makes keyset paging O(log n) per page.
#include "emulator/tenant.hpp"

#include "emulator/body_fields.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <deque>

namespace dirsync::emulator {


ApiFailure::ApiFailure(int http_status, long long code, std::string msg)
  : Error(fmt::format("HTTP {} code {}: {}", http_status, code, msg)),
    m_http_status(http_status),
    m_code(code),
    m_msg(std::move(msg))
{
}

UserIdType parse_user_id_type(std::string_view value)
{
  if (value.empty() || value == "open_id") {
    return UserIdType::open_id;
  }
  if (value == "union_id") {
    return UserIdType::union_id;
  }
  if (value == "user_id") {
    return UserIdType::user_id;
  }
  bad_param(fmt::format("user_id_type must be open_id, union_id or user_id (got \"{}\")", value));
}

DepartmentIdType parse_department_id_type(std::string_view value)
{
  if (value.empty() || value == "open_department_id") {
    return DepartmentIdType::open_department_id;
  }
  if (value == "department_id") {
    return DepartmentIdType::department_id;
  }
  bad_param(fmt::format("department_id_type must be open_department_id or department_id (got \"{}\")", value));
}

std::string normalize_mobile(std::string_view mobile)
{
  std::string m(mobile);
  m.erase(std::remove_if(m.begin(), m.end(), [](char c) { return c == ' ' || c == '-'; }), m.end());
  if (m.empty() || m.front() == '+') {
    return m;
  }
  if (m.size() == 11 && m.front() == '1') {
    return "+86" + m;
  }
  return m;
}

Tenant::Tenant(Options options)
  : m_options(std::move(options)),
    m_page_tokens(hash64("page-tokens", m_options.random_seed)),
    m_random(m_options.random_seed)
{
  if (!m_options.wall_clock) {
    m_options.wall_clock = [] {
      return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
    };
  }
  clear_data();
  m_seed = json::Value::object();
}

std::int64_t Tenant::now() const
{
  return m_options.wall_clock() + m_clock_offset;
}

void Tenant::advance_clock(std::int64_t seconds)
{
  m_clock_offset += seconds;
  touch();
}

void Tenant::reset()
{
  json::Value seed = m_seed;
  load_seed(seed);
}

void Tenant::load_seed(const json::Value& seed)
{
  // Load into a scratch tenant first, so a bad seed leaves this one untouched. Tokens belong to
  // the auth service, not the directory: they survive (a token of an app the new seed lacks is
  // refused when used).
  Tenant scratch(m_options);
  scratch.load_seed_into(seed);
  scratch.m_random = m_random;
  scratch.m_tokens = std::move(m_tokens);
  scratch.m_current_token = std::move(m_current_token);
  scratch.m_generation = m_generation;
  *this = std::move(scratch);
  m_seed = seed;
  touch();
}

// ------------------------------------------------------------------------------------------------
// Ids and tokens

std::string Tenant::generate_hex(std::string_view kind, std::uint64_t n, std::size_t length) const
{
  std::string out;
  std::uint64_t round = 0;
  while (out.size() < length) {
    const auto h = hash64(fmt::format("{}:{}:{}", kind, n, round++), m_options.random_seed);
    out += fmt::format("{:016x}", h);
  }
  out.resize(length);
  return out;
}

std::string Tenant::random_token(std::string_view prefix)
{
  static constexpr std::string_view k_chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out(prefix);
  std::uniform_int_distribution<std::size_t> pick(0, k_chars.size() - 1);
  for (int i = 0; i < 40; ++i) {
    out += k_chars[pick(m_random)];
  }
  return out;
}

TokenGrant Tenant::grant(TokenKind kind, const std::string& app_id, std::uint64_t user)
{
  const std::int64_t t = now();
  const std::int64_t ttl = m_options.token_ttl;
  // The real service hands back the same token while more than 30 minutes (a quarter of its
  // 2-hour lifetime) remain, and a new one after that; the old one stays valid until it expires.
  const std::int64_t renew_below = std::min<std::int64_t>(1800, ttl / 4);
  if (kind != TokenKind::user) {
    const auto current = m_current_token.find({app_id, static_cast<int>(kind)});
    if (current != m_current_token.end()) {
      const auto it = m_tokens.find(current->second);
      if (it != m_tokens.end() && it->second.expires_at - t > renew_below) {
        return TokenGrant{it->first, it->second.expires_at - t};
      }
    }
  }
  // Forget long-expired tokens now and then, so the table does not grow without bound.
  if (m_tokens.size() > 10000) {
    std::erase_if(m_tokens, [t](const auto& entry) { return entry.second.expires_at < t; });
  }
  const std::string token = random_token(kind == TokenKind::user ? "u-" : "t-");
  m_tokens[token] = Token{kind, app_id, user, t + ttl};
  if (kind != TokenKind::user) {
    m_current_token[{app_id, static_cast<int>(kind)}] = token;
  }
  return TokenGrant{token, ttl};
}

namespace {

struct AppCredentials
{
  std::string app_id, app_secret;
};

AppCredentials read_credentials(const json::Value& body)
{
  // Any malformed body (not an object, missing or non-string fields) is 10003, HTTP 200.
  if (!body.is_object()) {
    fail(200, 10003, "invalid param");
  }
  const auto* id = body.find("app_id");
  const auto* secret = body.find("app_secret");
  if (id == nullptr || secret == nullptr || !id->is_string() || !secret->is_string() || id->as_string().empty() ||
      secret->as_string().empty()) {
    fail(200, 10003, "invalid param");
  }
  return {id->as_string(), secret->as_string()};
}

} // namespace

TokenGrant Tenant::issue_tenant_token(const json::Value& body)
{
  const auto creds = read_credentials(body);
  const auto app = std::find_if(m_apps.begin(), m_apps.end(), [&](const App& a) { return a.app_id == creds.app_id; });
  if (app == m_apps.end()) {
    fail(200, 10014, "app id not exists");
  }
  if (app->app_secret != creds.app_secret) {
    fail(200, 10015, "app secret invalid");
  }
  return grant(TokenKind::tenant, app->app_id, 0);
}

std::pair<TokenGrant, TokenGrant> Tenant::issue_app_token(const json::Value& body)
{
  auto tenant = issue_tenant_token(body);
  auto app = grant(TokenKind::app, read_credentials(body).app_id, 0);
  return {app, tenant};
}

TokenGrant Tenant::issue_user_token(std::string_view user_id, std::string_view app_id)
{
  if (m_apps.empty()) {
    fail(400, 40001, "the tenant has no app");
  }
  const App* app = &m_apps.front();
  if (!app_id.empty()) {
    const auto it = std::find_if(m_apps.begin(), m_apps.end(), [&](const App& a) { return a.app_id == app_id; });
    if (it == m_apps.end()) {
      fail(400, 40001, fmt::format("no app \"{}\"", app_id));
    }
    app = &*it;
  }
  const auto key = find_user(user_id, UserIdType::user_id);
  if (!key) {
    fail(400, 40001, fmt::format("no user with user_id \"{}\"", user_id));
  }
  return grant(TokenKind::user, app->app_id, *key);
}

Caller Tenant::authenticate(std::string_view token) const
{
  const bool user_token = token.starts_with("u-");
  if (!token.starts_with("t-") && !user_token) {
    fail(400, 99991671, "Invalid token: must start with t-/u-");
  }
  const auto it = m_tokens.find(std::string(token));
  if (it == m_tokens.end() || it->second.expires_at <= now()) {
    if (user_token) {
      if (it != m_tokens.end()) {
        fail(400, 99991677, "token expire");
      }
      fail(400, 99991668, "Invalid access token for authorization. Please make a request with token attached.");
    }
    fail(400, 99991663, "Invalid access token for authorization. Please make a request with token attached.");
  }
  return Caller{it->second.app_id, it->second.kind, it->second.user};
}

// ------------------------------------------------------------------------------------------------
// Lookups and scope

const Tenant::App& Tenant::app_of(const Caller& caller) const
{
  for (const auto& app : m_apps) {
    if (app.app_id == caller.app_id) {
      return app;
    }
  }
  // The app was removed by a new seed while its token lived on.
  fail(400, 99991663, "Invalid access token for authorization. Please make a request with token attached.");
}

std::optional<std::uint64_t> Tenant::find_user(std::string_view id, UserIdType type) const
{
  const std::string key(id);
  const std::unordered_map<std::string, std::uint64_t>* index = nullptr;
  switch (type) {
  case UserIdType::open_id:
    index = &m_user_by_open_id;
    break;
  case UserIdType::union_id:
    index = &m_user_by_union_id;
    break;
  case UserIdType::user_id: {
    if (const auto it = m_active_by_user_id.find(key); it != m_active_by_user_id.end()) {
      return it->second;
    }
    index = &m_resigned_by_user_id;
    break;
  }
  }
  if (const auto it = index->find(key); it != index->end()) {
    return it->second;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> Tenant::find_department(std::string_view id, DepartmentIdType type) const
{
  if (id == "0") {
    return 0;
  }
  const auto& index = type == DepartmentIdType::department_id ? m_department_by_id : m_department_by_open_id;
  if (const auto it = index.find(std::string(id)); it != index.end()) {
    return it->second;
  }
  return std::nullopt;
}

bool Tenant::department_visible(const App& app, std::uint64_t key) const
{
  if (app.whole_tenant) {
    return true;
  }
  while (key != 0) {
    if (app.scope_keys.contains(key)) {
      return true;
    }
    const auto it = m_departments.find(key);
    if (it == m_departments.end()) {
      return false;
    }
    key = it->second.parent;
  }
  return false;
}

bool Tenant::user_visible(const App& app, const User& user) const
{
  if (app.whole_tenant) {
    return true;
  }
  if (user.resigned_at) {
    return std::any_of(user.last_departments.begin(), user.last_departments.end(),
                       [&](std::uint64_t d) { return department_visible(app, d); });
  }
  return std::any_of(user.memberships.begin(), user.memberships.end(),
                     [&](const Membership& m) { return department_visible(app, m.department); });
}

std::uint64_t Tenant::require_visible_user(const Caller& caller, std::string_view id, UserIdType type) const
{
  const auto key = find_user(id, type);
  // The real service cannot tell "no such user" from "not yours" without leaking; both are 41050.
  if (!key || !user_visible(app_of(caller), m_users.at(*key))) {
    fail(400, 41050, "no user authority error");
  }
  return *key;
}

std::uint64_t Tenant::require_visible_department(const Caller& caller, std::string_view id, DepartmentIdType type,
                                                 int missing_http, long long missing_code) const
{
  const auto key = find_department(id, type);
  if (!key) {
    fail(missing_http, missing_code,
         missing_code == 40015 ? "department not exist" : fmt::format("department id {} is not exist", id));
  }
  if (!department_visible(app_of(caller), *key)) {
    fail(403, 40004, "no dept authority error");
  }
  return *key;
}

// ------------------------------------------------------------------------------------------------
// Output

std::string Tenant::user_ref(std::uint64_t key, UserIdType type) const
{
  const auto it = m_users.find(key);
  if (key == 0 || it == m_users.end()) {
    return "";
  }
  switch (type) {
  case UserIdType::open_id:
    return it->second.open_id;
  case UserIdType::union_id:
    return it->second.union_id;
  case UserIdType::user_id:
    return it->second.user_id;
  }
  return "";
}

std::string Tenant::department_ref(std::uint64_t key, DepartmentIdType type) const
{
  if (key == 0) {
    return "0";
  }
  const auto& d = m_departments.at(key);
  return type == DepartmentIdType::department_id ? d.department_id : d.open_department_id;
}

json::Value Tenant::user_json(const User& u, IdTypes types) const
{
  const bool resigned = u.resigned_at.has_value();
  const std::string avatar_base = "https://s1-imfile.feishucdn.com/static-resource/v1/v2_" + u.open_id.substr(3) + "~";
  json::Object avatar{{"avatar_72", avatar_base + "?image_size=72x72"},
                      {"avatar_240", avatar_base + "?image_size=240x240"},
                      {"avatar_640", avatar_base + "?image_size=640x640"},
                      {"avatar_origin", avatar_base + "?image_size=noop"}};
  json::Object status{{"is_frozen", u.is_frozen},
                      {"is_resigned", resigned},
                      {"is_activated", !resigned},
                      {"is_exited", false},
                      {"is_unjoin", false}};
  json::Array departments;
  json::Array orders;
  for (const auto& m : u.memberships) {
    departments.emplace_back(department_ref(m.department, types.department));
    orders.emplace_back(json::Object{{"department_id", department_ref(m.department, types.department)},
                                     {"user_order", m.user_order},
                                     {"department_order", m.department_order},
                                     {"is_primary_dept", m.is_primary}});
  }
  json::Array dotted;
  for (const auto leader : u.dotted_line_leaders) {
    dotted.emplace_back(user_ref(leader, types.user));
  }
  json::Object o;
  o.reserve(40);
  o.emplace_back("union_id", u.union_id);
  o.emplace_back("user_id", u.user_id);
  o.emplace_back("open_id", u.open_id);
  o.emplace_back("name", u.name);
  o.emplace_back("en_name", u.en_name);
  o.emplace_back("nickname", u.nickname);
  o.emplace_back("email", u.email);
  o.emplace_back("mobile", u.mobile);
  o.emplace_back("mobile_visible", u.mobile_visible);
  o.emplace_back("gender", u.gender);
  o.emplace_back("avatar", json::Value(std::move(avatar)));
  o.emplace_back("status", json::Value(std::move(status)));
  o.emplace_back("department_ids", json::Value(std::move(departments)));
  o.emplace_back("leader_user_id", user_ref(u.leader, types.user));
  o.emplace_back("city", u.city);
  o.emplace_back("country", u.country);
  o.emplace_back("work_station", u.work_station);
  o.emplace_back("join_time", u.join_time);
  o.emplace_back("is_tenant_manager", u.is_tenant_manager);
  o.emplace_back("employee_no", u.employee_no);
  o.emplace_back("employee_type", u.employee_type);
  o.emplace_back("orders", json::Value(std::move(orders)));
  o.emplace_back("custom_attrs", u.custom_attrs.is_array() ? u.custom_attrs : json::Value::array());
  o.emplace_back("enterprise_email", u.enterprise_email);
  o.emplace_back("job_title", u.job_title);
  o.emplace_back("job_level_id", u.job_level_id);
  o.emplace_back("job_family_id", u.job_family_id);
  o.emplace_back("dotted_line_leader_user_ids", json::Value(std::move(dotted)));
  if (!u.geo.empty()) {
    o.emplace_back("geo", u.geo);
  }
  return json::Value(std::move(o));
}

json::Value Tenant::department_json(const Department& d, IdTypes types) const
{
  // member_count covers the department and its sub-departments; a person listed in two of them
  // counts twice here (the real service counts people).
  std::int64_t member_count = 0;
  std::deque<std::uint64_t> todo{d.key};
  while (!todo.empty()) {
    const auto& current = m_departments.at(todo.front());
    todo.pop_front();
    member_count += static_cast<std::int64_t>(current.members.size());
    todo.insert(todo.end(), current.children.begin(), current.children.end());
  }
  std::int64_t primary = 0;
  for (const auto key : d.members) {
    for (const auto& m : m_users.at(key).memberships) {
      if (m.department == d.key && m.is_primary) {
        ++primary;
      }
    }
  }
  json::Array unit_ids;
  if (const auto it = m_unit_of_department.find(d.key); it != m_unit_of_department.end()) {
    unit_ids.emplace_back(it->second);
  }
  json::Array leaders;
  const std::string leader = user_ref(d.leader, types.user);
  if (!leader.empty()) {
    leaders.emplace_back(json::Object{{"leaderType", 1}, {"leaderID", leader}});
  }
  json::Value i18n = d.i18n_name.is_object() ? d.i18n_name
                                             : json::Value(json::Object{{"zh_cn", ""}, {"ja_jp", ""}, {"en_us", ""}});
  json::Object o;
  o.reserve(16);
  o.emplace_back("name", d.name);
  o.emplace_back("i18n_name", std::move(i18n));
  o.emplace_back("parent_department_id", d.key == 0 ? std::string() : department_ref(d.parent, types.department));
  o.emplace_back("department_id", d.department_id);
  o.emplace_back("open_department_id", d.open_department_id);
  o.emplace_back("leader_user_id", leader);
  o.emplace_back("chat_id", "");
  o.emplace_back("order", d.order);
  o.emplace_back("unit_ids", json::Value(std::move(unit_ids)));
  o.emplace_back("member_count", member_count);
  o.emplace_back("primary_member_count", primary);
  o.emplace_back("status", json::Value(json::Object{{"is_deleted", false}}));
  o.emplace_back("leaders", json::Value(std::move(leaders)));
  o.emplace_back("department_hrbps", json::Value::array());
  return json::Value(std::move(o));
}

json::Value Tenant::job_title_json(const std::string& id, const JobTitle& t) const
{
  return json::Value::object({{"job_title_id", id},
                              {"name", t.name},
                              {"i18n_name", t.i18n_name.is_array() ? t.i18n_name : json::Value::array()},
                              {"status", t.status}});
}

// ------------------------------------------------------------------------------------------------
// Paging

std::size_t Tenant::page_size(const PageRequest& page, std::size_t fallback, std::size_t max) const
{
  if (page.page_size.empty()) {
    return fallback;
  }
  std::int64_t n = 0;
  const auto* end = page.page_size.data() + page.page_size.size();
  const auto [ptr, ec] = std::from_chars(page.page_size.data(), end, n);
  if (ec != std::errc() || ptr != end || n < 1 || static_cast<std::size_t>(n) > max) {
    fail(400, 40011, fmt::format("page size is invalid: must be between 1 and {}", max));
  }
  return static_cast<std::size_t>(n);
}

std::optional<std::string> Tenant::find_page_cursor(std::string_view context, const PageRequest& page) const
{
  if (page.page_token.empty()) {
    return std::nullopt;
  }
  auto cursor = m_page_tokens.try_open(context, page.page_token);
  if (!cursor) {
    fail(400, 40012, "page token is invalid");
  }
  return cursor;
}

} // namespace dirsync::emulator
