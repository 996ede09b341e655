// The planner (DESIGN.md §6, §7).
//
// How a plan is made, in four passes over plain in-memory indexes (hash maps keyed by views into
// the inputs, so 1M people cost a few seconds and no copies of the snapshot):
//
// 1. Where things are. Departments are indexed by open_department_id, by path of names and by the
//    tenant's department_id (hr.department_key says which one an HR row uses). A department is in
//    scope when the nearest of itself and its ancestors named in sync.scope is an included one
//    (exclude_departments wins where it is the nearer). A user is in scope when every department
//    they are in is (a user with none sits at the root), and managed users (the base of the
//    percentage gates) are the active users in scope.
// 2. Who is who: sync/linker.hpp links each person to a Feishu user (or none) and finds the
//    conflicts; everyone a conflict involves is left alone.
// 3. What each person needs. An active row whose department cannot be resolved is a row problem
//    (unknown_department), one whose department or user is outside the scope is left alone; then
//    no user → create (unless the join date minus future_hires.pre_start_days is still ahead);
//    a resigned user → resurrect when the resignation was seen within rehire.resurrect_within_days
//    and nobody holds their email or mobile, else a new account (the old link is closed when the
//    create lands). Feishu has the last word on a resurrect: one it refused (users.resurrect_refused,
//    recorded by apply) is not planned again: past the recoverable time (44028) or user_id taken
//    (44032) → a new account; mobile or email taken (44030/44031) → a new account too, unless HR
//    still gives that same mobile or email, which no new account could have either: a conflict
//    decision (rehire.identity_taken), nothing planned; an active user → update of the owned fields that differ. A terminated row with
//    an active user, and (full mode only) a linked user whose employee number the export no
//    longer lists, is a leaver: delete with acceptors, or freeze; tenant managers and
//    safety.protected_users never are. Active users in scope that nobody claims are reported
//    (unclaimed), never deleted. Rows with errors (Roster::held_employee_nos) change nothing.
// 4. Order: resurrects, creates (a leader before their reports), updates, set_leader (for leaders
//    created in this plan, whose open_id is not known yet), leavers last; ties by employee number.
//
// Drift. For each owned field that differs, the HR value is compared with the same person's value
// in the roster of the last applied plan (the baseline): if HR still says what it said then, the
// difference was made in Feishu, and sync.drift decides: revert (update it back) or report (a
// drift decision, no change). Without a baseline, a difference is an HR change. An empty HR value
// never clears a Feishu value.
//
// Creates are idempotent. Each create carries a client_token derived only from what the request
// is (app id, employee number, the resigned account it replaces if any, and the request body): a
// retry of the operation, and a plan made again from the same data after a crash, send the same
// token, so Feishu returns the user it already made instead of a second one. If HR changed the
// person between the two plans the token differs (Feishu would refuse a reused token with other
// parameters, 40021); then the second create is stopped by Feishu's uniqueness of employee_no,
// email and mobile, and by apply, which looks the person up before resending an in-flight create.
#include "sync/planner.hpp"

#include "common/text.hpp"
#include "hr/normalize.hpp"

#include "hr/sha256.hpp"
#include "sync/linker.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>

namespace dirsync::sync {

using json::Value;
using storage::MirrorState;
using storage::MirrorUser;
using storage::Operation;
using storage::OperationKind;
using storage::PlanDecision;

std::string create_client_token(const std::string& app_id, const std::string& employee_no,
                                const std::string& replaces_open_id, const Value& payload)
{
  const std::string h = hr::sha256_hex("dirsync create\n" + app_id + "\n" + employee_no + "\n" +
                                       replaces_open_id + "\n" + payload.dump());
  return fmt::format("{}-{}-{}-{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 4), h.substr(16, 4),
                     h.substr(20, 12));
}

namespace {

constexpr std::int64_t k_day = 86400;
// Feishu's answers refusing a resurrect (feishu-contact-api.md; recorded by apply in the mirror).
constexpr long long k_past_recoverable_time = 44028;
constexpr long long k_mobile_taken = 44030;
constexpr long long k_email_taken = 44031;
constexpr long long k_user_id_taken = 44032;

bool is_resigned(const MirrorUser& u)
{
  return u.state == MirrorState::resigned || u.user.status.is_resigned;
}

bool is_active(const MirrorUser& u)
{
  return u.state == MirrorState::active && !u.user.status.is_resigned;
}

std::string path_key(const std::vector<std::string>& path)
{
  std::string key;
  for (const std::string& level : path) {
    key += level;
    key.push_back('\x1f');
  }
  return key;
}

bool same_email(const std::string& hr, const std::string& feishu)
{
  return hr.size() == feishu.size() && (hr == feishu || hr == lower_ascii(feishu));
}

bool same_mobile(const std::string& hr, const std::string& feishu)
{
  return is_canonical_mobile(feishu) ? hr == feishu : hr == canonical_mobile(feishu);
}

std::string quoted(const Value& v)
{
  if (v.is_null()) {
    return "(none)";
  }
  return v.dump();
}

// What pass 3 decided for one person.
enum class Outcome { none, create, resurrect, linked };

struct PersonState
{
  Outcome outcome = Outcome::none;
  const MirrorUser* user = nullptr;  // linked or resurrected user; the replaced one for a rehire create
  std::string department;            // resolved open_department_id
};

// An operation with the rule that made it, before ordering.
struct PlannedOp
{
  Operation op;
  std::string rule;
  int depth = 0; // creates: how many leaders above it are created in the same plan
};

class PlanBuilder
{
public:
  PlanBuilder(const config::SyncConfig& sync, config::DepartmentKey key, const std::string& app_id,
              const PlanInput& in)
    : m_sync(sync),
      m_key(key),
      m_app_id(app_id),
      m_in(in),
      m_linker(in.mirror, in.links)
  {
    for (const std::string& f : sync.owned_fields) {
      m_owned.insert(f);
    }
    for (const std::string& p : sync.safety.protected_users) {
      m_protected.insert(p);
    }
  }

