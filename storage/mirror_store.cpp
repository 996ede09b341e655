// Writing and reading the mirror.
//
// apply_refresh() works in one IMMEDIATE transaction. It compares each listed user with what the
// mirror holds of them (their mirror state and current history version, the user_history row with
// valid_to NULL), looked up one at a time by index. It upserts every listed
// department and user (memberships replaced per user), closes and opens history versions where a
// user's version changed, marks the users the refresh no longer lists (resigned or out of scope)
// and the departments it no longer lists (out of scope), replaces job titles, units and their
// bindings, and finishes the run. Statements are prepared once and reused for every row.
#include "storage/mirror_store.hpp"

#include "common/error.hpp"
#include "storage/sqlite_access.hpp"
#include "storage/user_version.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace dirsync::storage {

namespace {

constexpr std::string_view k_root_id = "0";

std::string_view to_string(MirrorState state)
{
  switch (state) {
  case MirrorState::active:
    return "active";
  case MirrorState::resigned:
    return "resigned";
  case MirrorState::out_of_scope:
    return "out_of_scope";
  }
  return "active";
}

MirrorState mirror_state_from(const std::string& text)
{
  if (text == "resigned") {
    return MirrorState::resigned;
  }
  if (text == "out_of_scope") {
    return MirrorState::out_of_scope;
  }
  return MirrorState::active;
}

RefreshResult refresh_result_from(const std::optional<std::string>& text)
{
  if (!text) {
    return RefreshResult::running;
  }
  if (*text == "ok") {
    return RefreshResult::ok;
  }
  if (*text == "untrusted") {
    return RefreshResult::untrusted;
  }
  return RefreshResult::failed;
}

std::optional<std::int64_t> number_or_null(const std::string& text)
{
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> nonzero_or_null(std::int64_t value)
{
  if (value == 0) {
    return std::nullopt;
  }
  return value;
}

// The raw JSON of an object, or "{}" when it was not decoded from JSON (tests build models by hand).
const std::string& raw_or_empty(const std::string& raw)
{
  static const std::string empty = "{}";
  return raw.empty() ? empty : raw;
}

std::optional<std::string> i18n_json(const feishu::I18nText& text)
{
  json::Value v = json::Value::object();
  if (!text.zh_cn.empty()) {
    v.set("zh_cn", text.zh_cn);
  }
  if (!text.en_us.empty()) {
    v.set("en_us", text.en_us);
  }
  if (!text.ja_jp.empty()) {
    v.set("ja_jp", text.ja_jp);
  }
  if (v.size() == 0) {
    return std::nullopt;
  }
  return v.dump();
}

std::optional<std::string> i18n_json(const std::vector<feishu::LocaleText>& texts)
{
  if (texts.empty()) {
    return std::nullopt;
  }
  json::Value v = json::Value::array();
  for (const auto& t : texts) {
    v.push_back(json::Value::object({{"locale", t.locale}, {"value", t.value}}));
  }
  return v.dump();
}

std::string department_leader(const feishu::Department& d)
{
  if (!d.leader_user_id.empty()) {
    return d.leader_user_id;
  }
  for (const auto& l : d.leaders) {
    if (l.leader_type == 1) {
      return l.leader_id;
    }
  }
  return {};
}

// The history version a row of user_history holds, as read by the statements below (columns 1..15).
UserVersion read_version(SQLite::Statement& st, int first)
{
  UserVersion v;
  v.employee_no = nullable_text(st.getColumn(first));
  v.name = st.getColumn(first + 1).getString();
  v.en_name = nullable_text(st.getColumn(first + 2));
  v.email = nullable_text(st.getColumn(first + 3));
  v.mobile = nullable_text(st.getColumn(first + 4));
  const json::Value departments = json_column(st.getColumn(first + 5));
  for (const auto& d : departments.as_array()) {
    v.departments.push_back(d.as_string());
  }
  v.primary_department_path = nullable_text(st.getColumn(first + 6));
  v.leader_open_id = nullable_text(st.getColumn(first + 7));
  v.job_title = nullable_text(st.getColumn(first + 8));
  v.employee_type = nullable_int(st.getColumn(first + 9));
  v.city = nullable_text(st.getColumn(first + 10));
  v.work_station = nullable_text(st.getColumn(first + 11));
  v.is_frozen = st.getColumn(first + 12).getInt() != 0;
  v.is_resigned = st.getColumn(first + 13).getInt() != 0;
  v.mirror_state = st.getColumn(first + 14).getString();
  return v;
}

constexpr const char* k_version_columns =
  "employee_no, name, en_name, email, mobile, departments, primary_department_path, leader_open_id, "
  "job_title, employee_type, city, work_station, is_frozen, is_resigned, mirror_state";

// What the mirror holds of a user before a write.
struct KnownUser
{
  std::string mirror_state;
  std::optional<std::int64_t> history_id; // the current version's row
  std::optional<UserVersion> version;
};

// The prepared statements of a write and the operations built from them. Lives inside one
// transaction.
class MirrorWriter
{
public:
  MirrorWriter(SQLite::Database& sql, std::optional<std::int64_t> run_id, std::int64_t now)
    : m_run_id(run_id),
      m_now(now),
      m_upsert_user(sql, R"(
        INSERT INTO users (open_id, user_id, union_id, employee_no, name, en_name, nickname, email,
                           enterprise_email, mobile, leader_open_id, job_title, employee_type, join_time,
                           city, country, work_station, gender, is_tenant_manager, is_frozen, is_resigned,
                           is_activated, is_exited, is_unjoin, mirror_state, resigned_seen_at, raw,
                           first_seen, last_seen)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
                ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?28)
        ON CONFLICT (open_id) DO UPDATE SET
          user_id = excluded.user_id, union_id = excluded.union_id, employee_no = excluded.employee_no,
          name = excluded.name, en_name = excluded.en_name, nickname = excluded.nickname,
          email = excluded.email, enterprise_email = excluded.enterprise_email, mobile = excluded.mobile,
          leader_open_id = excluded.leader_open_id, job_title = excluded.job_title,
          employee_type = excluded.employee_type, join_time = excluded.join_time, city = excluded.city,
          country = excluded.country, work_station = excluded.work_station, gender = excluded.gender,
          is_tenant_manager = excluded.is_tenant_manager, is_frozen = excluded.is_frozen,
          is_resigned = excluded.is_resigned, is_activated = excluded.is_activated,
          is_exited = excluded.is_exited, is_unjoin = excluded.is_unjoin,
          mirror_state = excluded.mirror_state,
          resigned_seen_at = CASE WHEN excluded.mirror_state = 'resigned'
                                  THEN coalesce(users.resigned_seen_at, excluded.resigned_seen_at) END,
          resurrect_refused = CASE WHEN excluded.mirror_state = 'resigned' THEN users.resurrect_refused END,
          raw = excluded.raw, last_seen = max(users.last_seen, excluded.last_seen))"),
      m_delete_memberships(sql, "DELETE FROM user_departments WHERE open_id = ?"),
      m_insert_membership(sql, R"(
        INSERT INTO user_departments (open_id, open_department_id, user_order, department_order, is_primary)
        VALUES (?, ?, ?, ?, ?))"),
      m_close_version(sql, "UPDATE user_history SET valid_to = ? WHERE id = ?"),
      m_insert_version(sql, R"(
        INSERT INTO user_history (open_id, valid_from, refresh_run_id, employee_no, name, en_name, email,
                                  mobile, departments, primary_department_path, leader_open_id, job_title,
                                  employee_type, city, work_station, is_frozen, is_resigned, mirror_state)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18))"),
      m_set_state(sql, R"(
        UPDATE users SET mirror_state = ?2,
                         resigned_seen_at = CASE WHEN ?2 = 'resigned' THEN coalesce(resigned_seen_at, ?3) END,
                         resurrect_refused = CASE WHEN ?2 = 'resigned' THEN resurrect_refused END
         WHERE open_id = ?1)")
  {
  }

