#include "emulator/tenant.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <charconv>
#include <deque>

namespace dirsync::emulator {

namespace {

constexpr std::int64_t k_resurrect_window = 30 * 24 * 3600;
constexpr std::size_t k_max_departments_per_user = 50;
constexpr std::size_t k_max_batch = 50;

[[noreturn]] void fail(int http, long long code, std::string msg)
{
  throw ApiFailure(http, code, std::move(msg));
}

[[noreturn]] void bad_param(const std::string& what)
{
  fail(400, 40001, "invalid param: " + what);
}

// Body accessors that answer 40001 when a field has the wrong JSON type.
const json::Value* field(const json::Value& body, std::string_view key)
{
  const json::Value* v = body.find(key);
  return (v == nullptr || v->is_null()) ? nullptr : v;
}

std::optional<std::string> opt_string(const json::Value& body, std::string_view key)
{
  const auto* v = field(body, key);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (!v->is_string()) {
    bad_param(fmt::format("{} must be a string", key));
  }
  return v->as_string();
}

std::optional<std::int64_t> opt_int(const json::Value& body, std::string_view key)
{
  const auto* v = field(body, key);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (!v->is_number()) {
    bad_param(fmt::format("{} must be a number", key));
  }
  try {
    return v->as_int();
  } catch (const json::JsonError&) {
    bad_param(fmt::format("{} must be an integer", key));
  }
}

std::optional<bool> opt_bool(const json::Value& body, std::string_view key)
{
  const auto* v = field(body, key);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (!v->is_bool()) {
    bad_param(fmt::format("{} must be a boolean", key));
  }
  return v->as_bool();
}

std::optional<std::vector<std::string>> opt_strings(const json::Value& body, std::string_view key)
{
  const auto* v = field(body, key);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (!v->is_array()) {
    bad_param(fmt::format("{} must be an array of strings", key));
  }
  std::vector<std::string> out;
  for (const auto& item : v->as_array()) {
    if (!item.is_string()) {
      bad_param(fmt::format("{} must be an array of strings", key));
    }
    out.push_back(item.as_string());
  }
  return out;
}

void require_object_body(const json::Value& body)
{
  if (!body.is_object()) {
    bad_param("the body must be a JSON object");
  }
}

std::size_t utf8_length(std::string_view s)
{
  std::size_t n = 0;
  for (const char c : s) {
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) {
      ++n;
    }
  }
  return n;
}

std::string lower(std::string_view s)
{
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

bool valid_email(std::string_view email)
{
  const auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 || email.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  const auto dot = email.find('.', at);
  if (dot == std::string_view::npos || dot == at + 1 || dot + 1 >= email.size()) {
    return false;
  }
  return std::none_of(email.begin(), email.end(), [](char c) { return c == ' ' || c == '\t'; });
}

bool valid_mobile(std::string_view mobile)
{
  std::string_view digits = mobile;
  if (!digits.empty() && digits.front() == '+') {
    digits.remove_prefix(1);
  }
  if (digits.size() < 5 || digits.size() > 15) {
    return false;
  }
  return std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The canonical text of a JSON value (object keys sorted), for comparing requests.
std::string canonical(const json::Value& v)
{
  if (v.is_object()) {
    std::vector<std::pair<std::string, std::string>> members;
    for (const auto& [k, m] : v.as_object()) {
      members.emplace_back(k, canonical(m));
    }
    std::sort(members.begin(), members.end());
    std::string out = "{";
    for (const auto& [k, m] : members) {
      json::append_quoted(out, k);
      out += ':';
      out += m;
      out += ',';
    }
    return out + "}";
  }
  if (v.is_array()) {
    std::string out = "[";
    for (const auto& item : v.as_array()) {
      out += canonical(item);
      out += ',';
    }
    return out + "]";
  }
  return v.dump();
}

std::string order_key(const std::string& order)
{
  // Orders are strings holding non-negative integers; compare them numerically.
  std::string digits = order;
  digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size()));
  return std::string(20 - std::min<std::size_t>(20, digits.size()), '0') + digits;
}

} // namespace

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
  const std::string avatar_base =
    fmt::format("https://s1-imfile.feishucdn.com/static-resource/v1/v2_{}~", generate_hex("avatar", u.key, 32));
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

std::optional<std::string> Tenant::page_cursor(std::string_view context, const PageRequest& page) const
{
  if (page.page_token.empty()) {
    return std::nullopt;
  }
  auto cursor = m_page_tokens.open(context, page.page_token);
  if (!cursor) {
    fail(400, 40012, "page token is invalid");
  }
  return cursor;
}

namespace {

std::uint64_t cursor_number(const std::string& cursor)
{
  std::uint64_t n = 0;
  std::from_chars(cursor.data(), cursor.data() + cursor.size(), n);
  return n;
}

} // namespace

// ------------------------------------------------------------------------------------------------
// Users: writes

std::uint64_t Tenant::add_user(User user)
{
  const std::uint64_t key = m_next_user_key++;
  user.key = key;
  if (user.open_id.empty()) {
    for (std::uint64_t attempt = 0; user.open_id.empty() || m_user_by_open_id.contains(user.open_id); ++attempt) {
      user.open_id = "ou_" + generate_hex("open_id", key * 1000 + attempt, 32);
    }
  }
  if (user.union_id.empty()) {
    for (std::uint64_t attempt = 0; user.union_id.empty() || m_user_by_union_id.contains(user.union_id);
         ++attempt) {
      user.union_id = "on_" + generate_hex("union_id", key * 1000 + attempt, 32);
    }
  }
  if (user.user_id.empty()) {
    for (std::uint64_t attempt = 0; user.user_id.empty() || find_user(user.user_id, UserIdType::user_id);
         ++attempt) {
      user.user_id = generate_hex("user_id", key * 1000 + attempt, 8);
    }
  }
  auto memberships = std::move(user.memberships);
  user.memberships.clear();
  auto& stored = m_users.emplace(key, std::move(user)).first->second;
  m_user_by_open_id[stored.open_id] = key;
  m_user_by_union_id[stored.union_id] = key;
  if (stored.resigned_at) {
    m_resigned_by_user_id[stored.user_id] = key;
    if (!stored.mobile.empty()) {
      m_resigned_by_mobile[normalize_mobile(stored.mobile)] = key;
    }
    if (!stored.email.empty()) {
      m_resigned_by_email[lower(stored.email)] = key;
    }
  } else {
    index_user(stored);
    set_memberships(stored, std::move(memberships));
  }
  touch();
  return key;
}