  storage::Plan build()
  {
    storage::Plan plan;
    plan.created_at = m_in.now;
    plan.hr_file_id = m_in.hr_file_id;
    plan.refresh_run_id = m_in.mirror.refresh.id;

    index_departments();
    index_people();
    for (const MirrorUser& u : m_in.mirror.users) {
      if (is_active(u) && user_in_scope(u)) {
        ++plan.managed_users;
      }
    }

    LinkChecks checks;
    checks.email_owned = owned("email");
    checks.mobile_owned = owned("mobile");
    m_linking = m_linker.link(m_in.roster, checks);
    record_conflicts();

    decide_people(plan);
    plan_people();
    plan_leavers();
    report_unclaimed();
    report_held();

    order(plan);
    return plan;
  }

private:
  // ---- pass 1: where things are --------------------------------------------------------------

  void index_departments()
  {
    for (const storage::MirrorDepartment& d : m_in.mirror.departments) {
      const std::string& id = d.department.open_department_id;
      m_parent.emplace(id, d.department.parent_department_id);
      if (d.is_deleted || !d.in_scope || d.department.status.is_deleted) {
        continue;
      }
      m_by_path.emplace(path_key(d.path), id);
      if (!d.department.department_id.empty()) {
        m_by_department_id.emplace(d.department.department_id, id);
      }
      m_known.insert(id);
    }
    auto resolve = [this](const std::string& entry) -> std::string {
      if (entry == "0") {
        return entry;
      }
      if (auto it = m_by_department_id.find(entry); it != m_by_department_id.end()) {
        return std::string(it->second);
      }
      return entry; // an open_department_id, or unknown (then it matches nothing)
    };
    for (const std::string& e : m_sync.scope.departments) {
      m_scope_marks.emplace(resolve(e), true);
    }
    for (const std::string& e : m_sync.scope.exclude_departments) {
      m_scope_marks[resolve(e)] = false;
    }
  }

  bool department_in_scope(const std::string& open_department_id)
  {
    if (auto it = m_scope_cache.find(open_department_id); it != m_scope_cache.end()) {
      return it->second;
    }
    bool result = false;
    std::string at = open_department_id;
    for (std::size_t guard = 0; guard < 1000; ++guard) {
      if (auto mark = m_scope_marks.find(at); mark != m_scope_marks.end()) {
        result = mark->second;
        break;
      }
      if (at == "0" || at.empty()) {
        break;
      }
      auto parent = m_parent.find(at);
      at = parent == m_parent.end() ? std::string("0") : parent->second;
    }
    m_scope_cache.emplace(open_department_id, result);
    return result;
  }

  bool user_in_scope(const MirrorUser& u)
  {
    if (u.state == MirrorState::out_of_scope) {
      return false;
    }
    if (u.user.department_ids.empty()) {
      return department_in_scope("0");
    }
    return std::all_of(u.user.department_ids.begin(), u.user.department_ids.end(),
                       [this](const std::string& d) { return department_in_scope(d); });
  }

  std::optional<std::string> resolve_department(const hr::Person& p) const
  {
    if (m_key == config::DepartmentKey::path) {
      if (p.department_path.empty()) {
        return std::string("0");
      }
      if (auto it = m_by_path.find(path_key(p.department_path)); it != m_by_path.end()) {
        return std::string(it->second);
      }
      return std::nullopt;
    }
    if (auto it = m_by_department_id.find(p.department_id); it != m_by_department_id.end()) {
      return std::string(it->second);
    }
    if (p.department_id == "0") {
      return p.department_id;
    }
    return std::nullopt;
  }

  static std::string department_text(const hr::Person& p)
  {
    if (!p.department_path.empty()) {
      std::string s;
      for (const std::string& level : p.department_path) {
        s += (s.empty() ? "" : "/") + level;
      }
      return s;
    }
    return p.department_id;
  }

  void index_people()
  {
    m_index.reserve(m_in.roster.people.size());
    for (std::size_t i = 0; i < m_in.roster.people.size(); ++i) {
      m_index.emplace(m_in.roster.people[i].employee_no, i);
    }
    if (m_in.baseline != nullptr) {
      m_baseline.reserve(m_in.baseline->people.size());
      for (const hr::Person& p : m_in.baseline->people) {
        m_baseline.emplace(p.employee_no, &p);
      }
    }
    for (const std::string& e : m_in.roster.held_employee_nos) {
      m_held.insert(e);
    }
  }

  bool owned(std::string_view field) const { return m_owned.count(std::string(field)) != 0; }

  bool is_protected(const MirrorUser& u, const std::string& employee_no) const
  {
    return m_protected.count(u.user.open_id) != 0 || (!employee_no.empty() && m_protected.count(employee_no) != 0) ||
           (!u.user.employee_no.empty() && m_protected.count(u.user.employee_no) != 0);
  }

  void decide(std::string employee_no, std::string open_id, std::string decision, std::string rule,
              std::string detail)
  {
    m_decisions.push_back(
      {std::move(employee_no), std::move(open_id), std::move(decision), std::move(rule), std::move(detail)});
  }

  // ---- pass 2: conflicts -----------------------------------------------------------------------