  // Writes `user` in `state` and returns whether a new history version was recorded.
  bool write_user(const feishu::User& user, MirrorState state, const std::optional<std::string>& primary_path,
                  const KnownUser* known)
  {
    const std::string primary = choose_primary_department(user);
    const std::string state_text(to_string(state));
    auto& st = m_upsert_user;
    st.reset();
    st.bind(1, user.open_id);
    bind_nullable(st, 2, text_or_null(user.user_id));
    bind_nullable(st, 3, text_or_null(user.union_id));
    bind_nullable(st, 4, text_or_null(user.employee_no));
    st.bind(5, user.name);
    bind_nullable(st, 6, text_or_null(user.en_name));
    bind_nullable(st, 7, text_or_null(user.nickname));
    bind_nullable(st, 8, text_or_null(user.email));
    bind_nullable(st, 9, text_or_null(user.enterprise_email));
    bind_nullable(st, 10, text_or_null(user.mobile));
    bind_nullable(st, 11, text_or_null(user.leader_user_id));
    bind_nullable(st, 12, text_or_null(user.job_title));
    bind_nullable(st, 13, nonzero_or_null(user.employee_type));
    bind_nullable(st, 14, nonzero_or_null(user.join_time));
    bind_nullable(st, 15, text_or_null(user.city));
    bind_nullable(st, 16, text_or_null(user.country));
    bind_nullable(st, 17, text_or_null(user.work_station));
    st.bind(18, user.gender);
    st.bind(19, user.is_tenant_manager ? 1 : 0);
    st.bind(20, (user.is_frozen || user.status.is_frozen) ? 1 : 0);
    st.bind(21, user.status.is_resigned ? 1 : 0);
    st.bind(22, user.status.is_activated ? 1 : 0);
    st.bind(23, user.status.is_exited ? 1 : 0);
    st.bind(24, user.status.is_unjoin ? 1 : 0);
    st.bind(25, state_text);
    bind_nullable(st, 26, state == MirrorState::resigned ? std::optional<std::int64_t>(m_now) : std::nullopt);
    st.bind(27, raw_or_empty(user.raw));
    st.bind(28, m_now);
    st.exec();

    // A resigned user's department_ids are empty in Feishu: keep the memberships they left, so
    // the mirror still says where they were.
    if (state == MirrorState::active) {
      write_memberships(user, primary);
    }
    UserVersion version = make_version(user, state_text, primary_path);
    if (state != MirrorState::active && known != nullptr && known->version) {
      version.departments = known->version->departments;
      version.primary_department_path = known->version->primary_department_path;
    }
    return record_version(user.open_id, version, known);
  }

