// `dirsync explain EMPLOYEE_NO`: how one person is matched and why they are or are not changed.
//
// It shows the person's link (and earlier links) and how it was made, their values in the newest
// accepted HR file beside the mirror's, and what the newest plan that concerned them decided, with
// the rule that decided it. Read-only: nothing is planned or changed.
#include "common/error.hpp"
#include "common/text.hpp"
#include "hr/normalize.hpp"
#include "config/loader.hpp"
#include "daemon/commands.hpp"
#include "daemon/exit_code.hpp"
#include "storage/hr_store.hpp"
#include "storage/link_store.hpp"
#include "storage/mirror_store.hpp"
#include "storage/plan_store.hpp"
#include "sync/planner.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>
#include <optional>
#include <ostream>

namespace dirsync::daemon {

namespace {

struct ExplainOptions
{
  std::string employee_no;
};

std::string date_of(std::optional<std::int64_t> t)
{
  return t ? format_date(*t) : std::string("?");
}

void print_link(std::ostream& out, const storage::Link& l)
{
  out << fmt::format("{} by {} on {}{}", l.open_id, storage::to_string(l.method), format_date(l.linked_at),
                     l.plan_id ? fmt::format(" (plan {})", *l.plan_id) : std::string());
}

void print_values(std::ostream& out, const hr::Person* p, const std::optional<storage::MirrorUser>& u)
{
  auto row = [&out](std::string_view field, const std::string& hr, const std::string& feishu) {
    out << fmt::format("  {:<14} {:<32} {}\n", field, hr, feishu);
  };
  auto opt = [](const auto& v) { return v ? std::to_string(*v) : std::string(); };
  const feishu::User empty;
  const feishu::User& f = u ? u->user : empty;
  row("field", "HR", "Feishu (mirror)");
  row("name", p ? p->name : "", f.name);
  row("en_name", p ? p->en_name : "", f.en_name);
  row("email", p ? p->email : "", f.email);
  row("mobile", p ? p->mobile : "", f.mobile);
  row("department", p ? (p->department_path.empty() ? p->department_id : join(p->department_path, "/")) : "",
      join(f.department_ids, ", "));
  row("job_title", p ? p->job_title : "", f.job_title);
  row("leader", p ? p->leader_employee_no : "", f.leader_user_id);
  row("employee_type", p ? opt(p->employee_type) : "", f.employee_type != 0 ? std::to_string(f.employee_type) : "");
  // Join dates are HR dates, midnight China Standard Time, in HR and (as dirsync sets them) in Feishu.
  row("join_time", p && p->join_time ? format_date(*p->join_time, hr::k_hr_date_utc_offset) : "",
      f.join_time != 0 ? format_date(f.join_time, hr::k_hr_date_utc_offset) : "");
  row("city", p ? p->city : "", f.city);
  row("work_station", p ? p->work_station : "", f.work_station);
  row("employee_no", p ? p->employee_no : "", f.employee_no);
  std::string state;
  if (u) {
    state = u->state == storage::MirrorState::resigned       ? "resigned"
            : u->state == storage::MirrorState::out_of_scope ? "out of scope"
            : f.is_frozen                                    ? "frozen"
                                                             : "active";
    if (f.is_tenant_manager) {
      state += ", tenant manager";
    }
  }
  row("status", p ? (p->status == hr::EmploymentStatus::active ? "active" : "terminated") : "", state);
}

ExitCode run_explain(const ExplainOptions& options, const Invocation& inv, std::ostream& out)
{
  const config::Config config = config::load_config(inv.config_path, config::SecretUse::optional);
  storage::Database db(config.storage.database, storage::OpenMode::read_only);
  const std::string& e = options.employee_no;
  out << fmt::format("employee {}\n", e);

  // Who is who.
  storage::LinkStore links(db);
  const std::optional<storage::Link> link = links.find_current(e);
  const storage::MirrorStore mirror(db);
  std::optional<storage::MirrorUser> user;
  if (link) {
    out << "link: ";
    print_link(out, *link);
    out << '\n';
    user = mirror.find_user(link->open_id);
  } else {
    user = mirror.find_user_by_employee_no(e);
    out << (user ? fmt::format("link: none yet; Feishu user {} carries this employee number, and the next plan "
                               "that lists {} links them\n",
                               user->user.open_id, e)
                 : "link: none; a plan links a person by employee number, then (only to a Feishu user without "
                   "one) by email, then by mobile\n");
  }
  for (const storage::Link& old : links.history(e)) {
    if (old.unlinked_at) {
      out << "earlier link: ";
      print_link(out, old);
      out << fmt::format(", closed on {}: {}\n", date_of(old.unlinked_at), old.unlink_reason);
    }
  }

  // HR beside Feishu.
  storage::HrStore hr_store(db);
  std::optional<hr::Person> person;
  std::string hr_source = "no accepted HR file yet";
  bool held = false;
  if (const std::optional<storage::HrFileRecord> file = hr_store.find_latest_accepted()) {
    const hr::Roster roster = hr_store.load_roster(file->id);
    for (const hr::Person& p : roster.people) {
      if (p.employee_no == e) {
        person = p;
      }
    }
    for (const std::string& h : roster.held_employee_nos) {
      held = held || h == e;
    }
    hr_source = fmt::format("HR file {} ({}, {} mode): {}", file->id, file->name, file->mode,
                            person ? fmt::format("row {}", person->row)
                            : held ? std::string("their row has errors (v_rejected_rows)")
                                   : std::string("not listed"));
  }
  out << hr_source << '\n';
  out << (user ? fmt::format("Feishu user {}\n", user->user.open_id) : std::string("no Feishu user\n"));
  print_values(out, person ? &*person : nullptr, user);

  // What the plans decided.
  storage::PlanStore plans(db);
  const std::vector<storage::Plan> latest = plans.list(1);
  const std::optional<storage::Plan> about = plans.find_latest_about(e);
  if (latest.empty()) {
    out << "no plan has been made yet\n";
  } else if (!about || about->id != latest.front().id) {
    out << fmt::format("plan {} (the newest, {}) changed nothing for them: HR and Feishu agree on the owned "
                       "fields, or they were not in its HR file\n",
                       latest.front().id, storage::to_string(latest.front().status));
  }
  if (about) {
    out << fmt::format("plan {} ({}, {}) decided:\n", about->id, storage::to_string(about->status),
                       format_date(about->created_at));
    for (const storage::PlanDecision& d : plans.decisions_for(about->id, e)) {
      out << fmt::format("  {}: {} [rule {}]\n", d.decision, d.detail, d.rule);
    }
    for (const storage::Operation& op : plans.operations_for(about->id, e)) {
      out << fmt::format("  operation {} {}: {}{}\n", op.seq, storage::to_string(op.kind),
                         storage::to_string(op.state), op.msg.empty() ? "" : " (" + op.msg + ")");
    }
  }
  return ExitCode::success;
}

} // namespace

void add_explain_command(CLI::App& app, Invocation& inv, std::ostream& out)
{
  auto options = std::make_shared<ExplainOptions>();
  auto* cmd = app.add_subcommand("explain", "How this person is matched, and why they are or are not changed");
  cmd->add_option("EMPLOYEE_NO", options->employee_no, "The HR employee number")->required();
  cmd->callback([&inv, &out, options] {
    inv.action = [&inv, &out, options] { return run_explain(*options, inv, out); };
  });
}

} // namespace dirsync::daemon
