// Finding the resigned accounts of rehires the mirror never saw (DESIGN.md §6 "Rehire").
//
// Feishu's department listings leave out resigned users, so a person who resigned before
// dirsync's first refresh is not in the mirror; when HR lists them as active again, the planner
// would create a second account instead of resurrecting theirs. Before planning, the HR rows that
// nothing in the mirror accounts for are looked up in Feishu: batch_get_id by their emails and
// mobiles with include_resigned, then batch get of the resigned users it names that the mirror does
// not have, which are stored in the mirror as resigned (with a user_history row). The planner,
// which stays pure, then finds them like any resigned user.
//
// Feishu does not say when such a user resigned, so resigned_seen_at is the time of the look-up:
// the planner plans a resurrect, and Feishu decides. If it answers 44028 (past the recoverable
// time), apply records that on the user and the next plan creates a new account instead.
//
// Cost: only active rows with no current link whose employee number, email and mobile match no
// user of the mirror (resigned ones included) are looked up, 50 emails and 50 mobiles per
// request, so at most one request per 50 such rows, plus one batch get per 50 users found.
// Steady state (everyone matched): no request at all.
#pragma once

#include "feishu/client.hpp"
#include "hr/roster.hpp"
#include "storage/link.hpp"
#include "storage/mirror.hpp"
#include "storage/mirror_store.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dirsync::sync {

// The emails and mobiles to look up: those of the active rows of `roster` with no current link
// in `links` whose employee number, email and mobile match no user of `mirror`. Each value once,
// in row order. Pure.
struct RehireQuery
{
  std::vector<std::string> emails;
  std::vector<std::string> mobiles;
  std::size_t rows = 0; // how many rows they come from
};
RehireQuery find_unmatched_contacts(const hr::Roster& roster, const storage::MirrorSnapshot& mirror,
                                    const std::vector<storage::Link>& links);

struct RehireLookup
{
  std::size_t rows = 0;       // rows looked up
  std::size_t found = 0;      // resigned users new to the mirror, now stored in it
};

// Looks up find_unmatched_contacts(...) in Feishu and stores each resigned user the mirror did not
// have (at `now`). Throws ApiError when Feishu fails (the caller plans nothing rather than plan
// second accounts), StorageError when the database does.
RehireLookup look_up_rehires(feishu::Client& client, storage::MirrorStore& store, const hr::Roster& roster,
                             const storage::MirrorSnapshot& mirror, const std::vector<storage::Link>& links,
                             std::int64_t now);

} // namespace dirsync::sync