  // Moves a user the refresh no longer sees to `state`; returns whether a version was recorded.
  bool set_state(const std::string& open_id, MirrorState state, const KnownUser& known)
  {
    const std::string state_text(to_string(state));
    m_set_state.reset();
    m_set_state.bind(1, open_id);
    m_set_state.bind(2, state_text);
    m_set_state.bind(3, m_now);
    m_set_state.exec();
    if (!known.version) {
      return false;
    }
    UserVersion version = *known.version;
    version.mirror_state = state_text;
    if (state == MirrorState::resigned) {
      version.is_resigned = true;
    }
    return record_version(open_id, version, &known);
  }

private:
  void write_memberships(const feishu::User& user, const std::string& primary)
  {
    m_delete_memberships.reset();
    m_delete_memberships.bind(1, user.open_id);
    m_delete_memberships.exec();
    std::set<std::string> done;
    for (const auto& department : user.department_ids) {
      if (department.empty() || !done.insert(department).second) {
        continue;
      }
      std::int64_t user_order = 0;
      std::int64_t department_order = 0;
      for (const auto& order : user.orders) {
        if (order.department_id == department) {
          user_order = order.user_order;
          department_order = order.department_order;
        }
      }
      auto& st = m_insert_membership;
      st.reset();
      st.bind(1, user.open_id);
      st.bind(2, department);
      st.bind(3, user_order);
      st.bind(4, department_order);
      st.bind(5, department == primary ? 1 : 0);
      st.exec();
    }
  }

  bool record_version(const std::string& open_id, const UserVersion& version, const KnownUser* known)
  {
    if (known != nullptr && known->version && *known->version == version) {
      return false;
    }
    if (known != nullptr && known->history_id) {
      m_close_version.reset();
      m_close_version.bind(1, m_now);
      m_close_version.bind(2, *known->history_id);
      m_close_version.exec();
    }
    auto& st = m_insert_version;
    st.reset();
    st.bind(1, open_id);
    st.bind(2, m_now);
    bind_nullable(st, 3, m_run_id);
    bind_nullable(st, 4, version.employee_no);
    st.bind(5, version.name);
    bind_nullable(st, 6, version.en_name);
    bind_nullable(st, 7, version.email);
    bind_nullable(st, 8, version.mobile);
    st.bind(9, json::Value::string_array(version.departments).dump());
    bind_nullable(st, 10, version.primary_department_path);
    bind_nullable(st, 11, version.leader_open_id);
    bind_nullable(st, 12, version.job_title);
    bind_nullable(st, 13, version.employee_type);
    bind_nullable(st, 14, version.city);
    bind_nullable(st, 15, version.work_station);
    st.bind(16, version.is_frozen ? 1 : 0);
    st.bind(17, version.is_resigned ? 1 : 0);
    st.bind(18, version.mirror_state);
    st.exec();
    return true;
  }

  std::optional<std::int64_t> m_run_id;
  std::int64_t m_now;
  SQLite::Statement m_upsert_user;
  SQLite::Statement m_delete_memberships;
  SQLite::Statement m_insert_membership;
  SQLite::Statement m_close_version;
  SQLite::Statement m_insert_version;
  SQLite::Statement m_set_state;
};

// What the mirror holds of a user, looked up one user at a time (by primary key and by the
// one-current-version index), so that a refresh of 100k users does not hold them all in memory twice.
class KnownUsers
{
public:
  explicit KnownUsers(SQLite::Database& sql)
    : m_user(sql, "SELECT mirror_state FROM users WHERE open_id = ?"),
      m_version(sql, fmt::format("SELECT id, {} FROM user_history WHERE open_id = ? AND valid_to IS NULL",
                                 k_version_columns))
  {
  }

  std::optional<KnownUser> find(const std::string& open_id)
  {
    m_user.reset();
    m_user.bind(1, open_id);
    if (!m_user.executeStep()) {
      return std::nullopt;
    }
    KnownUser known;
    known.mirror_state = m_user.getColumn(0).getString();
    m_version.reset();
    m_version.bind(1, open_id);
    if (m_version.executeStep()) {
      known.history_id = m_version.getColumn(0).getInt64();
      known.version = read_version(m_version, 1);
    }
    return known;
  }

private:
  SQLite::Statement m_user;
  SQLite::Statement m_version;
};