void Tenant::index_user(const User& u)
{
  m_active_by_user_id[u.user_id] = u.key;
  if (!u.mobile.empty()) {
    m_active_by_mobile[normalize_mobile(u.mobile)] = u.key;
  }
  if (!u.email.empty()) {
    m_active_by_email[lower(u.email)] = u.key;
  }
  if (!u.employee_no.empty()) {
    m_active_by_employee_no[u.employee_no] = u.key;
  }
}

void Tenant::unindex_user(const User& u)
{
  const auto erase_if_mine = [&u](auto& index, const std::string& value) {
    const auto it = index.find(value);
    if (it != index.end() && it->second == u.key) {
      index.erase(it);
    }
  };
  erase_if_mine(m_active_by_user_id, u.user_id);
  erase_if_mine(m_active_by_mobile, normalize_mobile(u.mobile));
  erase_if_mine(m_active_by_email, lower(u.email));
  erase_if_mine(m_active_by_employee_no, u.employee_no);
}

void Tenant::set_memberships(User& user, std::vector<Membership> memberships)
{
  for (const auto& m : user.memberships) {
    m_departments.at(m.department).members.erase(user.key);
  }
  user.memberships = std::move(memberships);
  for (const auto& m : user.memberships) {
    m_departments.at(m.department).members.insert(user.key);
  }
}

void Tenant::check_user_conflicts(const User& u, std::uint64_t self) const
{
  const auto holder = [self](const auto& index, const std::string& value) -> std::uint64_t {
    if (value.empty()) {
      return 0;
    }
    const auto it = index.find(value);
    return (it == index.end() || it->second == self) ? 0 : it->second;
  };
  const auto by_mobile = holder(m_active_by_mobile, u.mobile.empty() ? "" : normalize_mobile(u.mobile));
  const auto by_email = holder(m_active_by_email, lower(u.email));
  if (by_mobile != 0 && by_email != 0) {
    if (by_mobile == by_email && self == 0) {
      fail(409, 41053, "user already exists");
    }
    if (by_mobile != by_email) {
      fail(409, 41003, "user account conflict: the mobile and the email belong to two different users");
    }
  }
  if (by_mobile != 0) {
    fail(400, 41001, "mobile already exists");
  }
  if (by_email != 0) {
    fail(400, 41002, "email already exists");
  }
  if (holder(m_active_by_user_id, u.user_id) != 0) {
    fail(400, 41011, "user_id already exists");
  }
  if (holder(m_active_by_employee_no, u.employee_no) != 0) {
    fail(400, 44051, "employee_no already exists");
  }
}

// Reads the user fields present in `body` into `u`, validating each as the real service does.
// On create every required field must be present; on patch only what is sent changes.
void Tenant::apply_user_fields(User& u, const json::Value& body, IdTypes types, const Caller& caller, bool creating)
{
  const App& app = app_of(caller);
  const auto text = [&](std::string_view key, std::string& target, std::size_t max, long long too_long) {
    if (auto v = opt_string(body, key)) {
      if (utf8_length(*v) > max) {
        fail(400, too_long, fmt::format("{} is longer than {} characters", key, max));
      }
      target = *v;
    }
  };

  if (auto name = opt_string(body, "name")) {
    if (name->empty()) {
      fail(400, 41040, "name is empty");
    }
    if (utf8_length(*name) > 255) {
      fail(400, 41070, "name is longer than 255 characters");
    }
    u.name = *name;
  } else if (creating) {
    fail(400, 41006, "name is required");
  }
  text("en_name", u.en_name, 255, 41071);
  text("nickname", u.nickname, 255, 41072);
  text("city", u.city, 100, 40001);
  text("country", u.country, 100, 40001);
  text("work_station", u.work_station, 255, 40001);
  text("employee_no", u.employee_no, 255, 40001);
  text("job_title", u.job_title, 255, 40001);
  text("job_level_id", u.job_level_id, 255, 40001);
  text("job_family_id", u.job_family_id, 255, 40001);
  text("enterprise_email", u.enterprise_email, 255, 40001);
  text("avatar_key", u.avatar_key, 255, 40001);
  if (creating) {
    text("geo", u.geo, 255, 40001);
  }

  if (auto email = opt_string(body, "email")) {
    if (!email->empty() && !valid_email(*email)) {
      fail(400, 41005, fmt::format("email \"{}\" is invalid", *email));
    }
    u.email = *email;
  }
  if (auto mobile = opt_string(body, "mobile")) {
    if (!mobile->empty() && !valid_mobile(*mobile)) {
      fail(400, 41004, fmt::format("mobile \"{}\" is invalid", *mobile));
    }
    u.mobile = mobile->empty() ? "" : normalize_mobile(*mobile);
  }
  if (u.mobile.empty() && u.email.empty()) {
    fail(400, 41009, "email and mobile cannot both be empty");
  }
  if (!u.mobile.empty() && !u.mobile.starts_with("+86") && u.email.empty()) {
    fail(400, 41009, "an email is required with a mobile outside +86");
  }
  if (auto v = opt_bool(body, "mobile_visible")) {
    u.mobile_visible = *v;
  }
  if (auto gender = opt_int(body, "gender")) {
    if (*gender < 0 || *gender > 3) {
      fail(400, 41038, "gender is invalid");
    }
    u.gender = *gender;
  }
  if (auto type = opt_int(body, "employee_type")) {
    if (*type < 1 || *type > 5) {
      fail(400, 41059, "employee_type is invalid");
    }
    u.employee_type = *type;
  } else if (creating) {
    bad_param("employee_type is required");
  }
  if (auto join = opt_int(body, "join_time")) {
    u.join_time = *join;
  }
  if (auto frozen = opt_bool(body, "is_frozen")) {
    if (*frozen && u.is_tenant_manager) {
      fail(400, 44036, "the tenant founder cannot be frozen");
    }
    u.is_frozen = *frozen;
  }
  if (const auto* attrs = field(body, "custom_attrs")) {
    if (!attrs->is_array()) {
      bad_param("custom_attrs must be an array");
    }
    u.custom_attrs = *attrs;
  }

  if (creating) {
    if (auto id = opt_string(body, "user_id")) {
      if (utf8_length(*id) > 64) {
        fail(400, 41043, "user_id is longer than 64 characters");
      }
      if (id->find_first_of(" \t\r\n") != std::string::npos || id->starts_with("ou_") || id->starts_with("on_")) {
        fail(400, 41012, fmt::format("user_id \"{}\" is invalid", *id));
      }
      u.user_id = *id;
    }
  }

  const auto resolve_leader = [&](const std::string& ref) -> std::uint64_t {
    if (ref.empty()) {
      return 0;
    }
    const auto key = find_user(ref, types.user);
    if (!key) {
      fail(400, 44022, fmt::format("leader {} is invalid", ref));
    }
    if ((u.key != 0 && *key == u.key) || (u.key == 0 && types.user == UserIdType::user_id && ref == u.user_id)) {
      fail(400, 41030, "a user cannot be their own leader");
    }
    if (m_users.at(*key).resigned_at) {
      fail(400, 44021, fmt::format("leader {} has resigned", ref));
    }
    return *key;
  };
  if (auto leader = opt_string(body, "leader_user_id")) {
    u.leader = resolve_leader(*leader);
  }
  if (auto dotted = opt_strings(body, "dotted_line_leader_user_ids")) {
    u.dotted_line_leaders.clear();
    for (const auto& ref : *dotted) {
      if (const auto key = resolve_leader(ref)) {
        u.dotted_line_leaders.push_back(key);
      }
    }
  }

  // Departments and orders.
  const auto department_ids = opt_strings(body, "department_ids");
  const json::Value* orders = field(body, "orders");
  if (creating && (!department_ids || department_ids->empty())) {
    fail(400, 41017, "department_ids is required");
  }
  if (!creating && orders != nullptr && !department_ids) {
    fail(400, 44002, "orders must be updated together with department_ids");
  }
  if (department_ids) {
    if (department_ids->empty()) {
      fail(400, 41041, "department_ids is empty");
    }
    if (department_ids->size() > k_max_departments_per_user) {
      fail(400, 41033, "a user can be in at most 50 departments");
    }
    std::vector<Membership> memberships;
    for (const auto& ref : *department_ids) {
      const auto key = find_department(ref, types.department);
      if (!key) {
        fail(400, 40015, fmt::format("department id {} is not exist", ref));
      }
      if (!department_visible(app, *key)) {
        fail(403, 40004, "no dept authority error");
      }
      if (std::none_of(memberships.begin(), memberships.end(), [&](const Membership& m) { return m.department == *key; })) {
        memberships.push_back(Membership{*key, 0, 0, false});
      }
    }
    for (std::size_t i = 0; i < memberships.size(); ++i) {
      memberships[i].department_order = static_cast<std::int64_t>(memberships.size() - i);
    }
    bool explicit_primary = false;
    if (orders != nullptr) {
      if (!orders->is_array()) {
        bad_param("orders must be an array");
      }
      for (const auto& order : orders->as_array()) {
        if (!order.is_object()) {
          bad_param("orders must hold objects");
        }
        const auto ref = opt_string(order, "department_id").value_or("");
        const auto key = find_department(ref, types.department);
        const auto it = std::find_if(memberships.begin(), memberships.end(),
                                     [&](const Membership& m) { return key && m.department == *key; });
        if (it == memberships.end()) {
          fail(400, 41025, fmt::format("orders: department {} is not in department_ids", ref));
        }
        it->user_order = opt_int(order, "user_order").value_or(0);
        it->department_order = opt_int(order, "department_order").value_or(0);
        if (opt_bool(order, "is_primary_dept").value_or(false)) {
          for (auto& m : memberships) {
            m.is_primary = false;
          }
          it->is_primary = true;
          explicit_primary = true;
        }
      }
    }
    if (!memberships.empty()) {
      auto largest = std::max_element(memberships.begin(), memberships.end(), [](const auto& a, const auto& b) {
        return a.department_order < b.department_order;
      });
      if (explicit_primary) {
        const auto primary = std::find_if(memberships.begin(), memberships.end(), [](const auto& m) { return m.is_primary; });
        if (primary->department_order < largest->department_order) {
          fail(400, 41410, "the primary department must have the largest department_order");
        }
      } else {
        largest->is_primary = true;
      }
    }
    // The caller moves the user between department listings when it commits the change.
    u.memberships = std::move(memberships);
  }
}