  void record_conflicts()
  {
    for (const LinkConflict& c : m_linking.conflicts) {
      decide(c.employee_no, c.open_id, "conflict", c.rule, c.detail + "; nothing is planned for either side");
      if (c.rule != "link.claimed_twice" && !c.other_employee_no.empty()) {
        decide(c.other_employee_no, c.open_id, "conflict", c.rule,
               c.detail + "; nothing is planned for either side");
      }
    }
  }

  // ---- pass 3: each person ---------------------------------------------------------------------

  bool future_hire(const hr::Person& p)
  {
    if (!p.join_time) {
      return false;
    }
    const std::int64_t from = *p.join_time - std::int64_t{m_sync.future_hires.pre_start_days} * k_day;
    if (from <= m_in.now) {
      return false;
    }
    decide(p.employee_no, "", "future_hire", "future_hires.pre_start_days",
           fmt::format("joins on {}; waits until {} (future_hires.pre_start_days: {})", format_date(*p.join_time, hr::k_hr_date_utc_offset),
                       format_date(from, hr::k_hr_date_utc_offset), m_sync.future_hires.pre_start_days));
    return true;
  }

  bool someone_else_holds(const MirrorUser& u) const
  {
    const MirrorUser* by_email = u.user.email.empty() ? nullptr : m_linker.find_holder_of_email(u.user.email);
    const MirrorUser* by_mobile = u.user.mobile.empty() ? nullptr : m_linker.find_holder_of_mobile(u.user.mobile);
    return (by_email != nullptr && by_email != &u) || (by_mobile != nullptr && by_mobile != &u);
  }

  // After Feishu refused a resurrect because the resigned user's mobile (44030) or email (44031)
  // is held by someone else: that field's name when HR gives the person the same value (a new
  // account could not have it either), else nullopt. A taken user_id (44032) does not stop a new
  // account: dirsync does not set user_id on a create.
  static std::optional<std::string> still_taken(const hr::Person& p, const MirrorUser& u, long long refused)
  {
    if (refused == k_mobile_taken && !p.mobile.empty() && !u.user.mobile.empty() &&
        same_mobile(p.mobile, u.user.mobile)) {
      return "mobile";
    }
    if (refused == k_email_taken && !p.email.empty() && !u.user.email.empty() &&
        same_email(p.email, u.user.email)) {
      return "email";
    }
    return std::nullopt;
  }

  // The other side of a refused resurrect, as far as the mirror knows it.
  std::string holder_text(const MirrorUser& u, long long refused) const
  {
    const MirrorUser* holder = refused == k_mobile_taken ? m_linker.find_holder_of_mobile(u.user.mobile)
                                                         : m_linker.find_holder_of_email(u.user.email);
    if (holder == nullptr || holder == &u) {
      return " outside what the app can see";
    }
    return fmt::format(": {} ({}{})", holder->user.open_id, holder->user.name,
                       holder->user.employee_no.empty() ? "" : ", employee_no " + holder->user.employee_no);
  }

  void decide_people(storage::Plan& plan)
  {
    m_state.resize(m_in.roster.people.size());
    for (std::size_t i = 0; i < m_in.roster.people.size(); ++i) {
      const hr::Person& p = m_in.roster.people[i];
      const PersonLink& pl = m_linking.people[i];
      PersonState& st = m_state[i];
      if (m_linking.conflicted_employee_nos.count(p.employee_no) != 0) {
        continue;
      }
      if (pl.link_missing) {
        const storage::Link* l = m_linker.find_link_by_employee_no(p.employee_no);
        decide(p.employee_no, l != nullptr ? l->open_id : "", "left_alone", "link.user_missing",
               "linked to a Feishu user the mirror does not have; run `dirsync refresh` and check the link");
        continue;
      }
      if (pl.is_new && pl.user != nullptr && !is_resigned(*pl.user)) {
        plan.new_links.push_back({0, p.employee_no, pl.user->user.open_id, pl.method, m_in.now, std::nullopt,
                                  std::nullopt, ""});
      }
      if (p.status != hr::EmploymentStatus::active) {
        continue; // leavers are planned with the others in plan_leavers()
      }
      const std::optional<std::string> dept = resolve_department(p);
      if (!dept) {
        decide(p.employee_no, pl.user != nullptr ? pl.user->user.open_id : "", "unknown_department",
               "department.unknown",
               fmt::format("HR row {}: department \"{}\" does not exist in the mirror; fix the row or create "
                           "the department in Feishu",
                           p.row, department_text(p)));
        continue;
      }
      if (!department_in_scope(*dept)) {
        decide(p.employee_no, pl.user != nullptr ? pl.user->user.open_id : "", "out_of_scope",
               "scope.department_outside",
               fmt::format("HR row {}: department \"{}\" is outside sync.scope; dirsync changes nothing there",
                           p.row, department_text(p)));
        continue;
      }
      st.department = *dept;
      if (pl.user == nullptr) {
        if (!future_hire(p)) {
          st.outcome = Outcome::create;
        }
        continue;
      }
      if (is_resigned(*pl.user)) {
        if (future_hire(p)) {
          continue;
        }
        if (const auto refused = pl.user->resurrect_refused) {
          // Feishu refused this resurrect before: sending it again would fail again.
          if (const std::optional<std::string> taken = still_taken(p, *pl.user, *refused)) {
            decide(p.employee_no, pl.user->user.open_id, "conflict", "rehire.identity_taken",
                   fmt::format("HR row {} (employee_no {}) is a rehire of {} (resigned), but Feishu refused to "
                               "resurrect them ({}: their {} is now held by another user{}), and HR still gives "
                               "that {}, so a new account could not have it either; nothing is planned: free it "
                               "in Feishu, or give the person another {} in HR",
                               p.row, p.employee_no, pl.user->user.open_id, *refused, *taken,
                               holder_text(*pl.user, *refused), *taken, *taken));
            continue;
          }
          st.user = pl.user;
          st.outcome = Outcome::create;
          continue;
        }
        st.user = pl.user;
        const std::int64_t window = std::int64_t{m_sync.rehire.resurrect_within_days} * k_day;
        const bool recent = pl.user->resigned_seen_at && m_in.now - *pl.user->resigned_seen_at <= window;
        st.outcome = recent && !someone_else_holds(*pl.user) ? Outcome::resurrect : Outcome::create;
        continue;
      }
      if (!user_in_scope(*pl.user)) {
        decide(p.employee_no, pl.user->user.open_id, "out_of_scope", "scope.user_outside",
               "the Feishu user is outside sync.scope (or no longer visible to the app); dirsync changes nothing");
        continue;
      }
      st.outcome = Outcome::linked;
      st.user = pl.user;
    }
  }

