// Shared by the refresh tests and the docs' query test: a generated tenant with nested departments,
// users in several departments, units and job titles, and a client configuration that is fast
// against an emulator started with --rate-limit-scale.
#pragma once

#include "common/json.hpp"
#include "config/config.hpp"
#include "support/tenant_generator.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <string>

namespace dirsync::testing {

// generate_tenant() plus: every 37th non-leader is also in a second department, which is their
// primary one; two units bound to three departments; a third job title.
inline json::Value refresh_test_tenant(std::size_t users = 3000, std::size_t departments = 300)
{
  TenantShape shape;
  shape.users = users;
  shape.departments = departments;
  shape.branching = 6;
  shape.resigned = 30;
  json::Value seed = generate_tenant(shape);
  auto& list = seed["users"].as_array();
  for (std::size_t i = departments + 1; i + shape.resigned < users; i += 37) {
    auto& u = list[i];
    const std::string own = u["department_ids"].as_array()[0].as_string();
    const std::string other = fmt::format("D{:04d}", (i * 7) % departments + 1);
    if (other == own) {
      continue;
    }
    u.set("department_ids", json::Value::string_array({own, other}));
    u.set("orders", json::Value(json::Array{
                      json::Value::object({{"department_id", own}, {"user_order", 0}, {"department_order", 1},
                                           {"is_primary_dept", false}}),
                      json::Value::object({{"department_id", other}, {"user_order", 5}, {"department_order", 0},
                                           {"is_primary_dept", true}})}));
  }
  seed.set("units", json::Value(json::Array{
                      json::Value::object({{"unit_id", "U01"}, {"name", "华东子公司"}, {"unit_type", "子公司"},
                                           {"department_ids", json::Value::string_array({"D0001", "D0003"})}}),
                      json::Value::object({{"unit_id", "U02"}, {"name", "华南子公司"}, {"unit_type", "子公司"},
                                           {"department_ids", json::Value::string_array({"D0002"})}})}));
  seed["job_titles"].push_back(json::Value::object({{"job_title_id", "JT03"}, {"name", "架构师"}, {"status", true}}));
  return seed;
}

// A configuration for the app of generate_tenant() at `base_url`, with a database in `dir` and
// client-side limits high enough that the emulator's (scaled) limits are the ones that count.
inline config::Config refresh_test_config(const std::string& base_url, const std::filesystem::path& dir)
{
  config::Config c;
  c.feishu.base_url = base_url;
  c.feishu.app_id = "cli_test";
  c.feishu.app_secret = "test-secret";
  c.feishu.max_in_flight = 8;
  for (const char* name : {"user_find_by_department", "user_batch", "user_patch", "user_patch_department",
                           "user_delete", "department_children", "job_title_list", "unit_list",
                           "unit_list_department", "department_create"}) {
    c.feishu.rate_limits[name] = {config::RateWindow{5000, std::chrono::seconds(1)}};
  }
  c.storage.database = dir / "mirror.db";
  return c;
}

} // namespace dirsync::testing
