// The links table: who is who, HR employee number → Feishu user (DESIGN.md §6).
//
// At any time an employee number has at most one current link and so has a Feishu user (the
// schema's unique indexes enforce it); a link that no longer holds is closed, never deleted, so
// the history of who was which account stays. Methods that write run no transaction of their own:
// a single statement is atomic, and replace() belongs inside the caller's Transaction (apply
// records the link in the same step that marks the create or resurrect done).
#pragma once

#include "storage/database.hpp"
#include "storage/link.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dirsync::storage {

class LinkStore
{
public:
  explicit LinkStore(Database& db);

  // Every current link, ordered by employee number.
  std::vector<Link> current() const;
  std::optional<Link> find_current(const std::string& employee_no) const;
  std::optional<Link> find_current_by_open_id(const std::string& open_id) const;
  // Every link an employee number ever had, oldest first.
  std::vector<Link> history(const std::string& employee_no) const;

  // Records a new current link; returns its id. Throws StorageError if the employee number or the
  // user already has a current link, or the user is not in the mirror.
  std::int64_t open(const Link& link);
  // Closes a current link at `at` with a reason for people ("rehired: replaced by a new account").
  // Throws StorageError when no current link has this id.
  void close(std::int64_t link_id, std::int64_t at, const std::string& reason);
  // A create or resurrect of `employee_no` landed as `open_id`: closes the employee number's
  // current link if it names another user, and the user's current link if it names another
  // employee number (both with `reason`), then opens the new link unless it already holds.
  // Returns the current link's id.
  std::int64_t replace(const std::string& employee_no, const std::string& open_id, LinkMethod method,
                       std::optional<std::int64_t> plan_id, std::int64_t at, const std::string& reason);

private:
  Database& m_db;
};

} // namespace dirsync::storage
