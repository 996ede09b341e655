// The ApplyMirror of the product: the mirror tables (storage/mirror_store.hpp) and the links
// (storage/link_store.hpp) of the database apply runs on.
//
// Reads come from a snapshot taken when it is made, kept up to date with every answer apply
// records, so a precondition is checked against the mirror as it is now without reading the
// database once per operation. Writes go to the database inside the journal step's transaction.
#pragma once

#include "storage/database.hpp"
#include "storage/link_store.hpp"
#include "storage/mirror_store.hpp"
#include "sync/apply.hpp"

#include <string>
#include <unordered_map>

namespace dirsync::sync {

class StoredMirror : public ApplyMirror
{
public:
  // Loads the mirror's users (resigned ones included). Throws StorageError.
  explicit StoredMirror(storage::Database& db);

  std::optional<feishu::User> find_user(const std::string& open_id) override;
  std::optional<std::string> find_linked_open_id(const std::string& employee_no) override;
  void record_user(const feishu::User& user, std::int64_t now) override;
  void record_resigned(const std::string& open_id, std::int64_t now) override;
  void record_link(const std::string& employee_no, const std::string& open_id, storage::LinkMethod method,
                   std::int64_t plan_id, std::int64_t now) override;
  void record_resurrect_refused(const std::string& open_id, long long code) override;

private:
  storage::MirrorStore m_mirror;
  storage::LinkStore m_links;
  std::unordered_map<std::string, feishu::User> m_users;
};

} // namespace dirsync::sync
