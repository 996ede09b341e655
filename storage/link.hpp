// A link between an HR employee number and a Feishu user: the anchor of matching (DESIGN.md §6,
// table links). A plain struct so that sync/ can plan from links and storage/ can keep them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dirsync::storage {

// How a link was made: the Feishu user already carried the employee number, or (first link only,
// for a Feishu user without one) matched by email or mobile, or dirsync created or resurrected it.
enum class LinkMethod { employee_no, email, mobile, created, resurrected };

// The names used in the database: "employee_no", "email", "mobile", "created", "resurrected"
// (defined in storage/plan.cpp beside the other names of database values).
std::string_view to_string(LinkMethod method);
std::optional<LinkMethod> try_parse_link_method(std::string_view text);

struct Link
{
  std::int64_t id = 0;                 // 0 until stored
  std::string employee_no;
  std::string open_id;
  LinkMethod method = LinkMethod::employee_no;
  std::int64_t linked_at = 0;
  std::optional<std::int64_t> plan_id; // the plan that made it, if one did
  std::optional<std::int64_t> unlinked_at; // set once the link no longer holds (kept as history)
  std::string unlink_reason;
};

} // namespace dirsync::storage