void write_departments(SQLite::Database& sql, const std::vector<feishu::Department>& departments, std::int64_t now)
{
  SQLite::Statement upsert(sql, R"(
    INSERT INTO departments (open_department_id, department_id, parent_open_department_id, name, i18n_name,
                             leader_open_id, sort_order, member_count, primary_member_count, is_deleted,
                             mirror_state, raw, first_seen, last_seen)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)
    ON CONFLICT (open_department_id) DO UPDATE SET
      department_id = excluded.department_id, parent_open_department_id = excluded.parent_open_department_id,
      name = excluded.name, i18n_name = excluded.i18n_name, leader_open_id = excluded.leader_open_id,
      sort_order = excluded.sort_order, member_count = excluded.member_count,
      primary_member_count = excluded.primary_member_count, is_deleted = excluded.is_deleted,
      mirror_state = excluded.mirror_state, raw = excluded.raw, last_seen = max(departments.last_seen, excluded.last_seen))");
  // The root is never listed; it is always there.
  upsert.bind(1, std::string(k_root_id));
  upsert.bind(2);
  upsert.bind(3);
  upsert.bind(4, "");
  upsert.bind(5);
  upsert.bind(6);
  upsert.bind(7);
  upsert.bind(8);
  upsert.bind(9);
  upsert.bind(10, 0);
  upsert.bind(11, "active");
  upsert.bind(12, "{}");
  upsert.bind(13, now);
  upsert.exec();

  std::unordered_set<std::string> listed;
  for (const auto& d : departments) {
    if (d.open_department_id.empty() || d.open_department_id == k_root_id) {
      continue;
    }
    listed.insert(d.open_department_id);
    upsert.reset();
    upsert.bind(1, d.open_department_id);
    bind_nullable(upsert, 2, text_or_null(d.department_id));
    upsert.bind(3, d.parent_department_id.empty() ? std::string(k_root_id) : d.parent_department_id);
    upsert.bind(4, d.name);
    bind_nullable(upsert, 5, i18n_json(d.i18n_name));
    bind_nullable(upsert, 6, text_or_null(department_leader(d)));
    bind_nullable(upsert, 7, number_or_null(d.order));
    upsert.bind(8, d.member_count);
    upsert.bind(9, d.primary_member_count);
    upsert.bind(10, d.status.is_deleted ? 1 : 0);
    upsert.bind(11, d.status.is_deleted ? "deleted" : "active");
    upsert.bind(12, raw_or_empty(d.raw));
    upsert.bind(13, now);
    upsert.exec();
  }

  // Departments no longer listed: the app cannot see them any more (a deleted department would
  // have come with status.is_deleted). They are kept, marked.
  std::vector<std::string> gone;
  SQLite::Statement active(sql, "SELECT open_department_id FROM departments WHERE mirror_state = 'active' "
                                "AND open_department_id <> '0'");
  while (active.executeStep()) {
    std::string id = active.getColumn(0).getString();
    if (!listed.contains(id)) {
      gone.push_back(std::move(id));
    }
  }
  SQLite::Statement mark(sql, "UPDATE departments SET mirror_state = 'out_of_scope' WHERE open_department_id = ?");
  for (const auto& id : gone) {
    mark.reset();
    mark.bind(1, id);
    mark.exec();
  }
}

void write_job_titles(SQLite::Database& sql, const std::vector<feishu::JobTitle>& titles, std::int64_t now)
{
  SQLite::Statement upsert(sql, R"(
    INSERT INTO job_titles (job_title_id, name, i18n_name, is_enabled, raw, first_seen, last_seen)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
    ON CONFLICT (job_title_id) DO UPDATE SET name = excluded.name, i18n_name = excluded.i18n_name,
      is_enabled = excluded.is_enabled, raw = excluded.raw, last_seen = max(job_titles.last_seen, excluded.last_seen))");
  std::set<std::string> listed;
  for (const auto& t : titles) {
    listed.insert(t.job_title_id);
    upsert.reset();
    upsert.bind(1, t.job_title_id);
    upsert.bind(2, t.name);
    bind_nullable(upsert, 3, i18n_json(t.i18n_name));
    upsert.bind(4, t.status ? 1 : 0);
    upsert.bind(5, raw_or_empty(t.raw));
    upsert.bind(6, now);
    upsert.exec();
  }
  std::vector<std::string> gone;
  SQLite::Statement all(sql, "SELECT job_title_id FROM job_titles");
  while (all.executeStep()) {
    if (!listed.contains(all.getColumn(0).getString())) {
      gone.push_back(all.getColumn(0).getString());
    }
  }
  SQLite::Statement remove(sql, "DELETE FROM job_titles WHERE job_title_id = ?");
  for (const auto& id : gone) {
    remove.reset();
    remove.bind(1, id);
    remove.exec();
  }
}

void write_units(SQLite::Database& sql, const std::vector<feishu::Unit>& units,
                 const std::vector<feishu::UnitDepartment>& bindings, std::int64_t now)
{
  sql.exec("DELETE FROM unit_departments");
  SQLite::Statement upsert(sql, R"(
    INSERT INTO units (unit_id, name, unit_type, raw, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?5)
    ON CONFLICT (unit_id) DO UPDATE SET name = excluded.name, unit_type = excluded.unit_type,
      raw = excluded.raw, last_seen = max(units.last_seen, excluded.last_seen))");
  std::set<std::string> listed;
  for (const auto& u : units) {
    listed.insert(u.unit_id);
    upsert.reset();
    upsert.bind(1, u.unit_id);
    upsert.bind(2, u.name);
    upsert.bind(3, u.unit_type);
    upsert.bind(4, raw_or_empty(u.raw));
    upsert.bind(5, now);
    upsert.exec();
  }
  std::vector<std::string> gone;
  SQLite::Statement all(sql, "SELECT unit_id FROM units");
  while (all.executeStep()) {
    if (!listed.contains(all.getColumn(0).getString())) {
      gone.push_back(all.getColumn(0).getString());
    }
  }
  SQLite::Statement remove(sql, "DELETE FROM units WHERE unit_id = ?");
  for (const auto& id : gone) {
    remove.reset();
    remove.bind(1, id);
    remove.exec();
  }

  // A department belongs to one unit: should Feishu list it under several, the smallest unit_id wins.
  std::vector<const feishu::UnitDepartment*> sorted;
  for (const auto& b : bindings) {
    if (listed.contains(b.unit_id) && !b.department_id.empty()) {
      sorted.push_back(&b);
    }
  }
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    return std::tie(a->department_id, a->unit_id) < std::tie(b->department_id, b->unit_id);
  });
  SQLite::Statement bind(sql, "INSERT INTO unit_departments (unit_id, open_department_id) VALUES (?, ?)");
  const feishu::UnitDepartment* kept = nullptr;
  for (const auto* b : sorted) {
    if (kept != nullptr && kept->department_id == b->department_id) {
      spdlog::warn("department {} is bound to several units; the mirror keeps it in unit {} only", b->department_id,
                   kept->unit_id);
      continue;
    }
    kept = b;
    bind.reset();
    bind.bind(1, b->unit_id);
    bind.bind(2, b->department_id);
    bind.exec();
  }
}

