// Loading a tenant from the seed format and writing it back out (Tenant::load_seed, Tenant::state).
//
// The seed format is a public interface (docs/emulator.md). References between entries use custom
// ids (department_id, user_id); the root department is "0" and implicit. Loading is two-pass: every
// department and user is created first, then parents and leaders are linked, so entries may refer to
// ones that come later in the file. state() writes the same format with the generated ids and every
// stored field added, so that loading a state restores the tenant exactly.
#include "emulator/tenant.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <initializer_list>

namespace dirsync::emulator {

namespace {

[[noreturn]] void seed_error(const std::string& where, const std::string& what)
{
  throw InputError(fmt::format("seed: {}: {}", where, what));
}

void check_keys(const json::Value& v, const std::string& where, std::initializer_list<std::string_view> allowed)
{
  if (!v.is_object()) {
    seed_error(where, "must be an object");
  }
  for (const auto& [key, value] : v.as_object()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      seed_error(where, fmt::format("unknown key \"{}\"", key));
    }
  }
}

const json::Array& array_at(const json::Value& v, std::string_view key, const std::string& where)
{
  static const json::Array empty;
  const auto* a = v.find(key);
  if (a == nullptr || a->is_null()) {
    return empty;
  }
  if (!a->is_array()) {
    seed_error(where.empty() ? std::string(key) : where + "." + std::string(key), "must be an array");
  }
  return a->as_array();
}

std::string string_at(const json::Value& v, std::string_view key, const std::string& where, bool required = false)
{
  const auto* s = v.find(key);
  if (s == nullptr || s->is_null()) {
    if (required) {
      seed_error(where, fmt::format("\"{}\" is required", key));
    }
    return "";
  }
  if (s->is_integer()) {
    return std::to_string(s->as_int()); // ids and orders written as numbers are accepted
  }
  if (!s->is_string()) {
    seed_error(where + "." + std::string(key), "must be a string");
  }
  if (required && s->as_string().empty()) {
    seed_error(where, fmt::format("\"{}\" must not be empty", key));
  }
  return s->as_string();
}

std::int64_t int_at(const json::Value& v, std::string_view key, const std::string& where, std::int64_t fallback)
{
  const auto* n = v.find(key);
  if (n == nullptr || n->is_null()) {
    return fallback;
  }
  if (!n->is_integer()) {
    seed_error(where + "." + std::string(key), "must be an integer");
  }
  return n->as_int();
}

bool bool_at(const json::Value& v, std::string_view key, const std::string& where, bool fallback)
{
  const auto* b = v.find(key);
  if (b == nullptr || b->is_null()) {
    return fallback;
  }
  if (!b->is_bool()) {
    seed_error(where + "." + std::string(key), "must be true or false");
  }
  return b->as_bool();
}

std::vector<std::string> strings_at(const json::Value& v, std::string_view key, const std::string& where)
{
  std::vector<std::string> out;
  const auto& a = array_at(v, key, where);
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_string()) {
      seed_error(fmt::format("{}.{}[{}]", where, key, i), "must be a string");
    }
    out.push_back(a[i].as_string());
  }
  return out;
}

} // namespace

void Tenant::clear_data()
{
  m_apps.clear();
  m_departments.clear();
  m_department_by_id.clear();
  m_department_by_open_id.clear();
  m_next_department_key = 1;
  m_users.clear();
  m_next_user_key = 1;
  m_user_by_open_id.clear();
  m_user_by_union_id.clear();
  m_active_by_user_id.clear();
  m_active_by_mobile.clear();
  m_active_by_email.clear();
  m_active_by_employee_no.clear();
  m_resigned_by_user_id.clear();
  m_resigned_by_mobile.clear();
  m_resigned_by_email.clear();
  m_job_titles.clear();
  m_units.clear();
  m_unit_of_department.clear();
  m_user_client_tokens.clear();
  m_department_client_tokens.clear();

  Department root;
  root.key = 0;
  root.department_id = "0";
  root.open_department_id = "0";
  m_departments.emplace(0, std::move(root));
}