json::Value Tenant::create_user(const Caller& caller, const json::Value& body, IdTypes types,
                                std::string_view client_token)
{
  require_object_body(body);
  std::string fingerprint;
  if (!client_token.empty()) {
    fingerprint = fmt::format("{}|{}|{}", static_cast<int>(types.user), static_cast<int>(types.department),
                              canonical(body));
    const auto it = m_user_client_tokens.find(std::string(client_token));
    if (it != m_user_client_tokens.end()) {
      if (it->second.fingerprint != fingerprint) {
        fail(400, 40021, "no a same request error: the client_token was used with other parameters");
      }
      return json::Value::object({{"user", user_json(m_users.at(it->second.key), types)}});
    }
  }
  User u;
  u.join_time = now();
  apply_user_fields(u, body, types, caller, true);
  check_user_conflicts(u, 0);
  const auto key = add_user(std::move(u));
  if (!client_token.empty()) {
    m_user_client_tokens[std::string(client_token)] = Remembered{fingerprint, key};
  }
  return json::Value::object({{"user", user_json(m_users.at(key), types)}});
}

namespace {

// The fields a user_access_token may change on itself and on others.
bool user_token_may_patch(const json::Value& body)
{
  for (const auto& [key, value] : body.as_object()) {
    if (key != "name" && key != "en_name" && key != "avatar_key") {
      return false;
    }
  }
  return true;
}

} // namespace

json::Value Tenant::patch_user(const Caller& caller, std::string_view id, const json::Value& body, IdTypes types)
{
  require_object_body(body);
  const auto key = require_visible_user(caller, id, types.user);
  if (caller.kind == TokenKind::user && !user_token_may_patch(body)) {
    fail(403, 41056, "no field authority: a user_access_token may only change name, en_name and avatar_key");
  }
  if (field(body, "user_id") != nullptr) {
    bad_param("user_id cannot be patched; use update_user_id");
  }
  User& stored = m_users.at(key);
  if (stored.resigned_at) {
    fail(400, 42006, "user has resigned");
  }
  // Validate on a copy; commit only when all is well.
  User candidate = stored;
  apply_user_fields(candidate, body, types, caller, false);
  check_user_conflicts(candidate, key);
  unindex_user(stored);
  auto memberships = std::move(candidate.memberships);
  candidate.memberships = stored.memberships;
  stored = std::move(candidate);
  set_memberships(stored, std::move(memberships));
  index_user(stored);
  touch();
  return json::Value::object({{"user", user_json(stored, types)}});
}

