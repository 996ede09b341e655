#include "daemon/plan_report.hpp"

#include <fmt/format.h>

#include <ostream>
#include <string>
#include <vector>

namespace dirsync::daemon {

namespace {

using storage::Operation;
using storage::OperationKind;

const char* group_title(OperationKind kind)
{
  switch (kind) {
  case OperationKind::resurrect:
    return "resurrect";
  case OperationKind::create:
    return "create";
  case OperationKind::update:
    return "update";
  case OperationKind::set_leader:
    return "set leader";
  case OperationKind::delete_user:
    return "delete";
  case OperationKind::freeze:
    return "freeze";
  }
  return "?";
}

std::string who(const Operation& op)
{
  std::string s = op.employee_no.empty() ? "-" : op.employee_no;
  if (!op.open_id.empty()) {
    s += " (" + op.open_id + ")";
  } else if (const json::Value* name = op.payload.find("name"); name != nullptr && name->is_string()) {
    s += " " + name->as_string();
  }
  return s;
}

void print_fields(std::ostream& out, const Operation& op)
{
  if (!op.payload.is_object()) {
    return;
  }
  for (const auto& [key, value] : op.payload.as_object()) {
    const json::Value* old = op.precondition.is_object() ? op.precondition.find(key) : nullptr;
    if (op.kind == OperationKind::update && old != nullptr) {
      out << fmt::format("      {}: {} -> {}\n", key, old->dump(), value.dump());
    } else if (op.kind == OperationKind::delete_user && key != "docs_acceptor_user_id") {
      continue; // every acceptor is the same user: docs_acceptor_user_id stands for them all
    } else {
      out << fmt::format("      {}: {}\n", key, value.dump());
    }
  }
}

} // namespace

void print_plan(std::ostream& out, const storage::Plan& plan)
{
  const storage::PlanCounts& c = plan.counts;
  out << fmt::format("plan {} ({}): {} creates, {} updates, {} deletes, {} resurrects, {} freezes, {} leader "
                     "settings; {} managed users; HR file {}, refresh {}\n",
                     plan.id, storage::to_string(plan.status), c.creates, c.updates, c.deletes, c.resurrects,
                     c.freezes, c.set_leaders, plan.managed_users, plan.hr_file_id, plan.refresh_run_id);
  if (plan.status == storage::PlanStatus::held) {
    out << "held by the safety rules:\n";
    for (const std::string& reason : plan.held_reasons) {
      out << "  - " << reason << '\n';
    }
    out << fmt::format("review it, then release it with: dirsync approve {}\n", plan.id);
  }
  if (plan.operations.empty()) {
    out << "nothing to change in Feishu\n";
  }
  std::size_t i = 0;
  while (i < plan.operations.size()) {
    const OperationKind kind = plan.operations[i].kind;
    std::size_t end = i;
    while (end < plan.operations.size() && plan.operations[end].kind == kind) {
      ++end;
    }
    out << fmt::format("\n{} ({}):\n", group_title(kind), end - i);
    for (; i < end; ++i) {
      const Operation& op = plan.operations[i];
      out << fmt::format("  {:>4}. {}: {}\n", op.seq, who(op), op.reason);
      print_fields(out, op);
    }
  }
  bool header = false;
  for (const storage::PlanDecision& d : plan.decisions) {
    if (storage::try_parse_operation_kind(d.decision)) {
      continue; // shown with its operation
    }
    if (!header) {
      out << "\nleft alone:\n";
      header = true;
    }
    out << fmt::format("  {} {}{}: {} [{}]\n", d.decision, d.employee_no.empty() ? "-" : d.employee_no,
                       d.open_id.empty() ? "" : " (" + d.open_id + ")", d.detail, d.rule);
  }
}

json::Value plan_to_json(const storage::Plan& plan)
{
  json::Value p = json::Value::object();
  p.set("id", plan.id);
  p.set("status", storage::to_string(plan.status));
  p.set("created_at", plan.created_at);
  p.set("hr_file_id", plan.hr_file_id);
  p.set("refresh_run_id", plan.refresh_run_id);
  p.set("managed_users", plan.managed_users);
  p.set("held_reasons", json::Value::string_array(plan.held_reasons));
  p.set("counts", json::Value::object({{"creates", plan.counts.creates},
                                       {"updates", plan.counts.updates},
                                       {"deletes", plan.counts.deletes},
                                       {"resurrects", plan.counts.resurrects},
                                       {"freezes", plan.counts.freezes},
                                       {"set_leaders", plan.counts.set_leaders}}));
  if (plan.status == storage::PlanStatus::held) {
    p.set("to_release", fmt::format("dirsync approve {}", plan.id));
  }
  json::Value ops = json::Value::array();
  for (const Operation& op : plan.operations) {
    json::Value o = json::Value::object();
    o.set("seq", op.seq);
    o.set("kind", storage::to_string(op.kind));
    o.set("employee_no", op.employee_no);
    o.set("open_id", op.open_id);
    o.set("reason", op.reason);
    if (!op.client_token.empty()) {
      o.set("client_token", op.client_token);
    }
    o.set("payload", op.payload);
    o.set("precondition", op.precondition);
    ops.push_back(std::move(o));
  }
  json::Value decisions = json::Value::array();
  for (const storage::PlanDecision& d : plan.decisions) {
    decisions.push_back(json::Value::object({{"employee_no", d.employee_no},
                                             {"open_id", d.open_id},
                                             {"decision", d.decision},
                                             {"rule", d.rule},
                                             {"detail", d.detail}}));
  }
  return json::Value::object({{"plan", std::move(p)}, {"operations", std::move(ops)}, {"decisions", std::move(decisions)}});
}

} // namespace dirsync::daemon