void Tenant::load_seed_into(const json::Value& seed)
{
  clear_data();
  check_keys(seed, "the seed", {"apps", "departments", "users", "job_titles", "units", "clock_offset_seconds"});
  m_clock_offset = int_at(seed, "clock_offset_seconds", "the seed", 0);

  // Departments, pass 1: create them all under the root.
  const auto& departments = array_at(seed, "departments", "");
  std::vector<std::string> parents;
  std::vector<std::string> department_leaders;
  for (std::size_t i = 0; i < departments.size(); ++i) {
    const auto& d = departments[i];
    const std::string where = fmt::format("departments[{}]", i);
    check_keys(d, where,
               {"department_id", "open_department_id", "name", "parent_department_id", "leader_user_id", "order",
                "i18n_name"});
    Department dep;
    dep.department_id = string_at(d, "department_id", where, true);
    if (dep.department_id == "0" || dep.department_id.starts_with("od-")) {
      seed_error(where, fmt::format("department_id \"{}\" is reserved", dep.department_id));
    }
    if (m_department_by_id.contains(dep.department_id)) {
      seed_error(where, fmt::format("department_id \"{}\" appears twice", dep.department_id));
    }
    dep.open_department_id = string_at(d, "open_department_id", where);
    if (!dep.open_department_id.empty() && m_department_by_open_id.contains(dep.open_department_id)) {
      seed_error(where, fmt::format("open_department_id \"{}\" appears twice", dep.open_department_id));
    }
    dep.name = string_at(d, "name", where, true);
    dep.order = string_at(d, "order", where);
    if (dep.order.empty()) {
      dep.order = "0";
    }
    if (const auto* i18n = d.find("i18n_name"); i18n != nullptr && !i18n->is_null()) {
      if (!i18n->is_object()) {
        seed_error(where + ".i18n_name", "must be an object {zh_cn, ja_jp, en_us}");
      }
      dep.i18n_name = *i18n;
    }
    dep.parent = 0;
    parents.push_back(string_at(d, "parent_department_id", where));
    department_leaders.push_back(string_at(d, "leader_user_id", where));
    add_department(std::move(dep));
  }
  // Pass 2: link parents, refusing unknown parents and cycles.
  for (std::size_t i = 0; i < departments.size(); ++i) {
    const std::uint64_t key = i + 1;
    const std::string& parent_id = parents[i].empty() ? "0" : parents[i];
    const auto parent = find_department(parent_id, DepartmentIdType::department_id);
    if (!parent) {
      seed_error(fmt::format("departments[{}].parent_department_id", i),
                 fmt::format("no department \"{}\" in departments", parent_id));
    }
    m_departments.at(0).children.erase(key);
    m_departments.at(key).parent = *parent;
    m_departments.at(*parent).children.insert(key);
  }
  for (std::size_t i = 0; i < departments.size(); ++i) {
    std::uint64_t p = i + 1;
    for (std::size_t steps = 0; p != 0; ++steps) {
      if (steps > departments.size()) {
        seed_error(fmt::format("departments[{}]", i), "its parents form a cycle");
      }
      p = m_departments.at(p).parent;
    }
  }

  // Users, pass 1.
  const auto& users = array_at(seed, "users", "");
  for (auto* index : {&m_user_by_open_id, &m_user_by_union_id, &m_active_by_user_id, &m_active_by_mobile,
                      &m_active_by_email, &m_active_by_employee_no}) {
    index->reserve(users.size());
  }
  std::vector<std::string> leaders;
  std::vector<std::vector<std::string>> dotted;
  std::unordered_map<std::string, std::size_t> seen_user_ids;
  for (std::size_t i = 0; i < users.size(); ++i) {
    const auto& s = users[i];
    const std::string where = fmt::format("users[{}]", i);
    check_keys(s, where,
               {"user_id", "open_id", "union_id", "employee_no", "name", "en_name", "nickname", "email", "mobile",
                "mobile_visible", "gender", "department_ids", "orders", "leader_user_id",
                "dotted_line_leader_user_ids", "job_title", "employee_type", "is_tenant_manager", "is_frozen",
                "resigned_at", "city", "country", "work_station", "join_time", "enterprise_email", "job_level_id",
                "job_family_id", "avatar_key", "geo", "custom_attrs"});
    User u;
    u.user_id = string_at(s, "user_id", where, true);
    if (const auto [it, fresh] = seen_user_ids.emplace(u.user_id, i); !fresh) {
      seed_error(where, fmt::format("user_id \"{}\" is also users[{}]", u.user_id, it->second));
    }
    u.open_id = string_at(s, "open_id", where);
    u.union_id = string_at(s, "union_id", where);
    if (!u.open_id.empty() && m_user_by_open_id.contains(u.open_id)) {
      seed_error(where, fmt::format("open_id \"{}\" appears twice", u.open_id));
    }
    if (!u.union_id.empty() && m_user_by_union_id.contains(u.union_id)) {
      seed_error(where, fmt::format("union_id \"{}\" appears twice", u.union_id));
    }
    u.name = string_at(s, "name", where, true);
    u.en_name = string_at(s, "en_name", where);
    u.nickname = string_at(s, "nickname", where);
    u.email = string_at(s, "email", where);
    const std::string mobile = string_at(s, "mobile", where);
    u.mobile = mobile.empty() ? "" : normalize_mobile(mobile);
    u.employee_no = string_at(s, "employee_no", where);
    u.job_title = string_at(s, "job_title", where);
    u.city = string_at(s, "city", where);
    u.country = string_at(s, "country", where);
    u.work_station = string_at(s, "work_station", where);
    u.enterprise_email = string_at(s, "enterprise_email", where);
    u.job_level_id = string_at(s, "job_level_id", where);
    u.job_family_id = string_at(s, "job_family_id", where);
    u.avatar_key = string_at(s, "avatar_key", where);
    u.geo = string_at(s, "geo", where);
    u.mobile_visible = bool_at(s, "mobile_visible", where, true);
    u.gender = int_at(s, "gender", where, 0);
    u.employee_type = int_at(s, "employee_type", where, 1);
    u.join_time = int_at(s, "join_time", where, 0);
    u.is_tenant_manager = bool_at(s, "is_tenant_manager", where, false);
    u.is_frozen = bool_at(s, "is_frozen", where, false);
    if (const auto* attrs = s.find("custom_attrs"); attrs != nullptr && !attrs->is_null()) {
      if (!attrs->is_array()) {
        seed_error(where + ".custom_attrs", "must be an array");
      }
      u.custom_attrs = *attrs;
    }
    if (const auto* resigned = s.find("resigned_at"); resigned != nullptr && !resigned->is_null()) {
      if (!resigned->is_integer()) {
        seed_error(where + ".resigned_at", "must be unix seconds or null");
      }
      // A negative value is relative to the load time ("resigned 11 days ago"), so that a sample
      // tenant keeps a resignation inside the 30-day resurrect window whenever it is loaded.
      const std::int64_t at = resigned->as_int();
      u.resigned_at = at < 0 ? now() + at : at;
    }

    std::vector<Membership> memberships;
    const auto department_ids = strings_at(s, "department_ids", where);
    for (std::size_t j = 0; j < department_ids.size(); ++j) {
      const auto key = find_department(department_ids[j], DepartmentIdType::department_id);
      if (!key) {
        seed_error(fmt::format("{}.department_ids[{}]", where, j),
                   fmt::format("no department \"{}\" in departments", department_ids[j]));
      }
      if (std::none_of(memberships.begin(), memberships.end(), [&](const Membership& m) { return m.department == *key; })) {
        memberships.push_back(Membership{*key, 0, static_cast<std::int64_t>(department_ids.size() - j), j == 0});
      }
    }
    const auto& orders = array_at(s, "orders", where);
    for (std::size_t j = 0; j < orders.size(); ++j) {
      const std::string owhere = fmt::format("{}.orders[{}]", where, j);
      check_keys(orders[j], owhere, {"department_id", "user_order", "department_order", "is_primary_dept"});
      const auto ref = string_at(orders[j], "department_id", owhere, true);
      const auto key = find_department(ref, DepartmentIdType::department_id);
      const auto it = std::find_if(memberships.begin(), memberships.end(),
                                   [&](const Membership& m) { return key && m.department == *key; });
      if (it == memberships.end()) {
        seed_error(owhere, fmt::format("department \"{}\" is not in department_ids", ref));
      }
      it->user_order = int_at(orders[j], "user_order", owhere, 0);
      it->department_order = int_at(orders[j], "department_order", owhere, 0);
      if (const auto* primary = orders[j].find("is_primary_dept"); primary != nullptr && primary->is_bool()) {
        it->is_primary = primary->as_bool();
      }
    }
    if (u.resigned_at) {
      for (const auto& m : memberships) {
        u.last_departments.push_back(m.department);
      }
    } else {
      if (memberships.empty()) {
        memberships.push_back(Membership{0, 0, 0, true});
      }
      try {
        check_user_conflicts(u, 0);
      } catch (const ApiFailure& e) {
        seed_error(where, e.msg() + " (another active user in the seed has it)");
      }
      u.memberships = std::move(memberships);
    }
    leaders.push_back(string_at(s, "leader_user_id", where));
    dotted.push_back(strings_at(s, "dotted_line_leader_user_ids", where));
    add_user(std::move(u));
  }
  // Pass 2: leaders (any user of the seed, by user_id).
  const auto find_seed_user = [&](const std::string& user_id) -> std::optional<std::uint64_t> {
    const auto it = seen_user_ids.find(user_id);
    if (it == seen_user_ids.end()) {
      return std::nullopt;
    }
    return it->second + 1;
  };
  for (std::size_t i = 0; i < users.size(); ++i) {
    User& u = m_users.at(i + 1);
    if (!leaders[i].empty()) {
      const auto key = find_seed_user(leaders[i]);
      if (!key) {
        seed_error(fmt::format("users[{}].leader_user_id", i), fmt::format("no user \"{}\" in users", leaders[i]));
      }
      u.leader = *key;
    }
    for (const auto& ref : dotted[i]) {
      const auto key = find_seed_user(ref);
      if (!key) {
        seed_error(fmt::format("users[{}].dotted_line_leader_user_ids", i), fmt::format("no user \"{}\" in users", ref));
      }
      u.dotted_line_leaders.push_back(*key);
    }
  }
  for (std::size_t i = 0; i < departments.size(); ++i) {
    if (!department_leaders[i].empty()) {
      const auto key = find_seed_user(department_leaders[i]);
      if (!key) {
        seed_error(fmt::format("departments[{}].leader_user_id", i),
                   fmt::format("no user \"{}\" in users", department_leaders[i]));
      }
      m_departments.at(i + 1).leader = *key;
    }
  }

  // Job titles.
  const auto& titles = array_at(seed, "job_titles", "");
  for (std::size_t i = 0; i < titles.size(); ++i) {
    const std::string where = fmt::format("job_titles[{}]", i);
    check_keys(titles[i], where, {"job_title_id", "name", "i18n_name", "status"});
    JobTitle t;
    const std::string id = string_at(titles[i], "job_title_id", where, true);
    t.name = string_at(titles[i], "name", where, true);
    t.status = bool_at(titles[i], "status", where, true);
    t.i18n_name = json::Value::array();
    const auto& i18n = array_at(titles[i], "i18n_name", where);
    for (std::size_t j = 0; j < i18n.size(); ++j) {
      check_keys(i18n[j], fmt::format("{}.i18n_name[{}]", where, j), {"locale", "value"});
      t.i18n_name.push_back(i18n[j]);
    }
    if (!m_job_titles.emplace(id, std::move(t)).second) {
      seed_error(where, fmt::format("job_title_id \"{}\" appears twice", id));
    }
  }

  // Units.
  const auto& units = array_at(seed, "units", "");
  for (std::size_t i = 0; i < units.size(); ++i) {
    const std::string where = fmt::format("units[{}]", i);
    check_keys(units[i], where, {"unit_id", "name", "unit_type", "department_ids"});
    const std::string id = string_at(units[i], "unit_id", where, true);
    Unit unit{string_at(units[i], "name", where, true), string_at(units[i], "unit_type", where, true), {}};
    for (const auto& ref : strings_at(units[i], "department_ids", where)) {
      const auto key = find_department(ref, DepartmentIdType::department_id);
      if (!key || *key == 0) {
        seed_error(where + ".department_ids", fmt::format("no department \"{}\" in departments", ref));
      }
      if (const auto [it, fresh] = m_unit_of_department.emplace(*key, id); !fresh) {
        seed_error(where + ".department_ids", fmt::format("department \"{}\" is already in unit \"{}\"", ref, it->second));
      }
      unit.departments.insert(*key);
    }
    if (!m_units.emplace(id, std::move(unit)).second) {
      seed_error(where, fmt::format("unit_id \"{}\" appears twice", id));
    }
  }

  // Apps and their contact scopes.
  const auto& apps = array_at(seed, "apps", "");
  for (std::size_t i = 0; i < apps.size(); ++i) {
    const std::string where = fmt::format("apps[{}]", i);
    check_keys(apps[i], where, {"app_id", "app_secret", "scope"});
    App app;
    app.app_id = string_at(apps[i], "app_id", where, true);
    app.app_secret = string_at(apps[i], "app_secret", where, true);
    app.scope = apps[i].contains("scope") ? strings_at(apps[i], "scope", where) : std::vector<std::string>{"0"};
    for (const auto& ref : app.scope) {
      if (ref == "0") {
        app.whole_tenant = true;
        continue;
      }
      const auto key = find_department(ref, DepartmentIdType::department_id);
      if (!key) {
        seed_error(where + ".scope", fmt::format("no department \"{}\" in departments", ref));
      }
      app.scope_keys.insert(*key);
    }
    if (std::any_of(m_apps.begin(), m_apps.end(), [&](const App& a) { return a.app_id == app.app_id; })) {
      seed_error(where, fmt::format("app_id \"{}\" appears twice", app.app_id));
    }
    m_apps.push_back(std::move(app));
  }
}