// The path of one department of the mirror as the departments table has it now ('' for the root;
// nothing for a department the mirror does not have), walking up its parents. Like
// department_paths(), a parent the mirror does not have starts the path, and a cycle ends it.
std::optional<std::string> stored_department_path(SQLite::Database& sql, const std::string& department)
{
  if (department.empty()) {
    return std::nullopt;
  }
  if (department == k_root_id) {
    return std::string();
  }
  SQLite::Statement st(sql, "SELECT parent_open_department_id, name FROM departments WHERE open_department_id = ?");
  std::vector<std::string> names;
  std::set<std::string> seen;
  std::string at = department;
  while (at != k_root_id && seen.insert(at).second) {
    st.reset();
    st.bind(1, at);
    if (!st.executeStep()) {
      if (names.empty()) {
        return std::nullopt;
      }
      break;
    }
    names.push_back(st.getColumn(1).getString());
    at = nullable_text(st.getColumn(0)).value_or(std::string(k_root_id));
  }
  return join_path(std::vector<std::string>(names.rbegin(), names.rend()));
}

std::optional<std::string> path_of(const std::map<std::string, std::vector<std::string>>& paths,
                                   const std::string& department)
{
  if (department.empty()) {
    return std::nullopt;
  }
  if (department == k_root_id) {
    return std::string();
  }
  const auto it = paths.find(department);
  if (it == paths.end()) {
    return std::nullopt;
  }
  return join_path(it->second);
}

constexpr const char* k_run_columns =
  "id, started_at, finished_at, result, trust_reason, error, departments_seen, users_seen, users_added, "
  "users_changed, users_resigned, users_out_of_scope, job_titles_seen, units_seen, api_requests, "
  "rate_limit_waits, base_url, app_id";

RefreshRun read_run(SQLite::Statement& st)
{
  RefreshRun run;
  run.id = st.getColumn(0).getInt64();
  run.started_at = st.getColumn(1).getInt64();
  run.finished_at = nullable_int(st.getColumn(2));
  run.result = refresh_result_from(nullable_text(st.getColumn(3)));
  run.trust_reason = nullable_text(st.getColumn(4)).value_or("");
  run.error = nullable_text(st.getColumn(5)).value_or("");
  run.departments_seen = st.getColumn(6).getInt64();
  run.users_seen = st.getColumn(7).getInt64();
  run.users_added = st.getColumn(8).getInt64();
  run.users_changed = st.getColumn(9).getInt64();
  run.users_resigned = st.getColumn(10).getInt64();
  run.users_out_of_scope = st.getColumn(11).getInt64();
  run.job_titles_seen = st.getColumn(12).getInt64();
  run.units_seen = st.getColumn(13).getInt64();
  run.api_requests = st.getColumn(14).getInt64();
  run.rate_limit_waits = st.getColumn(15).getInt64();
  run.base_url = st.getColumn(16).getString();
  run.app_id = st.getColumn(17).getString();
  return run;
}

std::optional<RefreshRun> find_run(Database& db, const std::string& where, std::optional<std::int64_t> id)
{
  auto& sql = SqliteAccess::connection(db);
  return guarded(db, "reading refresh_runs", [&]() -> std::optional<RefreshRun> {
    SQLite::Statement st(sql, fmt::format("SELECT {} FROM refresh_runs WHERE {} ORDER BY id DESC LIMIT 1",
                                          k_run_columns, where));
    if (id) {
      st.bind(1, *id);
    }
    if (!st.executeStep()) {
      return std::nullopt;
    }
    return read_run(st);
  });
}

// Runs `f` in the caller's transaction if one is open, else in a new one that it commits.
template<typename F>
void in_transaction(Database& db, F&& f)
{
  auto& sql = SqliteAccess::connection(db);
  if (sqlite3_get_autocommit(sql.getHandle()) == 0) {
    f();
    return;
  }
  Transaction tx(db);
  f();
  tx.commit();
}

// The columns read_mirror_user() reads, in its order.
constexpr const char* k_user_columns =
  "open_id, user_id, union_id, employee_no, name, en_name, nickname, email, enterprise_email, mobile, "
  "leader_open_id, job_title, employee_type, join_time, city, country, work_station, gender, "
  "is_tenant_manager, is_frozen, is_resigned, is_activated, is_exited, is_unjoin, mirror_state, resigned_seen_at, "
  "resurrect_refused";