json::Value Tenant::update_user(const Caller& caller, std::string_view id, const json::Value& body, IdTypes types)
{
  require_object_body(body);
  const auto key = require_visible_user(caller, id, types.user);
  User& stored = m_users.at(key);
  if (stored.resigned_at) {
    fail(400, 42006, "user has resigned");
  }
  // A full replace: start from a blank user that keeps only the identity.
  User candidate;
  candidate.key = key;
  candidate.user_id = stored.user_id;
  candidate.open_id = stored.open_id;
  candidate.union_id = stored.union_id;
  candidate.is_tenant_manager = stored.is_tenant_manager;
  candidate.join_time = stored.join_time;
  json::Value without_user_id = body;
  without_user_id.erase("user_id");
  apply_user_fields(candidate, without_user_id, types, caller, true);
  check_user_conflicts(candidate, key);
  unindex_user(stored);
  auto memberships = std::move(candidate.memberships);
  candidate.memberships = stored.memberships;
  stored = std::move(candidate);
  set_memberships(stored, std::move(memberships));
  index_user(stored);
  touch();
  return json::Value::object({{"user", user_json(stored, types)}});
}

json::Value Tenant::update_user_id(const Caller& caller, std::string_view id, const json::Value& body, IdTypes types)
{
  require_object_body(body);
  const auto key = require_visible_user(caller, id, types.user);
  const auto new_id = opt_string(body, "new_user_id").value_or("");
  if (new_id.empty()) {
    fail(400, 41054, "new_user_id is required");
  }
  if (utf8_length(new_id) > 64) {
    fail(400, 41043, "new_user_id is longer than 64 characters");
  }
  if (new_id.find_first_of(" \t\r\n") != std::string::npos) {
    fail(400, 41012, fmt::format("user_id \"{}\" is invalid", new_id));
  }
  User& u = m_users.at(key);
  if (new_id == u.user_id) {
    return json::Value::object();
  }
  if (m_active_by_user_id.contains(new_id)) {
    fail(400, 41011, "user_id already exists");
  }
  if (u.resigned_at) {
    if (const auto it = m_resigned_by_user_id.find(u.user_id); it != m_resigned_by_user_id.end() && it->second == key) {
      m_resigned_by_user_id.erase(it);
    }
    u.user_id = new_id;
    m_resigned_by_user_id[new_id] = key;
  } else {
    m_active_by_user_id.erase(u.user_id);
    u.user_id = new_id;
    m_active_by_user_id[new_id] = key;
  }
  touch();
  return json::Value::object();
}

// ------------------------------------------------------------------------------------------------
// Users: reads

json::Value Tenant::get_user(const Caller& caller, std::string_view id, IdTypes types) const
{
  const auto key = require_visible_user(caller, id, types.user);
  return json::Value::object({{"user", user_json(m_users.at(key), types)}});
}

json::Value Tenant::batch_get_users(const Caller& caller, const std::vector<std::string>& ids, IdTypes types) const
{
  if (ids.empty()) {
    bad_param("user_ids is required");
  }
  if (ids.size() > k_max_batch) {
    bad_param("user_ids holds more than 50 ids");
  }
  const App& app = app_of(caller);
  json::Array items;
  for (const auto& id : ids) {
    const auto key = find_user(id, types.user);
    if (key && user_visible(app, m_users.at(*key))) {
      items.push_back(user_json(m_users.at(*key), types));
    }
  }
  return json::Value::object({{"items", json::Value(std::move(items))}});
}

json::Value Tenant::find_users_by_department(const Caller& caller, std::string_view department_id, IdTypes types,
                                             const PageRequest& page) const
{
  if (department_id.empty()) {
    bad_param("department_id is required");
  }
  const auto key = require_visible_department(caller, department_id, types.department, 400, 40015);
  const auto size = page_size(page, 10, 50);
  const std::string context = fmt::format("users.find_by_department|{}", key);
  const auto cursor = page_cursor(context, page);
  const auto& members = m_departments.at(key).members;
  auto it = cursor ? members.upper_bound(cursor_number(*cursor)) : members.begin();
  json::Array items;
  std::uint64_t last = 0;
  for (; it != members.end() && items.size() < size; ++it) {
    items.push_back(user_json(m_users.at(*it), types));
    last = *it;
  }
  json::Value data = json::Value::object({{"has_more", it != members.end()}});
  if (it != members.end()) {
    data.set("page_token", m_page_tokens.seal(context, std::to_string(last)));
  }
  data.set("items", json::Value(std::move(items)));
  return data;
}

json::Value Tenant::batch_get_user_ids(const Caller& caller, const json::Value& body, IdTypes types) const
{
  require_object_body(body);
  const auto emails = opt_strings(body, "emails").value_or(std::vector<std::string>{});
  const auto mobiles = opt_strings(body, "mobiles").value_or(std::vector<std::string>{});
  const bool include_resigned = opt_bool(body, "include_resigned").value_or(false);
  if (emails.size() > k_max_batch || mobiles.size() > k_max_batch) {
    bad_param("emails and mobiles hold at most 50 entries each");
  }
  if (emails.empty() && mobiles.empty()) {
    bad_param("emails or mobiles is required");
  }
  const App& app = app_of(caller);
  json::Array list;
  const auto lookup = [&](const std::string& value, const std::string& normalized, std::string_view key,
                          const std::unordered_map<std::string, std::uint64_t>& active,
                          const std::unordered_map<std::string, std::uint64_t>& resigned) {
    std::optional<std::uint64_t> found;
    if (const auto it = active.find(normalized); it != active.end()) {
      found = it->second;
    } else if (include_resigned) {
      if (const auto r = resigned.find(normalized); r != resigned.end()) {
        found = r->second;
      }
    }
    json::Object entry;
    if (found && user_visible(app, m_users.at(*found))) {
      const User& u = m_users.at(*found);
      entry.emplace_back("user_id", user_ref(*found, types.user));
      entry.emplace_back(std::string(key), value);
      entry.emplace_back("status", json::Value::object({{"is_frozen", u.is_frozen},
                                                       {"is_resigned", u.resigned_at.has_value()},
                                                       {"is_activated", !u.resigned_at.has_value()},
                                                       {"is_exited", false},
                                                       {"is_unjoin", false}}));
    } else {
      entry.emplace_back(std::string(key), value);
    }
    list.emplace_back(std::move(entry));
  };
  for (const auto& email : emails) {
    lookup(email, lower(email), "email", m_active_by_email, m_resigned_by_email);
  }
  for (const auto& mobile : mobiles) {
    lookup(mobile, normalize_mobile(mobile), "mobile", m_active_by_mobile, m_resigned_by_mobile);
  }
  return json::Value::object({{"user_list", json::Value(std::move(list))}});
}

