#include "support/tenant_generator.hpp"

#include <fmt/format.h>

#include <array>
#include <string_view>

namespace dirsync::testing {

namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 20> k_surnames{{
  {"王", "Wang"}, {"李", "Li"},   {"张", "Zhang"}, {"刘", "Liu"}, {"陈", "Chen"}, {"杨", "Yang"}, {"黄", "Huang"},
  {"赵", "Zhao"}, {"吴", "Wu"},   {"周", "Zhou"},  {"徐", "Xu"},  {"孙", "Sun"},  {"马", "Ma"},   {"朱", "Zhu"},
  {"胡", "Hu"},   {"郭", "Guo"},  {"何", "He"},    {"高", "Gao"}, {"林", "Lin"},  {"罗", "Luo"},
}};
constexpr std::array<std::pair<std::string_view, std::string_view>, 16> k_given{{
  {"伟", "Wei"}, {"芳", "Fang"}, {"娜", "Na"},   {"敏", "Min"},  {"静", "Jing"}, {"强", "Qiang"},
  {"磊", "Lei"}, {"军", "Jun"},  {"洋", "Yang"}, {"勇", "Yong"}, {"艳", "Yan"},  {"杰", "Jie"},
  {"涛", "Tao"}, {"明", "Ming"}, {"超", "Chao"}, {"霞", "Xia"},
}};

std::string department_id(std::size_t i)
{
  return fmt::format("D{:04d}", i + 1);
}

std::string user_id(std::size_t i)
{
  return fmt::format("E{:06d}", i + 1);
}

} // namespace

json::Value generate_tenant(const TenantShape& shape)
{
  const std::size_t departments = std::max<std::size_t>(shape.departments, 1);
  const std::size_t branching = std::max<std::size_t>(shape.branching, 1);

  json::Array deps;
  deps.reserve(departments);
  for (std::size_t i = 0; i < departments; ++i) {
    const std::string parent = i < branching ? "0" : department_id(i / branching - 1);
    json::Value d = json::Value::object({{"department_id", department_id(i)},
                                         {"name", fmt::format("部门{:04d}", i + 1)},
                                         {"parent_department_id", parent},
                                         {"order", std::to_string((i % branching + 1) * 10)}});
    if (i < shape.users) {
      d.set("leader_user_id", user_id(i));
    }
    deps.push_back(std::move(d));
  }

  json::Array users;
  users.reserve(shape.users);
  for (std::size_t i = 0; i < shape.users; ++i) {
    const std::size_t dep = i % departments;
    const auto& surname = k_surnames[(i * 7) % k_surnames.size()];
    const auto& given = k_given[(i / k_surnames.size() + i) % k_given.size()];
    const bool is_leader = i < departments;
    json::Value u = json::Value::object();
    u.set("user_id", user_id(i));
    u.set("employee_no", user_id(i));
    u.set("name", fmt::format("{}{}{}", surname.first, given.first, i + 1));
    u.set("en_name", fmt::format("{} {} {}", given.second, surname.second, i + 1));
    u.set("email", fmt::format("e{:06d}@example.com", i + 1));
    u.set("mobile", fmt::format("+86139{:08d}", i + 1));
    u.set("department_ids", json::Value::string_array({department_id(dep)}));
    u.set("leader_user_id", is_leader ? "" : user_id(dep));
    u.set("job_title", is_leader ? "经理" : "工程师");
    u.set("employee_type", 1);
    u.set("is_tenant_manager", i == 0);
    u.set("resigned_at", i + shape.resigned >= shape.users && i != 0 ? json::Value(-10 * 86400) : json::Value());
    users.push_back(std::move(u));
  }

  json::Value seed = json::Value::object();
  seed.set("apps", json::Value(json::Array{json::Value::object(
                     {{"app_id", shape.app_id}, {"app_secret", shape.app_secret}, {"scope", json::Value::string_array({"0"})}})}));
  seed.set("departments", json::Value(std::move(deps)));
  seed.set("users", json::Value(std::move(users)));
  seed.set("job_titles", json::Value(json::Array{
                           json::Value::object({{"job_title_id", "JT01"}, {"name", "工程师"}, {"status", true}}),
                           json::Value::object({{"job_title_id", "JT02"}, {"name", "经理"}, {"status", true}})}));
  seed.set("units", json::Value::array());
  return seed;
}

} // namespace dirsync::testing
