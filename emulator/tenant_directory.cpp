// Departments, job titles and units (Tenant methods; see tenant.hpp).
#include "emulator/tenant.hpp"

#include "emulator/body_fields.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>

namespace dirsync::emulator {

// ------------------------------------------------------------------------------------------------
// Departments

json::Value Tenant::department_children(const Caller& caller, std::string_view id, IdTypes types, bool fetch_child,
                                        const PageRequest& page) const
{
  const auto key = require_visible_department(caller, id, types.department, 400, 40015);
  const auto size = page_size(page, 10, 50);
  const std::string context = fmt::format("departments.children|{}|{}", key, fetch_child);
  const auto cursor = find_page_cursor(context, page);
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
  if (fetch_child && m_options.fetch_child_limit > 0 && listing.size() > m_options.fetch_child_limit) {
    fail(400, 43010, "big dept forbid recursion");
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
  d.name = find_string(body, "name").value_or("");
  if (d.name.empty() || utf8_length(d.name) > 100) {
    bad_param("name is required (1 to 100 characters)");
  }
  const auto parent_ref = find_string(body, "parent_department_id");
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
  if (auto id = find_string(body, "department_id"); id && !id->empty()) {
    if (id->starts_with("od-") || *id == "0" || utf8_length(*id) > 64) {
      bad_param(fmt::format("department_id \"{}\" is invalid", *id));
    }
    if (m_department_by_id.contains(*id)) {
      bad_param(fmt::format("department_id \"{}\" already exists", *id));
    }
    d.department_id = *id;
  }
  if (auto leader = find_string(body, "leader_user_id"); leader && !leader->empty()) {
    const auto key = find_user(*leader, types.user);
    if (!key || m_users.at(*key).resigned_at) {
      bad_param(fmt::format("leader_user_id {} is invalid", *leader));
    }
    d.leader = *key;
  }
  d.order = find_string(body, "order").value_or("0");
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
  if (auto parent_ref = find_string(body, "parent_department_id")) {
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
  if (auto leader = find_string(body, "leader_user_id")) {
    new_leader = 0;
    if (!leader->empty()) {
      const auto user = find_user(*leader, types.user);
      if (!user || m_users.at(*user).resigned_at) {
        bad_param(fmt::format("leader_user_id {} is invalid", *leader));
      }
      new_leader = *user;
    }
  }
  if (auto name = find_string(body, "name")) {
    if (name->empty() || utf8_length(*name) > 100) {
      bad_param("name must be 1 to 100 characters");
    }
    d.name = *name;
  }
  if (auto order = find_string(body, "order")) {
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

json::Value Tenant::list_job_titles(const Caller& /*caller*/, const PageRequest& page) const
{
  const auto size = page_size(page, 10, 50);
  const auto cursor = find_page_cursor("job_titles", page);
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

json::Value Tenant::get_job_title(const Caller& /*caller*/, std::string_view id) const
{
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

json::Value Tenant::create_unit(const Caller& /*caller*/, const json::Value& body)
{
  require_object_body(body);
  std::string id = find_string(body, "unit_id").value_or("");
  const std::string name = find_string(body, "name").value_or("");
  const std::string type = find_string(body, "unit_type").value_or("");
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

json::Value Tenant::patch_unit(const Caller& /*caller*/, std::string_view id, const json::Value& body)
{
  require_object_body(body);
  const auto it = m_units.find(std::string(id));
  if (it == m_units.end()) {
    fail(400, 43051, "unit_id is invalid");
  }
  const std::string name = find_string(body, "name").value_or("");
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
  const std::string unit_id = find_string(body, "unit_id").value_or("");
  const std::string department_id = find_string(body, "department_id").value_or("");
  const auto type = parse_department_id_type(find_string(body, "department_id_type").value_or(""));
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
  const auto cursor = find_page_cursor(context, page);
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

json::Value Tenant::get_unit(const Caller& /*caller*/, std::string_view id) const
{
  const auto it = m_units.find(std::string(id));
  if (it == m_units.end()) {
    fail(400, 43051, "unit_id is invalid");
  }
  return json::Value::object(
    {{"unit", json::Value::object({{"unit_id", it->first}, {"name", it->second.name}, {"unit_type", it->second.unit_type}})}});
}

json::Value Tenant::list_units(const Caller& /*caller*/, const PageRequest& page) const
{
  const auto size = page_size(page, 50, 100);
  const auto cursor = find_page_cursor("unit.list", page);
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

json::Value Tenant::delete_unit(const Caller& /*caller*/, std::string_view id)
{
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