  // The open_id a person's leader will have: known, created in this plan (set_leader), or unknown.
  struct LeaderTarget
  {
    enum { none, known, in_plan, unresolved } kind = none;
    std::string open_id;
  };

  LeaderTarget leader_of(const hr::Person& p) const
  {
    if (p.leader_employee_no.empty()) {
      return {};
    }
    if (auto it = m_index.find(p.leader_employee_no); it != m_index.end()) {
      const PersonState& ls = m_state[it->second];
      switch (ls.outcome) {
      case Outcome::linked:
      case Outcome::resurrect:
        return {LeaderTarget::known, ls.user->user.open_id};
      case Outcome::create:
        return {LeaderTarget::in_plan, ""};
      case Outcome::none:
        break;
      }
      const PersonLink& pl = m_linking.people[it->second];
      if (pl.user != nullptr && is_active(*pl.user) &&
          m_linking.conflicted_employee_nos.count(p.leader_employee_no) == 0) {
        return {LeaderTarget::known, pl.user->user.open_id}; // e.g. the leader's own row is out of scope
      }
      return {LeaderTarget::unresolved, ""};
    }
    if (const storage::Link* l = m_linker.find_link_by_employee_no(p.leader_employee_no)) {
      if (const MirrorUser* u = m_linker.find_user(l->open_id); u != nullptr && is_active(*u)) {
        return {LeaderTarget::known, u->user.open_id};
      }
      return {LeaderTarget::unresolved, ""};
    }
    if (const MirrorUser* u = m_linker.find_user_by_employee_no(p.leader_employee_no)) {
      return {LeaderTarget::known, u->user.open_id};
    }
    return {LeaderTarget::unresolved, ""};
  }

  void plan_people()
  {
    for (std::size_t i = 0; i < m_in.roster.people.size(); ++i) {
      const hr::Person& p = m_in.roster.people[i];
      const PersonState& st = m_state[i];
      switch (st.outcome) {
      case Outcome::none:
        break;
      case Outcome::create:
        plan_create(p, st);
        break;
      case Outcome::resurrect:
        plan_resurrect(p, st);
        break;
      case Outcome::linked:
        plan_update(p, st);
        break;
      }
    }
  }

  void add_op(OperationKind kind, const hr::Person* p, std::string open_id, std::string reason, Value payload,
              Value precondition, std::string rule)
  {
    PlannedOp po;
    po.op.kind = kind;
    po.op.employee_no = p != nullptr ? p->employee_no : std::string();
    po.op.open_id = std::move(open_id);
    po.op.reason = std::move(reason);
    po.op.payload = std::move(payload);
    po.op.precondition = std::move(precondition);
    po.rule = std::move(rule);
    m_ops.push_back(std::move(po));
  }

  // A set_leader for `p`, whose leader is created in this plan.
  void plan_set_leader(const hr::Person& p, const std::string& open_id, Value precondition)
  {
    add_op(OperationKind::set_leader, &p, open_id,
           fmt::format("leader {} is created in this plan", p.leader_employee_no),
           Value::object({{"leader_employee_no", p.leader_employee_no}}), std::move(precondition), "leader.in_plan");
  }

  void note_unresolved_leader(const hr::Person& p, const std::string& open_id)
  {
    decide(p.employee_no, open_id, "unresolved_leader", "leader.unresolved",
           fmt::format("HR row {}: leader {} has no Feishu user this plan can name (not linked, held or in "
                       "conflict); the leader is left as it is",
                       p.row, p.leader_employee_no));
  }

  void plan_create(const hr::Person& p, const PersonState& st)
  {
    feishu::UserCreate c;
    c.name = p.name;
    c.department_ids = {st.department};
    c.employee_type = p.employee_type.value_or(1);
    if (!p.mobile.empty()) {
      c.mobile = p.mobile;
    }
    if (!p.email.empty()) {
      c.email = p.email;
    }
    if (!p.en_name.empty()) {
      c.en_name = p.en_name;
    }
    if (p.gender) {
      c.gender = *p.gender;
    }
    if (!p.city.empty()) {
      c.city = p.city;
    }
    if (!p.work_station.empty()) {
      c.work_station = p.work_station;
    }
    if (p.join_time) {
      c.join_time = *p.join_time;
    }
    c.employee_no = p.employee_no;
    if (!p.job_title.empty()) {
      c.job_title = p.job_title;
    }
    const LeaderTarget leader = leader_of(p);
    if (leader.kind == LeaderTarget::known) {
      c.leader_user_id = leader.open_id;
    }
    Value payload = feishu::encode(c);
    const std::string replaces = st.user != nullptr ? st.user->user.open_id : std::string();
    std::string reason;
    std::string rule;
    if (st.user == nullptr) {
      reason = fmt::format("new in HR (row {})", p.row);
      rule = "create.new_hire";
    } else {
      reason = fmt::format("rehired (row {}); {} (resignation {}) cannot be resurrected ({}); a new account "
                           "replaces it and the old link is kept as history",
                           p.row, replaces, resignation_seen(*st.user), why_not_resurrected(*st.user));
      rule = "rehire.create_anew";
    }
    add_op(OperationKind::create, &p, "", std::move(reason), payload, Value(), std::move(rule));
    m_ops.back().op.client_token = create_client_token(m_app_id, p.employee_no, replaces, payload);
    m_ops.back().depth = create_depth(p);
    if (leader.kind == LeaderTarget::in_plan && owned("leader")) {
      plan_set_leader(p, "", Value());
    } else if (leader.kind == LeaderTarget::unresolved) {
      note_unresolved_leader(p, "");
    }
  }

