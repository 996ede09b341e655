#include "sync/linker.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace dirsync::sync {

using storage::LinkMethod;
using storage::MirrorState;
using storage::MirrorUser;

std::string lower_ascii(std::string_view text)
{
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

std::string canonical_mobile(std::string_view mobile)
{
  std::string m;
  m.reserve(mobile.size() + 3);
  for (char c : mobile) {
    if (c != ' ' && c != '-') {
      m.push_back(c);
    }
  }
  if (!m.empty() && m.front() != '+' && m.size() == 11 && m.front() == '1') {
    return "+86" + m;
  }
  return m;
}

bool is_lower_ascii(std::string_view text)
{
  return std::none_of(text.begin(), text.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

bool is_canonical_mobile(std::string_view mobile)
{
  return !mobile.empty() && mobile.front() == '+' && mobile.find_first_of(" -") == std::string_view::npos;
}

namespace {

std::string describe(const MirrorUser& u)
{
  return fmt::format("Feishu user {} ({}{})", u.user.open_id, u.user.name,
                     u.user.employee_no.empty() ? "" : ", employee_no " + u.user.employee_no);
}

} // namespace

std::string_view Linker::canonical_view(const std::string& value, bool (*is_canonical)(std::string_view),
                                        std::string (*canonical)(std::string_view))
{
  if (is_canonical(value)) {
    return value;
  }
  return m_canonical.emplace_back(canonical(value));
}

Linker::Linker(const storage::MirrorSnapshot& mirror, const std::vector<storage::Link>& links)
{
  m_by_open_id.reserve(mirror.users.size());
  m_active_by_employee_no.reserve(mirror.users.size());
  m_active_by_email.reserve(mirror.users.size());
  m_active_by_mobile.reserve(mirror.users.size());
  for (const MirrorUser& u : mirror.users) {
    m_by_open_id.emplace(u.user.open_id, &u);
    const bool resigned = u.state == MirrorState::resigned || u.user.status.is_resigned;
    if (resigned) {
      if (!u.user.employee_no.empty()) {
        // The latest resignation wins: that is the account a rehire comes back to.
        auto [it, inserted] = m_resigned_by_employee_no.emplace(u.user.employee_no, &u);
        if (!inserted && u.resigned_seen_at.value_or(0) > it->second->resigned_seen_at.value_or(0)) {
          it->second = &u;
        }
      } else {
        // Only a resigned user without an employee number can be matched by email or mobile (the
        // first-link rules); the latest resignation wins here too.
        auto keep_latest = [&u](auto& index, std::string_view key) {
          auto [it, inserted] = index.emplace(key, &u);
          if (!inserted && u.resigned_seen_at.value_or(0) > it->second->resigned_seen_at.value_or(0)) {
            it->second = &u;
          }
        };
        if (!u.user.email.empty()) {
          keep_latest(m_resigned_by_email, canonical_view(u.user.email, is_lower_ascii, lower_ascii));
        }
        if (!u.user.mobile.empty()) {
          keep_latest(m_resigned_by_mobile, canonical_view(u.user.mobile, is_canonical_mobile, canonical_mobile));
        }
      }
      continue;
    }
    if (!u.user.employee_no.empty()) {
      m_active_by_employee_no.emplace(u.user.employee_no, &u);
    }
    if (!u.user.email.empty()) {
      m_active_by_email.emplace(canonical_view(u.user.email, is_lower_ascii, lower_ascii), &u);
    }
    if (!u.user.mobile.empty()) {
      m_active_by_mobile.emplace(canonical_view(u.user.mobile, is_canonical_mobile, canonical_mobile), &u);
    }
  }
  for (const storage::Link& l : links) {
    if (l.unlinked_at) {
      continue;
    }
    m_link_by_employee_no.emplace(l.employee_no, &l);
    m_link_by_open_id.emplace(l.open_id, &l);
  }
}

const MirrorUser* Linker::find_user(std::string_view open_id) const
{
  auto it = m_by_open_id.find(open_id);
  return it == m_by_open_id.end() ? nullptr : it->second;
}

const storage::Link* Linker::find_link_by_employee_no(std::string_view employee_no) const
{
  auto it = m_link_by_employee_no.find(employee_no);
  return it == m_link_by_employee_no.end() ? nullptr : it->second;
}

const storage::Link* Linker::find_link_by_open_id(std::string_view open_id) const
{
  auto it = m_link_by_open_id.find(open_id);
  return it == m_link_by_open_id.end() ? nullptr : it->second;
}

const MirrorUser* Linker::find_user_by_employee_no(std::string_view employee_no) const
{
  auto it = m_active_by_employee_no.find(employee_no);
  return it == m_active_by_employee_no.end() ? nullptr : it->second;
}

const MirrorUser* Linker::find_holder_of_email(std::string_view email) const
{
  auto it = is_lower_ascii(email) ? m_active_by_email.find(email) : m_active_by_email.find(lower_ascii(email));
  return it == m_active_by_email.end() ? nullptr : it->second;
}

const MirrorUser* Linker::find_holder_of_mobile(std::string_view mobile) const
{
  auto it = is_canonical_mobile(mobile) ? m_active_by_mobile.find(mobile)
                                        : m_active_by_mobile.find(canonical_mobile(mobile));
  return it == m_active_by_mobile.end() ? nullptr : it->second;
}

const MirrorUser* Linker::find_resigned_by(const std::unordered_map<std::string_view, const MirrorUser*>& index,
                                           std::string_view value, bool (*is_canonical)(std::string_view),
                                           std::string (*canonical)(std::string_view))
{
  auto it = is_canonical(value) ? index.find(value) : index.find(canonical(value));
  return it == index.end() ? nullptr : it->second;
}

Linking Linker::link(const hr::Roster& roster, const LinkChecks& checks) const
{
  Linking out;
  out.people.resize(roster.people.size());

  auto add_conflict = [&out](std::size_t person, const hr::Person& p, const MirrorUser& u,
                             std::string other, std::string rule, std::string detail) {
    out.conflicted_employee_nos.insert(p.employee_no);
    out.conflicted_open_ids.insert(u.user.open_id);
    if (!other.empty()) {
      out.conflicted_employee_nos.insert(other);
    }
    out.conflicts.push_back({p.employee_no, u.user.open_id, std::move(other), std::move(rule), std::move(detail)});
    out.people[person] = {};
  };

  // Pass 1: each person on their own.
  for (std::size_t i = 0; i < roster.people.size(); ++i) {
    const hr::Person& p = roster.people[i];
    PersonLink& pl = out.people[i];
    if (const storage::Link* l = find_link_by_employee_no(p.employee_no)) {
      pl.method = l->method;
      pl.user = find_user(l->open_id);
      pl.link_missing = pl.user == nullptr;
      continue;
    }
    if (const MirrorUser* u = find_user_by_employee_no(p.employee_no)) {
      if (const storage::Link* other = find_link_by_open_id(u->user.open_id)) {
        add_conflict(i, p, *u, other->employee_no, "link.linked_elsewhere",
                     fmt::format("HR row {} (employee_no {}) matches {} by employee number, but that "
                                 "user is linked to employee_no {}",
                                 p.row, p.employee_no, describe(*u), other->employee_no));
        continue;
      }
      pl = {u, LinkMethod::employee_no, true, false};
      continue;
    }
    if (auto it = m_resigned_by_employee_no.find(p.employee_no); it != m_resigned_by_employee_no.end()) {
      pl = {it->second, LinkMethod::employee_no, false, false};
      continue;
    }
    if (p.status != hr::EmploymentStatus::active) {
      continue; // a leaver is only ever found by their employee number
    }
    auto unclaimed = [this](const MirrorUser* u) {
      return u != nullptr && u->user.employee_no.empty() && find_link_by_open_id(u->user.open_id) == nullptr;
    };
    if (!p.email.empty()) {
      if (const MirrorUser* u = find_holder_of_email(p.email); unclaimed(u)) {
        pl = {u, LinkMethod::email, true, false};
        continue;
      }
    }
    if (!p.mobile.empty()) {
      if (const MirrorUser* u = find_holder_of_mobile(p.mobile); unclaimed(u)) {
        pl = {u, LinkMethod::mobile, true, false};
        continue;
      }
    }
    // A rehire whose old account never carried an employee number (no link is recorded until
    // apply has resurrected or replaced it; is_new so that two rows claiming it are a conflict).
    if (!p.email.empty()) {
      if (const MirrorUser* u = find_resigned_by(m_resigned_by_email, p.email, is_lower_ascii, lower_ascii);
          unclaimed(u)) {
        pl = {u, LinkMethod::email, true, false};
        continue;
      }
    }
    if (!p.mobile.empty()) {
      if (const MirrorUser* u = find_resigned_by(m_resigned_by_mobile, p.mobile, is_canonical_mobile, canonical_mobile);
          unclaimed(u)) {
        pl = {u, LinkMethod::mobile, true, false};
        continue;
      }
    }
  }

  // Pass 2: two HR rows claiming one user (ordered, so the report is deterministic).
  std::map<std::string_view, std::vector<std::size_t>> claims;
  for (std::size_t i = 0; i < out.people.size(); ++i) {
    if (out.people[i].user != nullptr && out.people[i].is_new) {
      claims[out.people[i].user->user.open_id].push_back(i);
    }
  }
  for (const auto& [open_id, claimants] : claims) {
    if (claimants.size() < 2) {
      continue;
    }
    const MirrorUser& u = *out.people[claimants.front()].user;
    for (std::size_t a : claimants) {
      for (std::size_t b : claimants) {
        if (a == b) {
          continue;
        }
        const hr::Person& pa = roster.people[a];
        const hr::Person& pb = roster.people[b];
        out.conflicts.push_back({pa.employee_no, u.user.open_id, pb.employee_no, "link.claimed_twice",
                                 fmt::format("HR rows {} (employee_no {}) and {} (employee_no {}) both match {}",
                                             pa.row, pa.employee_no, pb.row, pb.employee_no, describe(u))});
      }
    }
    out.conflicted_open_ids.insert(u.user.open_id);
    for (std::size_t a : claimants) {
      out.conflicted_employee_nos.insert(roster.people[a].employee_no);
      out.people[a] = {};
    }
  }

  // Pass 3: an email or mobile the plan would set that another Feishu user holds.
  for (std::size_t i = 0; i < roster.people.size(); ++i) {
    const hr::Person& p = roster.people[i];
    const PersonLink& pl = out.people[i];
    if (p.status != hr::EmploymentStatus::active || out.conflicted_employee_nos.count(p.employee_no) != 0 ||
        pl.link_missing) {
      continue;
    }
    const bool sets_all = pl.user == nullptr || pl.user->state == MirrorState::resigned || pl.user->user.status.is_resigned;
    auto check = [&](const std::string& value, const MirrorUser* holder, const char* field, const char* rule) {
      if (value.empty() || holder == nullptr || holder == pl.user) {
        return false;
      }
      const storage::Link* holder_link = find_link_by_open_id(holder->user.open_id);
      std::string other = holder_link != nullptr ? holder_link->employee_no : holder->user.employee_no;
      add_conflict(i, p, *holder, other, rule,
                   fmt::format("HR row {} (employee_no {}) has {} {}, which {} holds{}", p.row, p.employee_no,
                               field, value, describe(*holder),
                               holder_link != nullptr ? " (linked to employee_no " + holder_link->employee_no + ")"
                                                      : std::string()));
      return true;
    };
    if ((sets_all || checks.email_owned) &&
        check(p.email, p.email.empty() ? nullptr : find_holder_of_email(p.email), "email", "link.email_held")) {
      continue;
    }
    if (sets_all || checks.mobile_owned) {
      check(p.mobile, p.mobile.empty() ? nullptr : find_holder_of_mobile(p.mobile), "mobile", "link.mobile_held");
    }
  }
  return out;
}

} // namespace dirsync::sync
