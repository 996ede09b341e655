#include "storage/link_store.hpp"

#include "common/error.hpp"
#include "storage/sqlite_access.hpp"

#include <fmt/format.h>

namespace dirsync::storage {

namespace {

constexpr const char* k_columns =
  "id, employee_no, open_id, method, linked_at, plan_id, unlinked_at, unlink_reason";

Link read_link(SQLite::Statement& st)
{
  Link l;
  l.id = st.getColumn(0).getInt64();
  l.employee_no = st.getColumn(1).getString();
  l.open_id = st.getColumn(2).getString();
  const std::string method = st.getColumn(3).getString();
  l.method = try_parse_link_method(method).value_or(LinkMethod::employee_no);
  l.linked_at = st.getColumn(4).getInt64();
  l.plan_id = nullable_int(st.getColumn(5));
  l.unlinked_at = nullable_int(st.getColumn(6));
  l.unlink_reason = nullable_text(st.getColumn(7)).value_or("");
  return l;
}

std::vector<Link> read_all(SQLite::Statement& st)
{
  std::vector<Link> out;
  while (st.executeStep()) {
    out.push_back(read_link(st));
  }
  return out;
}

} // namespace

LinkStore::LinkStore(Database& db) : m_db(db) {}

std::vector<Link> LinkStore::current() const
{
  return guarded(m_db, "reading the current links", [&] {
    SQLite::Statement st(SqliteAccess::connection(m_db),
                         fmt::format("SELECT {} FROM links WHERE unlinked_at IS NULL ORDER BY employee_no", k_columns));
    return read_all(st);
  });
}

std::optional<Link> LinkStore::find_current(const std::string& employee_no) const
{
  return guarded(m_db, "reading the link of employee " + employee_no, [&]() -> std::optional<Link> {
    SQLite::Statement st(SqliteAccess::connection(m_db),
                         fmt::format("SELECT {} FROM links WHERE employee_no = ? AND unlinked_at IS NULL", k_columns));
    st.bind(1, employee_no);
    if (!st.executeStep()) {
      return std::nullopt;
    }
    return read_link(st);
  });
}

std::optional<Link> LinkStore::find_current_by_open_id(const std::string& open_id) const
{
  return guarded(m_db, "reading the link of user " + open_id, [&]() -> std::optional<Link> {
    SQLite::Statement st(SqliteAccess::connection(m_db),
                         fmt::format("SELECT {} FROM links WHERE open_id = ? AND unlinked_at IS NULL", k_columns));
    st.bind(1, open_id);
    if (!st.executeStep()) {
      return std::nullopt;
    }
    return read_link(st);
  });
}

std::vector<Link> LinkStore::history(const std::string& employee_no) const
{
  return guarded(m_db, "reading the link history of employee " + employee_no, [&] {
    SQLite::Statement st(SqliteAccess::connection(m_db),
                         fmt::format("SELECT {} FROM links WHERE employee_no = ? ORDER BY linked_at, id", k_columns));
    st.bind(1, employee_no);
    return read_all(st);
  });
}

std::int64_t LinkStore::open(const Link& link)
{
  return guarded(m_db, fmt::format("linking employee {} to user {}", link.employee_no, link.open_id), [&] {
    auto& sql = SqliteAccess::connection(m_db);
    SQLite::Statement st(sql, "INSERT INTO links (employee_no, open_id, method, linked_at, plan_id) "
                              "VALUES (?, ?, ?, ?, ?)");
    st.bind(1, link.employee_no);
    st.bind(2, link.open_id);
    st.bind(3, std::string(to_string(link.method)));
    st.bind(4, link.linked_at);
    bind_nullable(st, 5, link.plan_id);
    st.exec();
    return sql.getLastInsertRowid();
  });
}

void LinkStore::close(std::int64_t link_id, std::int64_t at, const std::string& reason)
{
  const int changed = guarded(m_db, fmt::format("closing link {}", link_id), [&] {
    SQLite::Statement st(SqliteAccess::connection(m_db),
                         "UPDATE links SET unlinked_at = max(?, linked_at), unlink_reason = ? "
                         "WHERE id = ? AND unlinked_at IS NULL");
    st.bind(1, at);
    st.bind(2, reason);
    st.bind(3, link_id);
    return st.exec();
  });
  if (changed != 1) {
    throw StorageError(fmt::format("{}: closing link {}: there is no current link with this id",
                                   m_db.file().string(), link_id));
  }
}

std::int64_t LinkStore::replace(const std::string& employee_no, const std::string& open_id, LinkMethod method,
                                std::optional<std::int64_t> plan_id, std::int64_t at, const std::string& reason)
{
  if (auto mine = find_current(employee_no)) {
    if (mine->open_id == open_id) {
      return mine->id;
    }
    close(mine->id, at, reason);
  }
  if (auto theirs = find_current_by_open_id(open_id)) {
    close(theirs->id, at, reason);
  }
  Link l;
  l.employee_no = employee_no;
  l.open_id = open_id;
  l.method = method;
  l.linked_at = at;
  l.plan_id = plan_id;
  return open(l);
}

} // namespace dirsync::storage