json::Value Tenant::search_users(const Caller& caller, std::string_view query, const PageRequest& page) const
{
  if (query.empty()) {
    bad_param("query is required");
  }
  const auto size = page_size(page, 20, 200);
  const std::string context = fmt::format("search.user|{}", query);
  const auto cursor = page_cursor(context, page);
  const App& app = app_of(caller);
  const std::string needle = lower(query);
  json::Array users;
  auto it = cursor ? m_users.upper_bound(cursor_number(*cursor)) : m_users.begin();
  std::uint64_t last = 0;
  bool more = false;
  for (; it != m_users.end(); ++it) {
    const User& u = it->second;
    if (u.resigned_at || !user_visible(app, u) ||
        (lower(u.name).find(needle) == std::string::npos && lower(u.en_name).find(needle) == std::string::npos)) {
      continue;
    }
    if (users.size() == size) {
      more = true;
      break;
    }
    json::Array departments;
    for (const auto& m : u.memberships) {
      departments.emplace_back(department_ref(m.department, DepartmentIdType::open_department_id));
    }
    const auto full = user_json(u, IdTypes{});
    users.emplace_back(json::Value::object({{"avatar", *full.find("avatar")},
                                            {"department_ids", json::Value(std::move(departments))},
                                            {"name", u.name},
                                            {"open_id", u.open_id},
                                            {"user_id", u.user_id}}));
    last = u.key;
  }
  json::Value data = json::Value::object({{"has_more", more}});
  if (more) {
    data.set("page_token", m_page_tokens.seal(context, std::to_string(last)));
  }
  data.set("users", json::Value(std::move(users)));
  return data;
}

json::Value Tenant::user_info(const Caller& caller) const
{
  const auto it = m_users.find(caller.user);
  if (it == m_users.end()) {
    fail(200, 20008, "user not exist");
  }
  const User& u = it->second;
  if (u.resigned_at) {
    fail(200, 20021, "user resigned");
  }
  if (u.is_frozen) {
    fail(200, 20022, "user frozen");
  }
  const auto full = user_json(u, IdTypes{});
  const auto& avatar = *full.find("avatar");
  return json::Value::object({{"name", u.name},
                              {"en_name", u.en_name},
                              {"avatar_url", avatar.get_string("avatar_72")},
                              {"avatar_thumb", avatar.get_string("avatar_72")},
                              {"avatar_middle", avatar.get_string("avatar_240")},
                              {"avatar_big", avatar.get_string("avatar_640")},
                              {"open_id", u.open_id},
                              {"union_id", u.union_id},
                              {"email", u.email},
                              {"enterprise_email", u.enterprise_email},
                              {"user_id", u.user_id},
                              {"mobile", u.mobile},
                              {"tenant_key", generate_hex("tenant_key", 0, 16)},
                              {"employee_no", u.employee_no}});
}

json::Value Tenant::logout(const Caller& caller, const json::Value& body, IdTypes types)
{
  if (!body.is_object()) {
    fail(400, 1080001, "param invalid");
  }
  const auto* type = field(body, "logout_type");
  if (type == nullptr || !type->is_integer() || type->as_int() < 1 || type->as_int() > 3) {
    fail(400, 1080001, "param invalid: logout_type must be 1, 2 or 3");
  }
  const auto* reason = field(body, "logout_reason");
  if (reason != nullptr && (!reason->is_integer() || reason->as_int() < 34 || reason->as_int() > 36)) {
    fail(400, 1084002, "logout_reason invalid");
  }
  const std::int64_t logout_type = type->as_int();
  if (logout_type == 1) {
    const auto* user = field(body, "user_id");
    if (user == nullptr || !user->is_string()) {
      fail(400, 1080001, "param invalid: user_id is required with logout_type 1");
    }
    const auto key = find_user(user->as_string(), types.user);
    if (!key || !user_visible(app_of(caller), m_users.at(*key))) {
      fail(400, 1080001, "param invalid: unknown user_id");
    }
    // Signing a person out ends their user tokens.
    std::erase_if(m_tokens, [&](const auto& entry) {
      return entry.second.kind == TokenKind::user && entry.second.user == *key;
    });
  } else if (logout_type == 2) {
    if (!opt_string(body, "idp_credential_id")) {
      fail(400, 1080001, "param invalid: idp_credential_id is required with logout_type 2");
    }
  } else if (!opt_string(body, "sid")) {
    fail(400, 1084001, "sid invalid");
  }
  return json::Value::object();
}

json::Value Tenant::jssdk_ticket(const Caller& caller)
{
  const auto grant_ = grant(TokenKind::tenant, caller.app_id, 0);
  return json::Value::object(
    {{"expire_in", 7200}, {"ticket", generate_hex("ticket:" + grant_.token, 0, 48)}});
}

// ------------------------------------------------------------------------------------------------
// Users: lifecycle

json::Value Tenant::delete_user(const Caller& caller, std::string_view id, const json::Value& body, IdTypes types)
{
  const auto key = find_user(id, types.user);
  if (!key || !user_visible(app_of(caller), m_users.at(*key))) {
    fail(403, 41050, "no user authority error");
  }
  User& u = m_users.at(*key);
  if (u.resigned_at) {
    fail(400, 42006, "user has resigned");
  }
  if (u.is_tenant_manager) {
    fail(400, 44037, "the tenant manager cannot be deleted");
  }
  const json::Value empty = json::Value::object();
  const json::Value& b = body.is_null() ? empty : body;
  if (!b.is_object()) {
    bad_param("the body must be a JSON object");
  }
  const auto check_acceptor = [&](std::string_view field_name, const std::string& ref) {
    const auto acceptor = find_user(ref, types.user);
    if (!acceptor || *acceptor == *key || m_users.at(*acceptor).resigned_at) {
      fail(400, 41052, fmt::format("{} {} is not a valid acceptor", field_name, ref));
    }
  };
  for (const std::string_view name :
       {"department_chat_acceptor_user_id", "external_chat_acceptor_user_id", "docs_acceptor_user_id",
        "calendar_acceptor_user_id", "application_acceptor_user_id", "minutes_acceptor_user_id",
        "survey_acceptor_user_id", "anycross_acceptor_user_id", "helpdesk_acceptor_user_id"}) {
    if (auto ref = opt_string(b, name); ref && !ref->empty()) {
      check_acceptor(name, *ref);
    }
  }
  if (const auto* mail = field(b, "email_acceptor")) {
    if (!mail->is_object()) {
      bad_param("email_acceptor must be an object");
    }
    const auto processing = opt_string(*mail, "processing_type").value_or("");
    if (processing != "1" && processing != "2" && processing != "3") {
      bad_param("email_acceptor.processing_type must be \"1\", \"2\" or \"3\"");
    }
    if (processing == "1") {
      check_acceptor("email_acceptor.acceptor_user_id", opt_string(*mail, "acceptor_user_id").value_or(""));
    }
  }

  unindex_user(u);
  u.last_departments.clear();
  for (const auto& m : u.memberships) {
    u.last_departments.push_back(m.department);
  }
  set_memberships(u, {});
  u.resigned_at = now();
  m_resigned_by_user_id[u.user_id] = u.key;
  if (!u.mobile.empty()) {
    m_resigned_by_mobile[normalize_mobile(u.mobile)] = u.key;
  }
  if (!u.email.empty()) {
    m_resigned_by_email[lower(u.email)] = u.key;
  }
  touch();
  return json::Value::object();
}