  // When dirsync first saw the resignation: a refresh, a delete of its own, or the rehire look-up
  // (sync/rehire_lookup.hpp) of a user who had resigned before; Feishu does not say when.
  static std::string resignation_seen(const MirrorUser& u)
  {
    return u.resigned_seen_at ? "first seen by dirsync on " + format_date(*u.resigned_seen_at) : "not dated";
  }

  std::string why_not_resurrected(const MirrorUser& u) const
  {
    if (u.resurrect_refused) {
      switch (*u.resurrect_refused) {
      case k_past_recoverable_time:
        return "Feishu refused the resurrect: 44028, past the recoverable time";
      case k_mobile_taken:
        return "Feishu refused the resurrect: 44030, their mobile is held by another user";
      case k_email_taken:
        return "Feishu refused the resurrect: 44031, their email is held by another user";
      case k_user_id_taken:
        return "Feishu refused the resurrect: 44032, their user_id is held by another user";
      default:
        return fmt::format("Feishu refused the resurrect: {}", *u.resurrect_refused);
      }
    }
    return someone_else_holds(u) ? "another user now holds their email or mobile"
                                 : "beyond rehire.resurrect_within_days";
  }

  int create_depth(const hr::Person& p) const
  {
    int depth = 0;
    const hr::Person* at = &p;
    while (!at->leader_employee_no.empty() && depth < 10000) {
      auto it = m_index.find(at->leader_employee_no);
      if (it == m_index.end() || m_state[it->second].outcome != Outcome::create) {
        break;
      }
      at = &m_in.roster.people[it->second];
      ++depth;
    }
    return depth;
  }

  void plan_resurrect(const hr::Person& p, const PersonState& st)
  {
    const MirrorUser& u = *st.user;
    feishu::UserResurrect r;
    r.departments.push_back({st.department, std::nullopt, std::nullopt});
    add_op(OperationKind::resurrect, &p, u.user.open_id,
           fmt::format("rehired (row {}); resignation {}, within rehire.resurrect_within_days ({}); Feishu "
                       "has the last word",
                       p.row, resignation_seen(u), m_sync.rehire.resurrect_within_days),
           feishu::encode(r), Value::object({{"is_resigned", true}}), "rehire.resurrect");

    // Feishu does not restore a resurrected user's fields: set every owned field HR gives.
    feishu::UserPatch patch;
    patch.department_ids = std::vector<std::string>{st.department};
    patch.employee_no = p.employee_no;
    set_owned_fields(p, patch);
    const LeaderTarget leader = leader_of(p);
    if (owned("leader") && leader.kind == LeaderTarget::known) {
      patch.leader_user_id = leader.open_id;
    }
    add_op(OperationKind::update, &p, u.user.open_id, "restore HR's fields after the resurrect",
           feishu::encode(patch), Value(), "rehire.resurrect");
    if (owned("leader") && leader.kind == LeaderTarget::in_plan) {
      plan_set_leader(p, u.user.open_id, Value());
    } else if (owned("leader") && leader.kind == LeaderTarget::unresolved) {
      note_unresolved_leader(p, u.user.open_id);
    }
  }

  void set_owned_fields(const hr::Person& p, feishu::UserPatch& patch) const
  {
    auto text = [this](std::string_view field, const std::string& value, std::optional<std::string>& out) {
      if (owned(field) && !value.empty()) {
        out = value;
      }
    };
    text("name", p.name, patch.name);
    text("en_name", p.en_name, patch.en_name);
    text("email", p.email, patch.email);
    text("mobile", p.mobile, patch.mobile);
    text("job_title", p.job_title, patch.job_title);
    text("city", p.city, patch.city);
    text("work_station", p.work_station, patch.work_station);
    if (owned("employee_type") && p.employee_type) {
      patch.employee_type = *p.employee_type;
    }
    if (owned("join_time") && p.join_time) {
      patch.join_time = *p.join_time;
    }
  }

  // One owned field of an update: HR's wish, Feishu's value, and whether HR changed it since the
  // baseline.
  struct FieldDiff
  {
    std::string_view owned_name;
    std::string_view key;
    Value want;
    Value have;
    bool differs = false;
    bool hr_changed = true;
  };

