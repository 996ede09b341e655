// Who is who: links each HR person to at most one Feishu user (DESIGN.md §6).
//
// The links table is the anchor: a person with a current link is that user, whatever their email
// or mobile say now. A person without one is linked, in this order, to
//   1. the Feishu user (not resigned) whose employee_no equals theirs;
//   2. a resigned user whose employee_no equals theirs (a rehire: the planner resurrects or
//      replaces them; no link is recorded until apply has done so);
//   3. for an active HR row only, and only among users with no employee_no and no link: the user
//      whose email equals theirs, then the one whose mobile does; then, the same way, a resigned
//      user (a rehire whose old account had no employee number; the planner resurrects or
//      replaces them, and no link is recorded until apply has done so).
// Conflicts are never guessed: two HR rows claiming one user, a user whose employee_no says one
// person while the links say another, and an HR email or mobile held by another Feishu user are
// reported with both sides, and everyone involved is left alone.
//
// Pure: no I/O. The snapshot and links passed in must outlive the Linker (it indexes them).
#pragma once

#include "hr/roster.hpp"
#include "storage/link.hpp"
#include "storage/mirror.hpp"

#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace dirsync::sync {

struct PersonLink
{
  const storage::MirrorUser* user = nullptr; // null: no Feishu user is this person
  storage::LinkMethod method = storage::LinkMethod::employee_no;
  bool is_new = false;       // found now, not yet in the links table
  bool link_missing = false; // a current link names a user the mirror does not have
};

struct LinkConflict
{
  std::string employee_no;       // the HR person
  std::string open_id;           // the Feishu user at stake
  std::string other_employee_no; // the other side: the other HR person, or the holder's employee number
  std::string rule;              // link.claimed_twice | link.linked_elsewhere | link.email_held | link.mobile_held
  std::string detail;            // both sides, for people
};

struct Linking
{
  std::vector<PersonLink> people; // parallel to Roster::people
  std::vector<LinkConflict> conflicts;
  // Everyone a conflict involves; the planner changes none of them.
  std::unordered_set<std::string> conflicted_employee_nos;
  std::unordered_set<std::string> conflicted_open_ids;
};

// Which HR values the plan would write to an already linked user, so that a value held by another
// user is a conflict only when dirsync would try to set it (a create always sets both).
struct LinkChecks
{
  bool email_owned = true;
  bool mobile_owned = true;
};

class Linker
{
public:
  Linker(const storage::MirrorSnapshot& mirror, const std::vector<storage::Link>& links);

  Linking link(const hr::Roster& roster, const LinkChecks& checks) const;

  const storage::MirrorUser* find_user(std::string_view open_id) const;
  const storage::Link* find_link_by_employee_no(std::string_view employee_no) const;
  const storage::Link* find_link_by_open_id(std::string_view open_id) const;
  // The user (not resigned) carrying this employee number in Feishu.
  const storage::MirrorUser* find_user_by_employee_no(std::string_view employee_no) const;
  // The user (not resigned) holding this email (any case) or mobile (E.164 or CN national).
  const storage::MirrorUser* find_holder_of_email(std::string_view email) const;
  const storage::MirrorUser* find_holder_of_mobile(std::string_view mobile) const;

private:
  static const storage::MirrorUser*
  find_resigned_by(const std::unordered_map<std::string_view, const storage::MirrorUser*>& index,
                   std::string_view value, bool (*is_canonical)(std::string_view),
                   std::string (*canonical)(std::string_view));
  std::string_view canonical_view(const std::string& value, bool (*is_canonical)(std::string_view),
                                  std::string (*canonical)(std::string_view));

  std::unordered_map<std::string_view, const storage::MirrorUser*> m_by_open_id;
  std::unordered_map<std::string_view, const storage::MirrorUser*> m_active_by_employee_no;
  std::unordered_map<std::string_view, const storage::MirrorUser*> m_resigned_by_employee_no;
  // Resigned users without an employee number, by canonical email and mobile (latest resignation).
  std::unordered_map<std::string_view, const storage::MirrorUser*> m_resigned_by_email;
  std::unordered_map<std::string_view, const storage::MirrorUser*> m_resigned_by_mobile;
  // Keyed by the canonical form: a view into the snapshot when its value already is canonical
  // (the common case), else into m_canonical, which holds the converted copies.
  std::unordered_map<std::string_view, const storage::MirrorUser*> m_active_by_email;
  std::unordered_map<std::string_view, const storage::MirrorUser*> m_active_by_mobile;
  std::deque<std::string> m_canonical;
  std::unordered_map<std::string_view, const storage::Link*> m_link_by_employee_no;
  std::unordered_map<std::string_view, const storage::Link*> m_link_by_open_id;
};

// Feishu returns CN mobiles with or without +86; HR's are E.164. The form both are compared in.
std::string canonical_mobile(std::string_view mobile);
std::string lower_ascii(std::string_view text);
bool is_lower_ascii(std::string_view text);
bool is_canonical_mobile(std::string_view mobile); // already what canonical_mobile() returns

} // namespace dirsync::sync
