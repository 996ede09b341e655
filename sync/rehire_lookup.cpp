#include "sync/rehire_lookup.hpp"

#include "sync/linker.hpp"

#include <spdlog/spdlog.h>

#include <unordered_set>

namespace dirsync::sync {

RehireQuery find_unmatched_contacts(const hr::Roster& roster, const storage::MirrorSnapshot& mirror,
                                    const std::vector<storage::Link>& links)
{
  std::unordered_set<std::string_view> linked;
  for (const storage::Link& l : links) {
    if (!l.unlinked_at) {
      linked.insert(l.employee_no);
    }
  }
  std::unordered_set<std::string_view> employee_nos;
  std::unordered_set<std::string> emails;
  std::unordered_set<std::string> mobiles;
  for (const storage::MirrorUser& u : mirror.users) {
    if (!u.user.employee_no.empty()) {
      employee_nos.insert(u.user.employee_no);
    }
    if (!u.user.email.empty()) {
      emails.insert(lower_ascii(u.user.email));
    }
    if (!u.user.mobile.empty()) {
      mobiles.insert(canonical_mobile(u.user.mobile));
    }
  }

  RehireQuery query;
  std::unordered_set<std::string> queued;
  for (const hr::Person& p : roster.people) {
    if (p.status != hr::EmploymentStatus::active || linked.count(p.employee_no) != 0 ||
        employee_nos.count(p.employee_no) != 0 || (!p.email.empty() && emails.count(p.email) != 0) ||
        (!p.mobile.empty() && mobiles.count(canonical_mobile(p.mobile)) != 0)) {
      continue;
    }
    if (p.email.empty() && p.mobile.empty()) {
      continue;
    }
    ++query.rows;
    if (!p.email.empty() && queued.insert("e" + p.email).second) {
      query.emails.push_back(p.email);
    }
    if (!p.mobile.empty() && queued.insert("m" + p.mobile).second) {
      query.mobiles.push_back(p.mobile);
    }
  }
  return query;
}

RehireLookup look_up_rehires(feishu::Client& client, storage::MirrorStore& store, const hr::Roster& roster,
                             const storage::MirrorSnapshot& mirror, const std::vector<storage::Link>& links,
                             std::int64_t now)
{
  RehireLookup result;
  feishu::BatchIdQuery query;
  const RehireQuery wanted = find_unmatched_contacts(roster, mirror, links);
  result.rows = wanted.rows;
  if (wanted.rows == 0) {
    return result;
  }
  query.emails = wanted.emails;
  query.mobiles = wanted.mobiles;
  query.include_resigned = true;

  std::unordered_set<std::string_view> known;
  for (const storage::MirrorUser& u : mirror.users) {
    known.insert(u.user.open_id);
  }
  std::vector<std::string> to_fetch;
  std::unordered_set<std::string> seen;
  for (const feishu::BatchIdEntry& entry : client.batch_get_user_ids(query, feishu::UserIdType::open_id)) {
    if (entry.user_id.empty() || !entry.status.is_resigned || known.count(entry.user_id) != 0) {
      continue; // nobody, an active user (outside the scope, or made since the refresh), or known
    }
    if (seen.insert(entry.user_id).second) {
      to_fetch.push_back(entry.user_id);
    }
  }
  if (!to_fetch.empty()) {
    for (const feishu::User& user : client.batch_get_users(to_fetch)) {
      if (!user.status.is_resigned) {
        continue;
      }
      store.upsert_user(user, now);
      ++result.found;
      spdlog::info("rehire look-up: {} ({}{}) is resigned in Feishu and was not in the mirror; stored as "
                   "resigned, so that a rehire resurrects them",
                   user.open_id, user.name, user.employee_no.empty() ? "" : ", employee_no " + user.employee_no);
    }
  }
  spdlog::info("rehire look-up: {} HR rows matched nothing in the mirror; {} resigned Feishu users found",
               result.rows, result.found);
  return result;
}

} // namespace dirsync::sync