  void plan_update(const hr::Person& p, const PersonState& st)
  {
    const MirrorUser& u = *st.user;
    const hr::Person* base = nullptr;
    if (auto it = m_baseline.find(p.employee_no); it != m_baseline.end()) {
      base = it->second;
    }
    std::vector<FieldDiff> diffs;
    auto text = [&](std::string_view field, std::string_view key, const std::string& want, const std::string& have,
                    bool differs, const std::string* base_value) {
      if (want.empty() || !differs) {
        return; // an empty HR value never clears a Feishu one
      }
      diffs.push_back({field, key, Value(want), Value(have), true, base_value == nullptr || *base_value != want});
    };
    text("name", "name", p.name, u.user.name, p.name != u.user.name, base ? &base->name : nullptr);
    text("en_name", "en_name", p.en_name, u.user.en_name, p.en_name != u.user.en_name, base ? &base->en_name : nullptr);
    text("email", "email", p.email, u.user.email, !same_email(p.email, u.user.email), base ? &base->email : nullptr);
    text("mobile", "mobile", p.mobile, u.user.mobile, !same_mobile(p.mobile, u.user.mobile),
         base ? &base->mobile : nullptr);
    text("job_title", "job_title", p.job_title, u.user.job_title, p.job_title != u.user.job_title,
         base ? &base->job_title : nullptr);
    text("city", "city", p.city, u.user.city, p.city != u.user.city, base ? &base->city : nullptr);
    text("work_station", "work_station", p.work_station, u.user.work_station, p.work_station != u.user.work_station,
         base ? &base->work_station : nullptr);
    // The employee number is the anchor: set it where Feishu has none; a different one is drift.
    if (p.employee_no != u.user.employee_no) {
      diffs.push_back({"", "employee_no", Value(p.employee_no), Value(u.user.employee_no), true,
                       u.user.employee_no.empty() || base == nullptr});
    }
    if (p.employee_type && *p.employee_type != u.user.employee_type) {
      diffs.push_back({"employee_type", "employee_type", Value(*p.employee_type), Value(u.user.employee_type), true,
                       base == nullptr || base->employee_type != p.employee_type});
    }
    if (p.join_time && *p.join_time != u.user.join_time) {
      diffs.push_back({"join_time", "join_time", Value(*p.join_time), Value(u.user.join_time), true,
                       base == nullptr || base->join_time != p.join_time});
    }
    if (u.user.department_ids.size() != 1 || u.user.department_ids.front() != st.department) {
      const bool hr_changed = base == nullptr || base->department_path != p.department_path ||
                              base->department_id != p.department_id;
      diffs.push_back({"department", "department_ids", Value::string_array({st.department}),
                       Value::string_array(u.user.department_ids), true, hr_changed});
    }
    const LeaderTarget leader = leader_of(p);
    bool leader_in_plan = false;
    if (owned("leader")) {
      const bool hr_changed = base == nullptr || base->leader_employee_no != p.leader_employee_no;
      if (leader.kind == LeaderTarget::known) {
        diffs.push_back({"leader", "leader_user_id", Value(leader.open_id), Value(u.user.leader_user_id),
                         leader.open_id != u.user.leader_user_id, hr_changed});
      } else if (leader.kind == LeaderTarget::in_plan) {
        leader_in_plan = true;
      } else if (leader.kind == LeaderTarget::unresolved) {
        note_unresolved_leader(p, u.user.open_id);
      }
    }

    Value payload = Value::object();
    Value precondition = Value::object();
    std::vector<std::string> changed;
    std::vector<std::string> reverted;
    std::vector<std::string> drifted;
    for (const FieldDiff& d : diffs) {
      if (!d.differs || (!d.owned_name.empty() && !owned(d.owned_name))) {
        continue;
      }
      const std::string name(d.owned_name.empty() ? d.key : d.owned_name);
      if (!d.hr_changed) {
        if (m_sync.drift == config::DriftPolicy::report) {
          drifted.push_back(fmt::format("{}: Feishu has {}, HR still says {}", name, quoted(d.have), quoted(d.want)));
          continue;
        }
        reverted.push_back(name);
      } else {
        changed.push_back(name);
      }
      payload.set(d.key, d.want);
      precondition.set(d.key, d.have);
    }
    if (m_sync.leaver.action == config::LeaverAction::freeze && u.user.is_frozen) {
      payload.set("is_frozen", false);
      precondition.set("is_frozen", true);
      changed.push_back("unfrozen (active in HR again; leavers are frozen)");
    }
    if (!drifted.empty()) {
      std::string detail = "edited in Feishu, reported and not reverted (sync.drift: report): ";
      for (std::size_t k = 0; k < drifted.size(); ++k) {
        detail += (k == 0 ? "" : "; ") + drifted[k];
      }
      decide(p.employee_no, u.user.open_id, "drift", "drift.report", std::move(detail));
    }
    if (payload.size() != 0) {
      std::string reason;
      if (!changed.empty()) {
        reason = "HR changed: " + join(changed);
      }
      if (!reverted.empty()) {
        reason += (reason.empty() ? "" : "; ") + std::string("reverting Feishu-side edits: ") + join(reverted);
      }
      add_op(OperationKind::update, &p, u.user.open_id, std::move(reason), std::move(payload),
             std::move(precondition), changed.empty() ? "drift.revert" : "update.hr_changed");
    }
    if (leader_in_plan) {
      plan_set_leader(p, u.user.open_id, Value::object({{"leader_user_id", u.user.leader_user_id}}));
    }
  }

  static std::string join(const std::vector<std::string>& items)
  {
    std::string s;
    for (const std::string& item : items) {
      s += (s.empty() ? "" : ", ") + item;
    }
    return s;
  }

  // ---- leavers ---------------------------------------------------------------------------------

  struct Leaver
  {
    const MirrorUser* user;
    std::string employee_no;
    std::string reason;
    std::string rule;
  };