json::Value Tenant::resurrect_user(const Caller& caller, std::string_view id, const json::Value& body, IdTypes types)
{
  const auto key = require_visible_user(caller, id, types.user);
  User& u = m_users.at(key);
  if (!u.resigned_at) {
    fail(400, 44033, "user is not resigned");
  }
  if (now() - *u.resigned_at > k_resurrect_window) {
    fail(400, 44028, "user has passed the recoverable time");
  }
  const auto taken = [&](const auto& index, const std::string& value) {
    return !value.empty() && index.contains(value);
  };
  if (taken(m_active_by_mobile, u.mobile.empty() ? "" : normalize_mobile(u.mobile))) {
    fail(400, 44030, "the mobile is now used by another member");
  }
  if (taken(m_active_by_email, lower(u.email))) {
    fail(400, 44031, "the email is now used by another member");
  }
  if (taken(m_active_by_user_id, u.user_id)) {
    fail(400, 44032, "the user_id is now used by another member");
  }
  if (taken(m_active_by_employee_no, u.employee_no)) {
    fail(400, 44051, "employee_no already exists");
  }
  const json::Value empty = json::Value::object();
  const json::Value& b = body.is_null() ? empty : body;
  if (!b.is_object()) {
    bad_param("the body must be a JSON object");
  }
  std::vector<Membership> memberships;
  if (const auto* departments = field(b, "departments")) {
    if (!departments->is_array()) {
      bad_param("departments must be an array");
    }
    if (departments->size() > k_max_departments_per_user) {
      fail(400, 41033, "a user can be in at most 50 departments");
    }
    for (const auto& d : departments->as_array()) {
      if (!d.is_object()) {
        bad_param("departments must hold objects");
      }
      const auto ref = opt_string(d, "department_id");
      if (!ref) {
        bad_param("departments[].department_id is required");
      }
      const auto dept = require_visible_department(caller, *ref, types.department, 400, 40015);
      memberships.push_back(Membership{dept, opt_int(d, "user_order").value_or(0),
                                       opt_int(d, "department_order").value_or(0), false});
    }
  }
  if (memberships.empty()) {
    memberships.push_back(Membership{0, 0, 0, true});
  } else {
    std::max_element(memberships.begin(), memberships.end(), [](const auto& a, const auto& b2) {
      return a.department_order < b2.department_order;
    })->is_primary = true;
  }
  const auto erase_if_mine = [&u](auto& index, const std::string& value) {
    const auto it = index.find(value);
    if (it != index.end() && it->second == u.key) {
      index.erase(it);
    }
  };
  erase_if_mine(m_resigned_by_user_id, u.user_id);
  erase_if_mine(m_resigned_by_mobile, normalize_mobile(u.mobile));
  erase_if_mine(m_resigned_by_email, lower(u.email));
  u.resigned_at.reset();
  u.last_departments.clear();
  u.is_frozen = false;
  index_user(u);
  set_memberships(u, std::move(memberships));
  touch();
  return json::Value::object();
}

// ------------------------------------------------------------------------------------------------
// Departments

json::Value Tenant::department_children(const Caller& caller, std::string_view id, IdTypes types, bool fetch_child,
                                        const PageRequest& page) const
{
  const auto key = require_visible_department(caller, id, types.department, 400, 40015);
  const auto size = page_size(page, 10, 50);
  const std::string context = fmt::format("departments.children|{}|{}", key, fetch_child);
  const auto cursor = page_cursor(context, page);
  const auto sorted_children = [this](const Department& d) {
    std::vector<std::uint64_t> out(d.children.begin(), d.children.end());
    std::stable_sort(out.begin(), out.end(), [this](std::uint64_t a, std::uint64_t b) {
      return order_key(m_departments.at(a).order) < order_key(m_departments.at(b).order);
    });
    return out;
  };
  std::vector<std::uint64_t> listing;
  std::deque<std::uint64_t> todo{key};
  while (!todo.empty()) {
    const auto children = sorted_children(m_departments.at(todo.front()));
    todo.pop_front();
    listing.insert(listing.end(), children.begin(), children.end());
    if (fetch_child) {
      todo.insert(todo.end(), children.begin(), children.end());
    }
  }
  const std::size_t start = cursor ? cursor_number(*cursor) : 0;
  json::Array items;
  std::size_t i = start;
  for (; i < listing.size() && items.size() < size; ++i) {
    items.push_back(department_json(m_departments.at(listing[i]), types));
  }
  const bool more = i < listing.size();
  json::Value data = json::Value::object({{"has_more", more}});
  if (more) {
    data.set("page_token", m_page_tokens.seal(context, std::to_string(i)));
  }
  data.set("items", json::Value(std::move(items)));
  return data;
}

json::Value Tenant::get_department(const Caller& caller, std::string_view id, IdTypes types) const
{
  const auto key = require_visible_department(caller, id, types.department, 400, 40015);
  return json::Value::object({{"department", department_json(m_departments.at(key), types)}});
}

std::uint64_t Tenant::add_department(Department d)
{
  const std::uint64_t key = m_next_department_key++;
  d.key = key;
  if (d.open_department_id.empty()) {
    for (std::uint64_t attempt = 0;
         d.open_department_id.empty() || m_department_by_open_id.contains(d.open_department_id); ++attempt) {
      d.open_department_id = "od-" + generate_hex("open_department_id", key * 1000 + attempt, 32);
    }
  }
  if (d.department_id.empty()) {
    for (std::uint64_t attempt = 0; d.department_id.empty() || m_department_by_id.contains(d.department_id);
         ++attempt) {
      d.department_id = generate_hex("department_id", key * 1000 + attempt, 16);
    }
  }
  m_department_by_id[d.department_id] = key;
  m_department_by_open_id[d.open_department_id] = key;
  const auto parent = d.parent;
  m_departments.emplace(key, std::move(d));
  m_departments.at(parent).children.insert(key);
  touch();
  return key;
}

