// Users: create, patch, put, update_user_id, reads, delete (resign) and resurrect (Tenant methods;
// see tenant.hpp and tenant.cpp's notes on keys and indexes).
#include "emulator/tenant.hpp"

#include "emulator/body_fields.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace dirsync::emulator {

namespace {

constexpr std::int64_t k_resurrect_window = 30 * 24 * 3600;
constexpr std::size_t k_max_departments_per_user = 50;
constexpr std::size_t k_max_batch = 50;

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
    if (auto v = find_string(body, key)) {
      if (utf8_length(*v) > max) {
        fail(400, too_long, fmt::format("{} is longer than {} characters", key, max));
      }
      target = *v;
    }
  };

  if (auto name = find_string(body, "name")) {
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

  if (auto email = find_string(body, "email")) {
    if (!email->empty() && !valid_email(*email)) {
      fail(400, 41005, fmt::format("email \"{}\" is invalid", *email));
    }
    u.email = *email;
  }
  if (auto mobile = find_string(body, "mobile")) {
    if (!mobile->empty() && !valid_mobile(*mobile)) {
      fail(400, 41004, fmt::format("mobile \"{}\" is invalid", *mobile));
    }
    u.mobile = mobile->empty() ? "" : normalize_mobile(*mobile);
  }
  // Checked when the request sets either (a seeded person may have neither).
  const bool contact_sent = creating || field(body, "mobile") != nullptr || field(body, "email") != nullptr;
  if (contact_sent && u.mobile.empty() && u.email.empty()) {
    fail(400, 41009, "email and mobile cannot both be empty");
  }
  if (contact_sent && !u.mobile.empty() && !u.mobile.starts_with("+86") && u.email.empty()) {
    fail(400, 41009, "an email is required with a mobile outside +86");
  }
  if (auto v = find_bool(body, "mobile_visible")) {
    u.mobile_visible = *v;
  }
  if (auto gender = find_int(body, "gender")) {
    if (*gender < 0 || *gender > 3) {
      fail(400, 41038, "gender is invalid");
    }
    u.gender = *gender;
  }
  if (auto type = find_int(body, "employee_type")) {
    if (*type < 1 || *type > 5) {
      fail(400, 41059, "employee_type is invalid");
    }
    u.employee_type = *type;
  } else if (creating) {
    bad_param("employee_type is required");
  }
  if (auto join = find_int(body, "join_time")) {
    u.join_time = *join;
  }
  if (auto frozen = find_bool(body, "is_frozen")) {
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
    if (auto id = find_string(body, "user_id")) {
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
  if (auto leader = find_string(body, "leader_user_id")) {
    u.leader = resolve_leader(*leader);
  }
  if (auto dotted = find_strings(body, "dotted_line_leader_user_ids")) {
    u.dotted_line_leaders.clear();
    for (const auto& ref : *dotted) {
      if (const auto key = resolve_leader(ref)) {
        u.dotted_line_leaders.push_back(key);
      }
    }
  }

  // Departments and orders.
  const auto department_ids = find_strings(body, "department_ids");
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
        const auto ref = find_string(order, "department_id").value_or("");
        const auto key = find_department(ref, types.department);
        const auto it = std::find_if(memberships.begin(), memberships.end(),
                                     [&](const Membership& m) { return key && m.department == *key; });
        if (it == memberships.end()) {
          fail(400, 41025, fmt::format("orders: department {} is not in department_ids", ref));
        }
        it->user_order = find_int(order, "user_order").value_or(0);
        it->department_order = find_int(order, "department_order").value_or(0);
        if (find_bool(order, "is_primary_dept").value_or(false)) {
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
  return replace_user(stored, std::move(candidate), types);
}

// Puts a validated candidate in place of `stored`: refuses a conflict with another user, moves the
// indexes and memberships over, and answers the user as the API does.
json::Value Tenant::replace_user(User& stored, User candidate, IdTypes types)
{
  check_user_conflicts(candidate, stored.key);
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
  return replace_user(stored, std::move(candidate), types);
}

json::Value Tenant::update_user_id(const Caller& caller, std::string_view id, const json::Value& body, IdTypes types)
{
  require_object_body(body);
  const auto key = require_visible_user(caller, id, types.user);
  const auto new_id = find_string(body, "new_user_id").value_or("");
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
  const auto cursor = find_page_cursor(context, page);
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
  const auto emails = find_strings(body, "emails").value_or(std::vector<std::string>{});
  const auto mobiles = find_strings(body, "mobiles").value_or(std::vector<std::string>{});
  const bool include_resigned = find_bool(body, "include_resigned").value_or(false);
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
  const auto cursor = find_page_cursor(context, page);
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
    if (!find_string(body, "idp_credential_id")) {
      fail(400, 1080001, "param invalid: idp_credential_id is required with logout_type 2");
    }
  } else if (!find_string(body, "sid")) {
    fail(400, 1084001, "sid invalid");
  }
  return json::Value::object();
}

json::Value Tenant::jssdk_ticket(const Caller& /*caller*/)
{
  return json::Value::object({{"expire_in", 7200}, {"ticket", random_token("").substr(0, 40)}});
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
    if (auto ref = find_string(b, name); ref && !ref->empty()) {
      check_acceptor(name, *ref);
    }
  }
  if (const auto* mail = field(b, "email_acceptor")) {
    if (!mail->is_object()) {
      bad_param("email_acceptor must be an object");
    }
    const auto processing = find_string(*mail, "processing_type").value_or("");
    if (processing != "1" && processing != "2" && processing != "3") {
      bad_param("email_acceptor.processing_type must be \"1\", \"2\" or \"3\"");
    }
    if (processing == "1") {
      check_acceptor("email_acceptor.acceptor_user_id", find_string(*mail, "acceptor_user_id").value_or(""));
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
      const auto ref = find_string(d, "department_id");
      if (!ref) {
        bad_param("departments[].department_id is required");
      }
      const auto dept = require_visible_department(caller, *ref, types.department, 400, 40015);
      memberships.push_back(Membership{dept, find_int(d, "user_order").value_or(0),
                                       find_int(d, "department_order").value_or(0), false});
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

} // namespace dirsync::emulator