  void plan_leavers()
  {
    std::vector<Leaver> leavers;
    for (std::size_t i = 0; i < m_in.roster.people.size(); ++i) {
      const hr::Person& p = m_in.roster.people[i];
      const PersonLink& pl = m_linking.people[i];
      if (p.status == hr::EmploymentStatus::terminated && pl.user != nullptr && !is_resigned(*pl.user) &&
          m_linking.conflicted_employee_nos.count(p.employee_no) == 0) {
        leavers.push_back({pl.user, p.employee_no, fmt::format("terminated in HR (row {})", p.row),
                           "leaver.terminated"});
      }
    }
    if (m_in.mode == config::HrMode::full) {
      std::vector<const storage::Link*> links;
      for (const storage::Link& l : m_in.links) {
        if (!l.unlinked_at && m_index.count(l.employee_no) == 0 && m_held.count(l.employee_no) == 0) {
          links.push_back(&l);
        }
      }
      for (const storage::Link* l : links) {
        const MirrorUser* u = m_linker.find_user(l->open_id);
        if (u == nullptr || is_resigned(*u) || m_linking.conflicted_open_ids.count(u->user.open_id) != 0) {
          continue;
        }
        leavers.push_back({u, l->employee_no, "absent from the full HR export", "leaver.absent_from_full_export"});
      }
    }
    for (const Leaver& l : leavers) {
      if (m_linking.conflicted_open_ids.count(l.user->user.open_id) == 0) {
        m_leaving.insert(l.user->user.open_id);
      }
    }
    for (const Leaver& l : leavers) {
      const MirrorUser& u = *l.user;
      if (m_linking.conflicted_open_ids.count(u.user.open_id) != 0) {
        continue;
      }
      if (!user_in_scope(u)) {
        decide(l.employee_no, u.user.open_id, "out_of_scope", "scope.user_outside",
               l.reason + ", but the Feishu user is outside sync.scope; dirsync changes nothing");
        continue;
      }
      if (u.user.is_tenant_manager) {
        decide(l.employee_no, u.user.open_id, "protected", "safety.tenant_manager",
               l.reason + ", but tenant managers are never deleted or frozen");
        continue;
      }
      if (is_protected(u, l.employee_no)) {
        decide(l.employee_no, u.user.open_id, "protected", "safety.protected_users",
               l.reason + ", but listed in safety.protected_users: never deleted or frozen");
        continue;
      }
      const hr::Person* p = nullptr;
      if (auto it = m_index.find(l.employee_no); it != m_index.end()) {
        p = &m_in.roster.people[it->second];
      }
      if (m_sync.leaver.action == config::LeaverAction::freeze) {
        if (u.user.is_frozen || u.user.status.is_frozen) {
          continue;
        }
        feishu::UserPatch patch;
        patch.is_frozen = true;
        add_op(OperationKind::freeze, p, u.user.open_id, l.reason + " (sync.leaver.action: freeze)",
               feishu::encode(patch), Value::object({{"is_frozen", false}}), l.rule);
        m_ops.back().op.employee_no = l.employee_no;
        continue;
      }
      std::string acceptor_note;
      const std::string acceptor = find_acceptor(u, acceptor_note);
      feishu::UserDelete del;
      if (!acceptor.empty()) {
        del.department_chat_acceptor_user_id = acceptor;
        del.external_chat_acceptor_user_id = acceptor;
        del.docs_acceptor_user_id = acceptor;
        del.calendar_acceptor_user_id = acceptor;
        del.application_acceptor_user_id = acceptor;
        del.minutes_acceptor_user_id = acceptor;
        del.survey_acceptor_user_id = acceptor;
        del.anycross_acceptor_user_id = acceptor;
        del.email_acceptor = feishu::EmailAcceptor{"1", acceptor};
      }
      add_op(OperationKind::delete_user, p, u.user.open_id, l.reason + "; " + acceptor_note, feishu::encode(del),
             Value::object({{"is_resigned", false}}), l.rule);
      m_ops.back().op.employee_no = l.employee_no;
    }
  }

  // An active user who stays: the one who receives a leaver's documents, chats, calendars and mail.
  std::string resolve_acceptor(const std::string& spec, const MirrorUser& leaver) const
  {
    const MirrorUser* u = nullptr;
    if (spec == "leader") {
      u = leaver.user.leader_user_id.empty() ? nullptr : m_linker.find_user(leaver.user.leader_user_id);
    } else if (!spec.empty()) {
      if (const storage::Link* l = m_linker.find_link_by_employee_no(spec)) {
        u = m_linker.find_user(l->open_id);
      } else {
        u = m_linker.find_user_by_employee_no(spec);
      }
    }
    if (u == nullptr || !is_active(*u) || m_leaving.count(u->user.open_id) != 0 || u == &leaver) {
      return {};
    }
    return u->user.open_id;
  }

  std::string find_acceptor(const MirrorUser& leaver, std::string& note) const
  {
    const config::LeaverConfig& cfg = m_sync.leaver;
    if (std::string a = resolve_acceptor(cfg.acceptor, leaver); !a.empty()) {
      note = fmt::format("their resources go to {} (sync.leaver.acceptor: {})", a, cfg.acceptor);
      return a;
    }
    if (std::string a = resolve_acceptor(cfg.fallback_acceptor, leaver); !a.empty()) {
      note = fmt::format("their resources go to {} (sync.leaver.fallback_acceptor: {})", a, cfg.fallback_acceptor);
      return a;
    }
    note = cfg.acceptor.empty() ? "no acceptor configured: Feishu's defaults apply"
                                : fmt::format("acceptor \"{}\" cannot be resolved to a user who stays: Feishu's "
                                              "defaults apply",
                                              cfg.acceptor);
    return {};
  }

  // ---- reports ---------------------------------------------------------------------------------

