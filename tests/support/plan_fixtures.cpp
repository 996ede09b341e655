#include "support/plan_fixtures.hpp"

#include <fmt/format.h>

namespace dirsync::testing {

namespace {

storage::MirrorDepartment department(const std::string& open_id, const std::string& name,
                                     const std::string& parent, const std::string& department_id,
                                     std::vector<std::string> path)
{
  storage::MirrorDepartment d;
  d.department.open_department_id = open_id;
  d.department.name = name;
  d.department.parent_department_id = parent;
  d.department.department_id = department_id;
  d.path = std::move(path);
  return d;
}

std::vector<std::string> split_path(const std::string& path)
{
  std::vector<std::string> out;
  std::string level;
  for (char c : path) {
    if (c == '/') {
      out.push_back(level);
      level.clear();
    } else {
      level.push_back(c);
    }
  }
  if (!level.empty()) {
    out.push_back(level);
  }
  return out;
}

} // namespace

TenantBuilder::TenantBuilder()
{
  m_snapshot.refresh.id = 1;
  m_snapshot.refresh.result = storage::RefreshResult::ok;
  m_snapshot.refresh.started_at = k_now - 60;
  m_snapshot.refresh.finished_at = k_now - 30;
  m_snapshot.departments.push_back(department("od-hq", "总部", "0", "D-HQ", {"总部"}));
  m_snapshot.departments.push_back(department("od-tech", "技术部", "od-hq", "D-TECH", {"总部", "技术部"}));
  m_snapshot.departments.push_back(department("od-sales", "销售部", "od-hq", "D-SALES", {"总部", "销售部"}));
  m_snapshot.departments.push_back(department("od-other", "子公司", "0", "D-OTHER", {"子公司"}));
}

std::size_t TenantBuilder::user(const std::string& open_id, const std::string& name, const std::string& employee_no,
                                std::vector<std::string> departments, const std::string& email,
                                const std::string& mobile)
{
  storage::MirrorUser u;
  u.user.open_id = open_id;
  u.user.name = name;
  u.user.employee_no = employee_no;
  u.user.department_ids = std::move(departments);
  u.user.email = email;
  u.user.mobile = mobile;
  u.user.employee_type = 1;
  u.user.status.is_activated = true;
  u.primary_department = u.user.department_ids.empty() ? std::string() : u.user.department_ids.front();
  m_snapshot.users.push_back(std::move(u));
  return m_snapshot.users.size() - 1;
}

void TenantBuilder::resign(std::size_t index, int days_ago)
{
  storage::MirrorUser& u = m_snapshot.users[index];
  u.state = storage::MirrorState::resigned;
  u.user.status.is_resigned = true;
  u.user.status.is_activated = false;
  u.resigned_seen_at = k_now - std::int64_t{days_ago} * k_day;
}

hr::Person person(const std::string& employee_no, const std::string& name, const std::string& department_path,
                  const std::string& email, const std::string& leader)
{
  hr::Person p;
  p.row = 2;
  p.employee_no = employee_no;
  p.name = name;
  p.email = email;
  p.department_path = split_path(department_path);
  p.leader_employee_no = leader;
  return p;
}

storage::Link make_link(const std::string& employee_no, const std::string& open_id, storage::LinkMethod method)
{
  storage::Link l;
  l.id = 1;
  l.employee_no = employee_no;
  l.open_id = open_id;
  l.method = method;
  l.linked_at = k_now - 100 * k_day;
  return l;
}

config::SyncConfig sync_config()
{
  config::SyncConfig c;
  c.safety.hold_first_plan = false;
  return c;
}

std::vector<std::string> describe(const storage::Plan& plan)
{
  std::vector<std::string> out;
  for (const storage::Operation& op : plan.operations) {
    out.push_back(fmt::format("{} {} {} {}", storage::to_string(op.kind), op.employee_no.empty() ? "-" : op.employee_no,
                              op.open_id.empty() ? "-" : op.open_id, op.payload.dump()));
  }
  return out;
}

std::vector<std::string> describe_decisions(const storage::Plan& plan)
{
  std::vector<std::string> out;
  for (const storage::PlanDecision& d : plan.decisions) {
    out.push_back(fmt::format("{} {} {} {}", d.decision, d.employee_no.empty() ? "-" : d.employee_no,
                              d.open_id.empty() ? "-" : d.open_id, d.rule));
  }
  return out;
}

bool has_decision(const storage::Plan& plan, const std::string& decision, const std::string& employee_no,
                  const std::string& rule)
{
  for (const storage::PlanDecision& d : plan.decisions) {
    if (d.decision == decision && d.employee_no == employee_no && d.rule == rule) {
      return true;
    }
  }
  return false;
}

} // namespace dirsync::testing
