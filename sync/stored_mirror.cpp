#include "sync/stored_mirror.hpp"

namespace dirsync::sync {

StoredMirror::StoredMirror(storage::Database& db)
  : m_mirror(db),
    m_links(db)
{
  auto snapshot = m_mirror.load_snapshot();
  m_users.reserve(snapshot.users.size());
  for (auto& mirrored : snapshot.users) {
    feishu::User user = std::move(mirrored.user);
    if (mirrored.state == storage::MirrorState::resigned) {
      user.status.is_resigned = true;
    }
    auto open_id = user.open_id;
    m_users.emplace(std::move(open_id), std::move(user));
  }
}

std::optional<feishu::User> StoredMirror::find_user(const std::string& open_id)
{
  const auto it = m_users.find(open_id);
  if (it == m_users.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::optional<std::string> StoredMirror::find_linked_open_id(const std::string& employee_no)
{
  if (employee_no.empty()) {
    return std::nullopt;
  }
  const auto link = m_links.find_current(employee_no);
  if (!link) {
    return std::nullopt;
  }
  return link->open_id;
}

void StoredMirror::record_user(const feishu::User& user, std::int64_t now)
{
  m_mirror.upsert_user(user, now);
  m_users[user.open_id] = user;
}

void StoredMirror::record_resigned(const std::string& open_id, std::int64_t now)
{
  m_mirror.mark_resigned(open_id, now);
  if (const auto it = m_users.find(open_id); it != m_users.end()) {
    it->second.status.is_resigned = true;
  }
}

void StoredMirror::record_link(const std::string& employee_no, const std::string& open_id, storage::LinkMethod method,
                               std::int64_t plan_id, std::int64_t now)
{
  const auto reason = method == storage::LinkMethod::created
                        ? "rehired: replaced by a new Feishu account made by plan " + std::to_string(plan_id)
                        : "relinked by a resurrect in plan " + std::to_string(plan_id);
  m_links.replace(employee_no, open_id, method, plan_id, now, reason);
}

void StoredMirror::record_resurrect_refused(const std::string& open_id, long long code)
{
  m_mirror.mark_resurrect_refused(open_id, code);
}

} // namespace dirsync::sync