// A users row (k_user_columns) as a MirrorUser, without its departments.
MirrorUser read_mirror_user(SQLite::Statement& users)
{
  MirrorUser m;
  auto& u = m.user;
  auto text = [&](int i) { return nullable_text(users.getColumn(i)).value_or(""); };
  u.open_id = text(0);
  u.user_id = text(1);
  u.union_id = text(2);
  u.employee_no = text(3);
  u.name = text(4);
  u.en_name = text(5);
  u.nickname = text(6);
  u.email = text(7);
  u.enterprise_email = text(8);
  u.mobile = text(9);
  u.leader_user_id = text(10);
  u.job_title = text(11);
  u.employee_type = nullable_int(users.getColumn(12)).value_or(0);
  u.join_time = nullable_int(users.getColumn(13)).value_or(0);
  u.city = text(14);
  u.country = text(15);
  u.work_station = text(16);
  u.gender = nullable_int(users.getColumn(17)).value_or(0);
  u.is_tenant_manager = users.getColumn(18).getInt() != 0;
  u.is_frozen = users.getColumn(19).getInt() != 0;
  u.status.is_frozen = u.is_frozen;
  u.status.is_resigned = users.getColumn(20).getInt() != 0;
  u.status.is_activated = users.getColumn(21).getInt() != 0;
  u.status.is_exited = users.getColumn(22).getInt() != 0;
  u.status.is_unjoin = users.getColumn(23).getInt() != 0;
  m.state = mirror_state_from(users.getColumn(24).getString());
  m.resigned_seen_at = nullable_int(users.getColumn(25));
  m.resurrect_refused = nullable_int(users.getColumn(26));
  return m;
}

} // namespace

std::string_view to_string(RefreshResult result)
{
  switch (result) {
  case RefreshResult::running:
    return "running";
  case RefreshResult::ok:
    return "ok";
  case RefreshResult::failed:
    return "failed";
  case RefreshResult::untrusted:
    return "untrusted";
  }
  return "running";
}

MirrorStore::MirrorStore(Database& db)
  : m_db(db)
{
}

std::int64_t MirrorStore::begin_refresh(std::int64_t started_at, const std::string& base_url, const std::string& app_id)
{
  auto& sql = SqliteAccess::connection(m_db);
  return guarded(m_db, "recording the start of a refresh", [&] {
    SQLite::Statement st(sql, "INSERT INTO refresh_runs (started_at, base_url, app_id) VALUES (?, ?, ?)");
    st.bind(1, started_at);
    st.bind(2, base_url);
    st.bind(3, app_id);
    st.exec();
    return static_cast<std::int64_t>(sql.getLastInsertRowid());
  });
}

RefreshRun MirrorStore::apply_refresh(std::int64_t run_id, const PagedTenant& tenant, std::int64_t now,
                                      const RefreshCosts& costs)
{
  auto& sql = SqliteAccess::connection(m_db);
  guarded(m_db, fmt::format("writing refresh {} into the mirror", run_id), [&] {
    Transaction tx(m_db);
    KnownUsers known(sql);
    write_departments(sql, tenant.departments, now);
    const auto paths = department_paths(tenant.departments);

    MirrorWriter writer(sql, run_id, now);
    std::int64_t added = 0;
    std::int64_t changed = 0;
    for (const auto& text : tenant.users) {
      const feishu::User user = feishu::decode_user(json::parse(text));
      const auto found = known.find(user.open_id);
      const KnownUser* k = found ? &*found : nullptr;
      const bool versioned = writer.write_user(user, MirrorState::active, path_of(paths, choose_primary_department(user)), k);
      if (k == nullptr) {
        ++added;
      } else if (versioned) {
        ++changed;
      }
    }
    std::int64_t resigned = 0;
    for (const auto& user : tenant.resigned) {
      const auto found = known.find(user.open_id);
      const KnownUser* k = found ? &*found : nullptr;
      if (k == nullptr || k->mirror_state != "resigned") {
        ++resigned;
      }
      writer.write_user(user, MirrorState::resigned, std::nullopt, k);
    }
    std::int64_t out_of_scope = 0;
    for (const auto& open_id : tenant.out_of_scope) {
      const auto found = known.find(open_id);
      if (!found || found->mirror_state == "out_of_scope") {
        continue;
      }
      ++out_of_scope;
      writer.set_state(open_id, MirrorState::out_of_scope, *found);
    }
    write_job_titles(sql, tenant.job_titles, now);
    write_units(sql, tenant.units, tenant.unit_departments, now);

    SQLite::Statement finish(sql, R"(
      UPDATE refresh_runs SET finished_at = max(started_at, ?2), result = 'ok', departments_seen = ?3, users_seen = ?4,
             users_added = ?5, users_changed = ?6, users_resigned = ?7, users_out_of_scope = ?8,
             job_titles_seen = ?9, units_seen = ?10, api_requests = ?11, rate_limit_waits = ?12
       WHERE id = ?1)");
    finish.bind(1, run_id);
    finish.bind(2, now);
    finish.bind(3, static_cast<std::int64_t>(tenant.departments.size()));
    finish.bind(4, static_cast<std::int64_t>(tenant.users.size()));
    finish.bind(5, added);
    finish.bind(6, changed);
    finish.bind(7, resigned);
    finish.bind(8, out_of_scope);
    finish.bind(9, static_cast<std::int64_t>(tenant.job_titles.size()));
    finish.bind(10, static_cast<std::int64_t>(tenant.units.size()));
    finish.bind(11, costs.api_requests);
    finish.bind(12, costs.rate_limit_waits);
    if (finish.exec() != 1) {
      throw StorageError(fmt::format("{}: refresh run {} is not recorded", m_db.file().string(), run_id));
    }
    tx.commit();
  });
  auto run = find_refresh(run_id);
  if (!run) {
    throw StorageError(fmt::format("{}: refresh run {} vanished after it was written", m_db.file().string(), run_id));
  }
  return *run;
}

