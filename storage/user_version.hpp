// The pure decisions behind the mirror's users and their history (DESIGN.md §9, §10): which of a
// user's departments is the primary one, the path of names of a department, and what a "version"
// of a user is, so that a refresh (or an apply) knows whether a user changed and needs a new
// user_history row. Nothing here touches the database or the network.
#pragma once

#include "feishu/models.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dirsync::storage {

// The user's primary department, as an open_department_id: the department of the order marked
// is_primary_dept; else the one with the largest department_order (ties: the first listed); else
// the first of department_ids; else empty (a user in no department).
std::string choose_primary_department(const feishu::User& user);

// The user's departments, primary first, the others sorted, so that Feishu listing them in another
// order is not a change.
std::vector<std::string> departments_primary_first(const feishu::User& user, const std::string& primary);

// The path of names of every department from the top, the root excluded: {"总部", "技术部"}. A
// department whose parent is not among `departments` (the app cannot see it) starts its own path.
// Parent cycles (never sent by Feishu) are cut where they close.
std::map<std::string, std::vector<std::string>> department_paths(const std::vector<feishu::Department>& departments);

// "总部/技术部": the path joined with '/'.
std::string join_path(const std::vector<std::string>& path);

// The fields of a user that user_history keeps: one version per distinct value of these. A refresh
// compares the version it sees with the current history row and writes a new row when they differ.
struct UserVersion
{
  std::optional<std::string> employee_no;
  std::string name;
  std::optional<std::string> en_name;
  std::optional<std::string> email;
  std::optional<std::string> mobile;
  std::vector<std::string> departments; // open_department_ids, primary first
  std::optional<std::string> primary_department_path;
  std::optional<std::string> leader_open_id;
  std::optional<std::string> job_title;
  std::optional<std::int64_t> employee_type;
  std::optional<std::string> city;
  std::optional<std::string> work_station;
  bool is_frozen = false;
  bool is_resigned = false;
  std::string mirror_state = "active"; // active | resigned | out_of_scope

  friend bool operator==(const UserVersion&, const UserVersion&) = default;
};

// The version of `user` as Feishu returned it, in mirror state `mirror_state`, with the path of
// its primary department (empty optional when it has none, or the department is not mirrored).
UserVersion make_version(const feishu::User& user, const std::string& mirror_state,
                         const std::optional<std::string>& primary_department_path);

// The names of the fields that differ between two versions ("job_title", "department", ...), in
// a fixed order; empty when they are equal.
std::vector<std::string> changed_fields(const UserVersion& before, const UserVersion& after);

// An empty string as an empty optional (Feishu sends "" for an unset text field; the mirror stores NULL).
std::optional<std::string> text_or_null(const std::string& text);

} // namespace dirsync::storage
