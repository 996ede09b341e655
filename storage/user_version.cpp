#include "storage/user_version.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>

namespace dirsync::storage {

std::optional<std::string> text_or_null(const std::string& text)
{
  if (text.empty()) {
    return std::nullopt;
  }
  return text;
}

std::string choose_primary_department(const feishu::User& user)
{
  for (const auto& order : user.orders) {
    if (order.is_primary_dept && !order.department_id.empty()) {
      return order.department_id;
    }
  }
  const feishu::UserOrder* largest = nullptr;
  for (const auto& order : user.orders) {
    if (!order.department_id.empty() && (largest == nullptr || order.department_order > largest->department_order)) {
      largest = &order;
    }
  }
  if (largest != nullptr) {
    return largest->department_id;
  }
  if (!user.department_ids.empty()) {
    return user.department_ids.front();
  }
  return {};
}

std::vector<std::string> departments_primary_first(const feishu::User& user, const std::string& primary)
{
  std::set<std::string> others(user.department_ids.begin(), user.department_ids.end());
  std::vector<std::string> out;
  if (!primary.empty()) {
    out.push_back(primary);
    others.erase(primary);
  }
  out.insert(out.end(), others.begin(), others.end());
  return out;
}

std::map<std::string, std::vector<std::string>> department_paths(const std::vector<feishu::Department>& departments)
{
  std::unordered_map<std::string, const feishu::Department*> by_id;
  by_id.reserve(departments.size());
  for (const auto& d : departments) {
    by_id.emplace(d.open_department_id, &d);
  }
  std::map<std::string, std::vector<std::string>> paths;
  for (const auto& d : departments) {
    if (paths.contains(d.open_department_id)) {
      continue;
    }
    // Walk up to a department whose path is known, or to the top; then fill the chain downwards.
    std::vector<const feishu::Department*> chain;
    std::set<std::string> on_chain;
    const feishu::Department* at = &d;
    std::vector<std::string> base;
    while (at != nullptr) {
      if (const auto known = paths.find(at->open_department_id); known != paths.end()) {
        base = known->second;
        break;
      }
      if (!on_chain.insert(at->open_department_id).second) {
        break; // a cycle: start the path here
      }
      chain.push_back(at);
      const auto parent = by_id.find(at->parent_department_id);
      at = parent == by_id.end() ? nullptr : parent->second;
    }
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      base.push_back((*it)->name);
      paths.emplace((*it)->open_department_id, base);
    }
  }
  return paths;
}

std::string join_path(const std::vector<std::string>& path)
{
  std::string out;
  for (const auto& name : path) {
    if (!out.empty()) {
      out += '/';
    }
    out += name;
  }
  return out;
}

UserVersion make_version(const feishu::User& user, const std::string& mirror_state,
                         const std::optional<std::string>& primary_department_path)
{
  UserVersion v;
  v.employee_no = text_or_null(user.employee_no);
  v.name = user.name;
  v.en_name = text_or_null(user.en_name);
  v.email = text_or_null(user.email);
  v.mobile = text_or_null(user.mobile);
  v.departments = departments_primary_first(user, choose_primary_department(user));
  v.primary_department_path = primary_department_path;
  v.leader_open_id = text_or_null(user.leader_user_id);
  v.job_title = text_or_null(user.job_title);
  if (user.employee_type != 0) {
    v.employee_type = user.employee_type;
  }
  v.city = text_or_null(user.city);
  v.work_station = text_or_null(user.work_station);
  v.is_frozen = user.is_frozen || user.status.is_frozen;
  v.is_resigned = user.status.is_resigned;
  v.mirror_state = mirror_state;
  return v;
}

std::vector<std::string> changed_fields(const UserVersion& before, const UserVersion& after)
{
  std::vector<std::string> out;
  auto check = [&](bool differs, const char* name) {
    if (differs) {
      out.emplace_back(name);
    }
  };
  check(before.employee_no != after.employee_no, "employee_no");
  check(before.name != after.name, "name");
  check(before.en_name != after.en_name, "en_name");
  check(before.email != after.email, "email");
  check(before.mobile != after.mobile, "mobile");
  check(before.departments != after.departments || before.primary_department_path != after.primary_department_path,
        "department");
  check(before.leader_open_id != after.leader_open_id, "leader");
  check(before.job_title != after.job_title, "job_title");
  check(before.employee_type != after.employee_type, "employee_type");
  check(before.city != after.city, "city");
  check(before.work_station != after.work_station, "work_station");
  check(before.is_frozen != after.is_frozen, "frozen");
  check(before.is_resigned != after.is_resigned, "resigned");
  check(before.mirror_state != after.mirror_state, "mirror_state");
  return out;
}

} // namespace dirsync::storage