void MirrorStore::finish_refresh(std::int64_t run_id, std::int64_t finished_at, const RefreshEnd& end)
{
  auto& sql = SqliteAccess::connection(m_db);
  guarded(m_db, fmt::format("recording the end of refresh {}", run_id), [&] {
    SQLite::Statement st(sql, R"(
      UPDATE refresh_runs SET finished_at = max(started_at, ?2), result = ?3, trust_reason = ?4, error = ?5,
             departments_seen = ?6, users_seen = ?7, job_titles_seen = ?8, units_seen = ?9,
             api_requests = ?10, rate_limit_waits = ?11
       WHERE id = ?1)");
    st.bind(1, run_id);
    st.bind(2, finished_at);
    st.bind(3, std::string(to_string(end.result == RefreshResult::untrusted ? RefreshResult::untrusted
                                                                          : RefreshResult::failed)));
    bind_nullable(st, 4, text_or_null(end.trust_reason));
    bind_nullable(st, 5, text_or_null(end.error));
    st.bind(6, end.departments_seen);
    st.bind(7, end.users_seen);
    st.bind(8, end.job_titles_seen);
    st.bind(9, end.units_seen);
    st.bind(10, end.costs.api_requests);
    st.bind(11, end.costs.rate_limit_waits);
    st.exec();
  });
}

std::vector<std::string> MirrorStore::active_user_ids() const
{
  auto& sql = SqliteAccess::connection(m_db);
  return guarded(m_db, "reading the mirror's active users", [&] {
    std::vector<std::string> ids;
    SQLite::Statement st(sql, "SELECT open_id FROM users WHERE mirror_state = 'active' ORDER BY open_id");
    while (st.executeStep()) {
      ids.push_back(st.getColumn(0).getString());
    }
    return ids;
  });
}

std::optional<RefreshRun> MirrorStore::find_refresh(std::int64_t run_id) const
{
  return find_run(m_db, "id = ?", run_id);
}

std::optional<RefreshRun> MirrorStore::find_latest_refresh() const
{
  return find_run(m_db, "result IS NOT NULL", std::nullopt);
}

std::optional<RefreshRun> MirrorStore::find_latest_trusted_refresh() const
{
  return find_run(m_db, "result = 'ok'", std::nullopt);
}

MirrorSnapshot MirrorStore::load_snapshot() const
{
  auto& sql = SqliteAccess::connection(m_db);
  MirrorSnapshot snapshot;
  guarded(m_db, "loading the mirror", [&] {
    // One read transaction, so the snapshot is of one moment even while a refresh writes.
    Transaction tx(m_db);
    if (auto run = find_latest_refresh()) {
      snapshot.refresh = *run;
    }

    SQLite::Statement deps(sql, R"(
      SELECT open_department_id, department_id, parent_open_department_id, name, i18n_name, leader_open_id,
             sort_order, member_count, primary_member_count, is_deleted, mirror_state
        FROM departments ORDER BY open_department_id)");
    std::vector<feishu::Department> plain;
    while (deps.executeStep()) {
      MirrorDepartment d;
      auto& f = d.department;
      f.open_department_id = deps.getColumn(0).getString();
      f.department_id = nullable_text(deps.getColumn(1)).value_or("");
      f.parent_department_id = nullable_text(deps.getColumn(2)).value_or("");
      f.name = deps.getColumn(3).getString();
      if (const auto i18n = nullable_text(deps.getColumn(4))) {
        const auto v = json::parse(*i18n);
        f.i18n_name.zh_cn = v.get_string("zh_cn");
        f.i18n_name.en_us = v.get_string("en_us");
        f.i18n_name.ja_jp = v.get_string("ja_jp");
      }
      f.leader_user_id = nullable_text(deps.getColumn(5)).value_or("");
      if (const auto order = nullable_int(deps.getColumn(6))) {
        f.order = std::to_string(*order);
      }
      f.member_count = nullable_int(deps.getColumn(7)).value_or(0);
      f.primary_member_count = nullable_int(deps.getColumn(8)).value_or(0);
      d.is_deleted = deps.getColumn(9).getInt() != 0;
      f.status.is_deleted = d.is_deleted;
      d.in_scope = deps.getColumn(10).getString() != "out_of_scope";
      if (f.open_department_id != k_root_id) {
        plain.push_back(f);
      }
      snapshot.departments.push_back(std::move(d));
    }
    const auto paths = department_paths(plain);
    for (auto& d : snapshot.departments) {
      if (const auto it = paths.find(d.department.open_department_id); it != paths.end()) {
        d.path = it->second;
      }
    }

    std::unordered_map<std::string, std::size_t> index;
    SQLite::Statement users(sql, fmt::format("SELECT {} FROM users ORDER BY open_id", k_user_columns));
    while (users.executeStep()) {
      MirrorUser m = read_mirror_user(users);
      const auto& u = m.user;
      index.emplace(u.open_id, snapshot.users.size());
      snapshot.users.push_back(std::move(m));
    }

    SQLite::Statement memberships(sql, R"(
      SELECT open_id, open_department_id, user_order, department_order, is_primary FROM user_departments
       ORDER BY open_id, is_primary DESC, department_order DESC, open_department_id)");
    while (memberships.executeStep()) {
      const auto it = index.find(memberships.getColumn(0).getString());
      if (it == index.end()) {
        continue;
      }
      auto& m = snapshot.users[it->second];
      feishu::UserOrder order;
      order.department_id = memberships.getColumn(1).getString();
      order.user_order = memberships.getColumn(2).getInt64();
      order.department_order = memberships.getColumn(3).getInt64();
      order.is_primary_dept = memberships.getColumn(4).getInt() != 0;
      m.user.department_ids.push_back(order.department_id);
      if (m.primary_department.empty()) {
        m.primary_department = order.department_id; // the first row is the primary one (see ORDER BY)
      }
      m.user.orders.push_back(std::move(order));
    }

    SQLite::Statement titles(sql, "SELECT job_title_id, name, i18n_name, is_enabled FROM job_titles ORDER BY job_title_id");
    while (titles.executeStep()) {
      feishu::JobTitle t;
      t.job_title_id = titles.getColumn(0).getString();
      t.name = titles.getColumn(1).getString();
      if (const auto i18n = nullable_text(titles.getColumn(2))) {
        const json::Value items = json::parse(*i18n);
        for (const auto& item : items.as_array()) {
          t.i18n_name.push_back({item.get_string("locale"), item.get_string("value")});
        }
      }
      t.status = titles.getColumn(3).getInt() != 0;
      snapshot.job_titles.push_back(std::move(t));
    }

    SQLite::Statement units(sql, "SELECT unit_id, name, unit_type FROM units ORDER BY unit_id");
    while (units.executeStep()) {
      feishu::Unit u;
      u.unit_id = units.getColumn(0).getString();
      u.name = units.getColumn(1).getString();
      u.unit_type = units.getColumn(2).getString();
      snapshot.units.push_back(std::move(u));
    }
  });
  return snapshot;
}