json::Value Tenant::state() const
{
  json::Value out = json::Value::object();

  json::Array apps;
  for (const auto& app : m_apps) {
    apps.push_back(json::Value::object(
      {{"app_id", app.app_id}, {"app_secret", app.app_secret}, {"scope", json::Value::string_array(app.scope)}}));
  }
  out.set("apps", json::Value(std::move(apps)));

  const auto custom_user = [this](std::uint64_t key) { return user_ref(key, UserIdType::user_id); };
  json::Array departments;
  for (const auto& [key, d] : m_departments) {
    if (key == 0) {
      continue;
    }
    json::Value entry = json::Value::object({{"department_id", d.department_id},
                                             {"open_department_id", d.open_department_id},
                                             {"name", d.name},
                                             {"parent_department_id", department_ref(d.parent, DepartmentIdType::department_id)},
                                             {"leader_user_id", custom_user(d.leader)},
                                             {"order", d.order}});
    if (d.i18n_name.is_object()) {
      entry.set("i18n_name", d.i18n_name);
    }
    departments.push_back(std::move(entry));
  }
  out.set("departments", json::Value(std::move(departments)));

  json::Array users;
  users.reserve(m_users.size());
  for (const auto& [key, u] : m_users) {
    json::Array department_ids;
    json::Array orders;
    if (u.resigned_at) {
      for (const auto d : u.last_departments) {
        if (m_departments.contains(d)) {
          department_ids.emplace_back(department_ref(d, DepartmentIdType::department_id));
        }
      }
    } else {
      for (const auto& m : u.memberships) {
        const auto ref = department_ref(m.department, DepartmentIdType::department_id);
        department_ids.emplace_back(ref);
        orders.push_back(json::Value::object({{"department_id", ref},
                                              {"user_order", m.user_order},
                                              {"department_order", m.department_order},
                                              {"is_primary_dept", m.is_primary}}));
      }
    }
    json::Array dotted;
    for (const auto leader : u.dotted_line_leaders) {
      dotted.emplace_back(custom_user(leader));
    }
    json::Object o;
    o.reserve(32);
    o.emplace_back("user_id", u.user_id);
    o.emplace_back("open_id", u.open_id);
    o.emplace_back("union_id", u.union_id);
    o.emplace_back("employee_no", u.employee_no);
    o.emplace_back("name", u.name);
    o.emplace_back("en_name", u.en_name);
    o.emplace_back("nickname", u.nickname);
    o.emplace_back("email", u.email);
    o.emplace_back("mobile", u.mobile);
    o.emplace_back("mobile_visible", u.mobile_visible);
    o.emplace_back("gender", u.gender);
    o.emplace_back("department_ids", json::Value(std::move(department_ids)));
    o.emplace_back("orders", json::Value(std::move(orders)));
    o.emplace_back("leader_user_id", custom_user(u.leader));
    o.emplace_back("dotted_line_leader_user_ids", json::Value(std::move(dotted)));
    o.emplace_back("job_title", u.job_title);
    o.emplace_back("employee_type", u.employee_type);
    o.emplace_back("is_tenant_manager", u.is_tenant_manager);
    o.emplace_back("is_frozen", u.is_frozen);
    o.emplace_back("resigned_at", u.resigned_at ? json::Value(*u.resigned_at) : json::Value());
    o.emplace_back("city", u.city);
    o.emplace_back("country", u.country);
    o.emplace_back("work_station", u.work_station);
    o.emplace_back("join_time", u.join_time);
    o.emplace_back("enterprise_email", u.enterprise_email);
    o.emplace_back("job_level_id", u.job_level_id);
    o.emplace_back("job_family_id", u.job_family_id);
    o.emplace_back("avatar_key", u.avatar_key);
    o.emplace_back("geo", u.geo);
    if (u.custom_attrs.is_array()) {
      o.emplace_back("custom_attrs", u.custom_attrs);
    }
    users.emplace_back(std::move(o));
  }
  out.set("users", json::Value(std::move(users)));

  json::Array titles;
  for (const auto& [id, t] : m_job_titles) {
    titles.push_back(job_title_json(id, t));
  }
  out.set("job_titles", json::Value(std::move(titles)));

  json::Array units;
  for (const auto& [id, unit] : m_units) {
    json::Array department_ids;
    for (const auto d : unit.departments) {
      department_ids.emplace_back(department_ref(d, DepartmentIdType::department_id));
    }
    units.push_back(json::Value::object({{"unit_id", id},
                                         {"name", unit.name},
                                         {"unit_type", unit.unit_type},
                                         {"department_ids", json::Value(std::move(department_ids))}}));
  }
  out.set("units", json::Value(std::move(units)));
  out.set("clock_offset_seconds", m_clock_offset);
  return out;
}

} // namespace dirsync::emulator