json::Value Tenant::create_department(const Caller& caller, const json::Value& body, IdTypes types,
                                      std::string_view client_token)
{
  require_object_body(body);
  std::string fingerprint;
  if (!client_token.empty()) {
    fingerprint = fmt::format("{}|{}|{}", static_cast<int>(types.user), static_cast<int>(types.department),
                              canonical(body));
    const auto it = m_department_client_tokens.find(std::string(client_token));
    if (it != m_department_client_tokens.end()) {
      if (it->second.fingerprint != fingerprint) {
        fail(400, 40021, "no a same request error: the client_token was used with other parameters");
      }
      if (m_departments.contains(it->second.key)) {
        return json::Value::object({{"department", department_json(m_departments.at(it->second.key), types)}});
      }
    }
  }
  Department d;
  d.name = opt_string(body, "name").value_or("");
  if (d.name.empty() || utf8_length(d.name) > 100) {
    bad_param("name is required (1 to 100 characters)");
  }
  const auto parent_ref = opt_string(body, "parent_department_id");
  if (!parent_ref) {
    bad_param("parent_department_id is required");
  }
  const auto parent = find_department(*parent_ref, types.department);
  if (!parent) {
    fail(400, 40015, "parent department not exist");
  }
  if (!department_visible(app_of(caller), *parent)) {
    fail(403, 40014, "no parent dept authority error");
  }
  d.parent = *parent;
  if (auto id = opt_string(body, "department_id"); id && !id->empty()) {
    if (id->starts_with("od-") || *id == "0" || utf8_length(*id) > 64) {
      bad_param(fmt::format("department_id \"{}\" is invalid", *id));
    }
    if (m_department_by_id.contains(*id)) {
      bad_param(fmt::format("department_id \"{}\" already exists", *id));
    }
    d.department_id = *id;
  }
  if (auto leader = opt_string(body, "leader_user_id"); leader && !leader->empty()) {
    const auto key = find_user(*leader, types.user);
    if (!key || m_users.at(*key).resigned_at) {
      bad_param(fmt::format("leader_user_id {} is invalid", *leader));
    }
    d.leader = *key;
  }
  d.order = opt_string(body, "order").value_or("0");
  if (const auto* i18n = field(body, "i18n_name")) {
    d.i18n_name = *i18n;
  }
  const auto key = add_department(std::move(d));
  if (!client_token.empty()) {
    m_department_client_tokens[std::string(client_token)] = Remembered{fingerprint, key};
  }
  return json::Value::object({{"department", department_json(m_departments.at(key), types)}});
}

json::Value Tenant::patch_department(const Caller& caller, std::string_view id, const json::Value& body,
                                     IdTypes types)
{
  require_object_body(body);
  const auto key = require_visible_department(caller, id, types.department, 400, 40015);
  if (key == 0) {
    bad_param("the root department cannot be changed");
  }
  Department& d = m_departments.at(key);
  std::optional<std::uint64_t> new_parent;
  if (auto parent_ref = opt_string(body, "parent_department_id")) {
    const auto parent = find_department(*parent_ref, types.department);
    if (!parent) {
      fail(400, 40015, "parent department not exist");
    }
    if (!department_visible(app_of(caller), *parent)) {
      fail(403, 40014, "no parent dept authority error");
    }
    for (auto p = *parent; p != 0; p = m_departments.at(p).parent) {
      if (p == key) {
        bad_param("a department cannot move under itself");
      }
    }
    new_parent = *parent;
  }
  std::optional<std::uint64_t> new_leader;
  if (auto leader = opt_string(body, "leader_user_id")) {
    new_leader = 0;
    if (!leader->empty()) {
      const auto user = find_user(*leader, types.user);
      if (!user || m_users.at(*user).resigned_at) {
        bad_param(fmt::format("leader_user_id {} is invalid", *leader));
      }
      new_leader = *user;
    }
  }
  if (auto name = opt_string(body, "name")) {
    if (name->empty() || utf8_length(*name) > 100) {
      bad_param("name must be 1 to 100 characters");
    }
    d.name = *name;
  }
  if (auto order = opt_string(body, "order")) {
    d.order = *order;
  }
  if (const auto* i18n = field(body, "i18n_name")) {
    d.i18n_name = *i18n;
  }
  if (new_leader) {
    d.leader = *new_leader;
  }
  if (new_parent && *new_parent != d.parent) {
    m_departments.at(d.parent).children.erase(key);
    d.parent = *new_parent;
    m_departments.at(d.parent).children.insert(key);
  }
  touch();
  return json::Value::object({{"department", department_json(d, types)}});
}

json::Value Tenant::delete_department(const Caller& caller, std::string_view id, IdTypes types)
{
  const auto key = require_visible_department(caller, id, types.department, 400, 40015);
  if (key == 0) {
    bad_param("the root department cannot be deleted");
  }
  const Department& d = m_departments.at(key);
  if (!d.children.empty() || !d.members.empty()) {
    bad_param("the department still has members or sub-departments");
  }
  if (const auto unit = m_unit_of_department.find(key); unit != m_unit_of_department.end()) {
    m_units.at(unit->second).departments.erase(key);
    m_unit_of_department.erase(unit);
  }
  m_departments.at(d.parent).children.erase(key);
  m_department_by_id.erase(d.department_id);
  m_department_by_open_id.erase(d.open_department_id);
  m_departments.erase(key);
  touch();
  return json::Value::object();
}

// ------------------------------------------------------------------------------------------------
// Job titles

json::Value Tenant::list_job_titles(const Caller& caller, const PageRequest& page) const
{
  (void)caller;
  const auto size = page_size(page, 10, 50);
  const auto cursor = page_cursor("job_titles", page);
  auto it = cursor ? m_job_titles.upper_bound(*cursor) : m_job_titles.begin();
  json::Array items;
  std::string last;
  for (; it != m_job_titles.end() && items.size() < size; ++it) {
    items.push_back(job_title_json(it->first, it->second));
    last = it->first;
  }
  json::Value data = json::Value::object({{"has_more", it != m_job_titles.end()}});
  if (it != m_job_titles.end()) {
    data.set("page_token", m_page_tokens.seal("job_titles", last));
  }
  data.set("items", json::Value(std::move(items)));
  return data;
}

json::Value Tenant::get_job_title(const Caller& caller, std::string_view id) const
{
  (void)caller;
  const auto it = m_job_titles.find(std::string(id));
  if (it == m_job_titles.end()) {
    bad_param(fmt::format("job_title_id {} does not exist", id));
  }
  return json::Value::object({{"job_title", job_title_json(it->first, it->second)}});
}