std::optional<MirrorUser> MirrorStore::find_user(const std::string& open_id) const
{
  return find_user_where("open_id = ?", open_id);
}

std::optional<MirrorUser> MirrorStore::find_user_by_employee_no(const std::string& employee_no) const
{
  return find_user_where("employee_no = ? AND mirror_state <> 'resigned'", employee_no);
}

std::optional<MirrorUser> MirrorStore::find_user_where(const char* condition, const std::string& value) const
{
  auto& sql = SqliteAccess::connection(m_db);
  return guarded(m_db, fmt::format("reading user {}", value), [&]() -> std::optional<MirrorUser> {
    SQLite::Statement st(sql, fmt::format("SELECT {} FROM users WHERE {} ORDER BY open_id LIMIT 1", k_user_columns,
                                          condition));
    st.bind(1, value);
    if (!st.executeStep()) {
      return std::nullopt;
    }
    MirrorUser m = read_mirror_user(st);
    SQLite::Statement memberships(sql, "SELECT open_department_id FROM user_departments WHERE open_id = ? "
                                       "ORDER BY is_primary DESC, department_order DESC, open_department_id");
    memberships.bind(1, m.user.open_id);
    while (memberships.executeStep()) {
      m.user.department_ids.push_back(memberships.getColumn(0).getString());
    }
    if (!m.user.department_ids.empty()) {
      m.primary_department = m.user.department_ids.front();
    }
    return m;
  });
}

void MirrorStore::upsert_user(const feishu::User& user, std::int64_t now)
{
  if (user.open_id.empty()) {
    throw StorageError(fmt::format("{}: cannot store user \"{}\" without an open_id (ask the API for "
                                   "user_id_type=open_id)",
                                   m_db.file().string(), user.name));
  }
  auto& sql = SqliteAccess::connection(m_db);
  guarded(m_db, fmt::format("storing user {}", user.open_id), [&] {
    in_transaction(m_db, [&] {
      const auto known = KnownUsers(sql).find(user.open_id);
      MirrorWriter writer(sql, std::nullopt, now);
      const MirrorState state = user.status.is_resigned ? MirrorState::resigned : MirrorState::active;
      writer.write_user(user, state, stored_department_path(sql, choose_primary_department(user)),
                        known ? &*known : nullptr);
    });
  });
}

void MirrorStore::mark_resigned(const std::string& open_id, std::int64_t now)
{
  auto& sql = SqliteAccess::connection(m_db);
  guarded(m_db, fmt::format("marking user {} resigned", open_id), [&] {
    in_transaction(m_db, [&] {
      const auto known = KnownUsers(sql).find(open_id);
      if (!known) {
        return;
      }
      SQLite::Statement flag(sql, "UPDATE users SET is_resigned = 1 WHERE open_id = ?");
      flag.bind(1, open_id);
      flag.exec();
      MirrorWriter writer(sql, std::nullopt, now);
      writer.set_state(open_id, MirrorState::resigned, *known);
    });
  });
}

void MirrorStore::mark_resurrect_refused(const std::string& open_id, long long code)
{
  auto& sql = SqliteAccess::connection(m_db);
  guarded(m_db, fmt::format("recording that Feishu refused to resurrect user {}", open_id), [&] {
    SQLite::Statement st(sql, "UPDATE users SET resurrect_refused = ? WHERE open_id = ? AND mirror_state = 'resigned'");
    st.bind(1, static_cast<std::int64_t>(code));
    st.bind(2, open_id);
    st.exec();
  });
}

} // namespace dirsync::storage
