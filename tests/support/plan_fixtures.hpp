// Helpers for tests of the linker, planner and gates: a mirror snapshot and HR people built by hand,
// and operations rendered as one-line strings so a test can assert a whole plan exactly.
#pragma once

#include "config/config.hpp"
#include "hr/roster.hpp"
#include "storage/link.hpp"
#include "storage/mirror.hpp"
#include "storage/plan.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dirsync::testing {

// 2026-11-21 00:00:00 UTC: "now" in planner tests.
inline constexpr std::int64_t k_now = 1795219200;
inline constexpr std::int64_t k_day = 86400;

// A snapshot of a small tenant, refresh 1 (ok):
//   0 (root)
//   ├── od-hq     总部        department_id D-HQ
//   │   ├── od-tech  技术部    D-TECH
//   │   └── od-sales 销售部    D-SALES
//   └── od-other  子公司      D-OTHER
class TenantBuilder
{
public:
  TenantBuilder();

  // Adds an active user in `departments`; returns its index in snapshot().users.
  std::size_t user(const std::string& open_id, const std::string& name, const std::string& employee_no,
                   std::vector<std::string> departments, const std::string& email = {},
                   const std::string& mobile = {});
  storage::MirrorUser& at(std::size_t index) { return m_snapshot.users[index]; }
  // Marks a user resigned `days_ago`.
  void resign(std::size_t index, int days_ago);

  storage::MirrorSnapshot& snapshot() { return m_snapshot; }

private:
  storage::MirrorSnapshot m_snapshot;
};

// An active HR person in a department given as a path ("总部/技术部").
hr::Person person(const std::string& employee_no, const std::string& name, const std::string& department_path,
                  const std::string& email = {}, const std::string& leader = {});

storage::Link make_link(const std::string& employee_no, const std::string& open_id,
                   storage::LinkMethod method = storage::LinkMethod::employee_no);

// Config for planner tests: defaults, scope the whole tenant.
config::SyncConfig sync_config();

// "create E1 - {payload}", "update E2 ou_2 {payload}" ... in seq order.
std::vector<std::string> describe(const storage::Plan& plan);
// The decisions as "decision employee_no open_id rule".
std::vector<std::string> describe_decisions(const storage::Plan& plan);
bool has_decision(const storage::Plan& plan, const std::string& decision, const std::string& employee_no,
                  const std::string& rule);

} // namespace dirsync::testing