// ------------------------------------------------------------------------------------------------
// Units

namespace {

bool valid_unit_id(std::string_view id)
{
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  });
}

} // namespace

json::Value Tenant::create_unit(const Caller& caller, const json::Value& body)
{
  (void)caller;
  require_object_body(body);
  std::string id = opt_string(body, "unit_id").value_or("");
  const std::string name = opt_string(body, "name").value_or("");
  const std::string type = opt_string(body, "unit_type").value_or("");
  if (!id.empty() && !valid_unit_id(id)) {
    fail(400, 43051, "unit_id is invalid");
  }
  if (name.empty() || utf8_length(name) > 100) {
    fail(400, 43052, "unit name is invalid");
  }
  if (type.empty() || utf8_length(type) > 100) {
    fail(400, 43053, "unit type is invalid");
  }
  if (!id.empty() && m_units.contains(id)) {
    fail(400, 43056, "unit_id already exists");
  }
  for (const auto& [other_id, unit] : m_units) {
    if (unit.name == name && unit.unit_type == type) {
      fail(400, 43055, "a unit with this name and type already exists");
    }
  }
  if (m_units.size() >= 1000) {
    fail(400, 43059, "a tenant can have at most 1000 units");
  }
  for (std::uint64_t attempt = 0; id.empty() || m_units.contains(id); ++attempt) {
    id = generate_hex("unit_id", m_units.size() * 1000 + attempt, 16);
  }
  m_units.emplace(id, Unit{name, type, {}});
  touch();
  return json::Value::object({{"unit_id", id}});
}

json::Value Tenant::patch_unit(const Caller& caller, std::string_view id, const json::Value& body)
{
  (void)caller;
  require_object_body(body);
  const auto it = m_units.find(std::string(id));
  if (it == m_units.end()) {
    fail(400, 43051, "unit_id is invalid");
  }
  const std::string name = opt_string(body, "name").value_or("");
  if (name.empty() || utf8_length(name) > 100) {
    fail(400, 43052, "unit name is invalid");
  }
  for (const auto& [other_id, unit] : m_units) {
    if (other_id != it->first && unit.name == name && unit.unit_type == it->second.unit_type) {
      fail(400, 43055, "a unit with this name and type already exists");
    }
  }
  it->second.name = name;
  touch();
  return json::Value::object();
}

json::Value Tenant::bind_unit_department(const Caller& caller, const json::Value& body, bool bind)
{
  require_object_body(body);
  const std::string unit_id = opt_string(body, "unit_id").value_or("");
  const std::string department_id = opt_string(body, "department_id").value_or("");
  const auto type = parse_department_id_type(opt_string(body, "department_id_type").value_or(""));
  const auto unit = m_units.find(unit_id);
  if (unit == m_units.end()) {
    fail(400, 43051, "unit_id is invalid");
  }
  const auto key = find_department(department_id, type);
  if (!key || *key == 0) {
    fail(400, 43058, "department_id is invalid");
  }
  if (!department_visible(app_of(caller), *key)) {
    fail(403, 40004, "no dept authority error");
  }
  const auto bound = m_unit_of_department.find(*key);
  if (bind) {
    if (bound != m_unit_of_department.end() && bound->second != unit_id) {
      fail(400, 43054, "the department is already bound to another unit");
    }
    m_unit_of_department[*key] = unit_id;
    unit->second.departments.insert(*key);
  } else {
    if (bound == m_unit_of_department.end() || bound->second != unit_id) {
      fail(400, 43058, "the department is not bound to this unit");
    }
    m_unit_of_department.erase(bound);
    unit->second.departments.erase(*key);
  }
  touch();
  return json::Value::object();
}

json::Value Tenant::list_unit_departments(const Caller& caller, std::string_view unit_id, DepartmentIdType type,
                                          const PageRequest& page) const
{
  const auto unit = m_units.find(std::string(unit_id));
  if (unit == m_units.end()) {
    fail(400, 43051, "unit_id is invalid");
  }
  const auto size = page_size(page, 50, 100);
  const std::string context = fmt::format("unit.list_department|{}", unit_id);
  const auto cursor = page_cursor(context, page);
  const App& app = app_of(caller);
  const auto& departments = unit->second.departments;
  auto it = cursor ? departments.upper_bound(cursor_number(*cursor)) : departments.begin();
  json::Array list;
  std::uint64_t last = 0;
  for (; it != departments.end() && list.size() < size; ++it) {
    if (department_visible(app, *it)) {
      list.emplace_back(json::Value::object({{"unit_id", unit->first}, {"department_id", department_ref(*it, type)}}));
    }
    last = *it;
  }
  json::Value data = json::Value::object({{"departmentlist", json::Value(std::move(list))},
                                          {"has_more", it != departments.end()}});
  if (it != departments.end()) {
    data.set("page_token", m_page_tokens.seal(context, std::to_string(last)));
  }
  return data;
}

json::Value Tenant::get_unit(const Caller& caller, std::string_view id) const
{
  (void)caller;
  const auto it = m_units.find(std::string(id));
  if (it == m_units.end()) {
    fail(400, 43051, "unit_id is invalid");
  }
  return json::Value::object(
    {{"unit", json::Value::object({{"unit_id", it->first}, {"name", it->second.name}, {"unit_type", it->second.unit_type}})}});
}

json::Value Tenant::list_units(const Caller& caller, const PageRequest& page) const
{
  (void)caller;
  const auto size = page_size(page, 50, 100);
  const auto cursor = page_cursor("unit.list", page);
  auto it = cursor ? m_units.upper_bound(*cursor) : m_units.begin();
  json::Array list;
  std::string last;
  for (; it != m_units.end() && list.size() < size; ++it) {
    list.emplace_back(
      json::Value::object({{"unit_id", it->first}, {"name", it->second.name}, {"unit_type", it->second.unit_type}}));
    last = it->first;
  }
  json::Value data = json::Value::object({{"unitlist", json::Value(std::move(list))}, {"has_more", it != m_units.end()}});
  if (it != m_units.end()) {
    data.set("page_token", m_page_tokens.seal("unit.list", last));
  }
  return data;
}

json::Value Tenant::delete_unit(const Caller& caller, std::string_view id)
{
  (void)caller;
  const auto it = m_units.find(std::string(id));
  if (it == m_units.end()) {
    fail(400, 43051, "unit_id is invalid");
  }
  for (const auto key : it->second.departments) {
    m_unit_of_department.erase(key);
  }
  m_units.erase(it);
  touch();
  return json::Value::object();
}

} // namespace dirsync::emulator