  void report_unclaimed()
  {
    if (m_in.mode != config::HrMode::full) {
      return; // in a delta file absence means nothing
    }
    std::unordered_set<std::string_view> claimed;
    claimed.reserve(m_linking.people.size());
    for (const PersonLink& pl : m_linking.people) {
      if (pl.user != nullptr) {
        claimed.insert(pl.user->user.open_id);
      }
    }
    for (const MirrorUser& u : m_in.mirror.users) {
      if (!is_active(u) || claimed.count(u.user.open_id) != 0 ||
          m_linker.find_link_by_open_id(u.user.open_id) != nullptr ||
          m_linking.conflicted_open_ids.count(u.user.open_id) != 0 || !user_in_scope(u)) {
        continue;
      }
      if (!u.user.employee_no.empty() && m_held.count(u.user.employee_no) != 0) {
        continue; // reported as held
      }
      decide(u.user.employee_no, u.user.open_id, "unclaimed", "scope.unclaimed",
             fmt::format("{} ({}) is in scope but no HR row claims them{}: reported, not deleted", u.user.open_id,
                         u.user.name,
                         u.user.employee_no.empty() ? " (no employee number, no email or mobile match)"
                                                    : " (employee number " + u.user.employee_no + " is not in the export)"));
    }
  }

  void report_held()
  {
    std::vector<std::string> held(m_in.roster.held_employee_nos.begin(), m_in.roster.held_employee_nos.end());
    for (const std::string& e : held) {
      std::string open_id;
      if (const storage::Link* l = m_linker.find_link_by_employee_no(e)) {
        open_id = l->open_id;
      } else if (const MirrorUser* u = m_linker.find_user_by_employee_no(e)) {
        open_id = u->user.open_id;
      }
      decide(e, open_id, "held", "hr.row_invalid",
             "the HR row has errors (see the file's report): nothing changes for this person until HR fixes it");
    }
  }

  // ---- pass 4: order ---------------------------------------------------------------------------

  static int group_of(const PlannedOp& po)
  {
    switch (po.op.kind) {
    case OperationKind::resurrect:
      return 0;
    case OperationKind::create:
      return 1;
    case OperationKind::update:
      return 2;
    case OperationKind::set_leader:
      return 3;
    case OperationKind::delete_user:
    case OperationKind::freeze:
      return 4;
    }
    return 5;
  }

  void order(storage::Plan& plan)
  {
    std::stable_sort(m_ops.begin(), m_ops.end(), [](const PlannedOp& a, const PlannedOp& b) {
      const int ga = group_of(a);
      const int gb = group_of(b);
      if (ga != gb) {
        return ga < gb;
      }
      if (a.depth != b.depth) {
        return a.depth < b.depth;
      }
      if (a.op.employee_no != b.op.employee_no) {
        return a.op.employee_no < b.op.employee_no;
      }
      return a.op.open_id < b.op.open_id;
    });
    plan.operations.reserve(m_ops.size());
    int seq = 0;
    for (PlannedOp& po : m_ops) {
      po.op.seq = ++seq;
      plan.decisions.push_back(
        {po.op.employee_no, po.op.open_id, std::string(storage::to_string(po.op.kind)), po.rule, po.op.reason});
      switch (po.op.kind) {
      case OperationKind::create:
        ++plan.counts.creates;
        break;
      case OperationKind::update:
        ++plan.counts.updates;
        break;
      case OperationKind::delete_user:
        ++plan.counts.deletes;
        break;
      case OperationKind::resurrect:
        ++plan.counts.resurrects;
        break;
      case OperationKind::freeze:
        ++plan.counts.freezes;
        break;
      case OperationKind::set_leader:
        ++plan.counts.set_leaders;
        break;
      }
      plan.operations.push_back(std::move(po.op));
    }
    for (PlanDecision& d : m_decisions) {
      plan.decisions.push_back(std::move(d));
    }
  }

  const config::SyncConfig& m_sync;
  config::DepartmentKey m_key;
  const std::string& m_app_id;
  const PlanInput& m_in;
  Linker m_linker;
  Linking m_linking;

  std::unordered_set<std::string> m_owned;
  std::unordered_set<std::string> m_protected;
  std::unordered_set<std::string> m_held;
  std::unordered_map<std::string_view, std::string> m_parent;
  std::unordered_map<std::string, std::string_view> m_by_path;
  std::unordered_map<std::string_view, std::string_view> m_by_department_id;
  std::unordered_set<std::string_view> m_known;
  std::unordered_map<std::string, bool> m_scope_marks;
  std::unordered_map<std::string, bool> m_scope_cache;
  std::unordered_map<std::string_view, std::size_t> m_index;
  std::unordered_map<std::string_view, const hr::Person*> m_baseline;
  std::vector<PersonState> m_state;
  std::unordered_set<std::string_view> m_leaving;
  std::vector<PlannedOp> m_ops;
  std::vector<PlanDecision> m_decisions;
};

} // namespace

Planner::Planner(config::SyncConfig sync, config::DepartmentKey department_key, std::string app_id)
  : m_sync(std::move(sync)),
    m_department_key(department_key),
    m_app_id(std::move(app_id))
{
}

std::vector<std::string> Planner::unknown_scope_entries(const storage::MirrorSnapshot& mirror) const
{
  std::unordered_set<std::string_view> known{"0"};
  for (const storage::MirrorDepartment& d : mirror.departments) {
    known.insert(d.department.open_department_id);
    if (!d.department.department_id.empty()) {
      known.insert(d.department.department_id);
    }
  }
  std::vector<std::string> unknown;
  for (const auto* list : {&m_sync.scope.departments, &m_sync.scope.exclude_departments}) {
    for (const std::string& entry : *list) {
      if (known.count(entry) == 0) {
        unknown.push_back(entry);
      }
    }
  }
  return unknown;
}

storage::Plan Planner::plan(const PlanInput& input) const
{
  PlanBuilder builder(m_sync, m_department_key, m_app_id, input);
  return builder.build();
}

} // namespace dirsync::sync
