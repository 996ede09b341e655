// The emulated Feishu tenant: apps and their contact scopes, departments, users, job titles and
// units, with the business rules of the contact v3 API (/work/shared/feishu-contact-api.md):
// uniqueness of mobile, email, user_id and employee_no; resignation and the 30-day resurrect
// window; client_token idempotency; opaque page tokens; id types; tokens that expire.
//
// It knows nothing about HTTP. Every operation takes already-parsed parameters and returns the
// `data` object of the envelope, or throws ApiFailure carrying the HTTP status, the Feishu code and
// msg that the real service would answer. Times come from an emulator clock: a wall clock (which
// tests inject) plus an offset that advance_clock() moves, so a test can age a resignation past
// 30 days or a token past its lifetime without sleeping.
//
// Not thread-safe: the HTTP layer serializes calls.
#pragma once

#include "common/error.hpp"
#include "common/json.hpp"
#include "emulator/page_tokens.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dirsync::emulator {

// A failure the API reports to the client, as the real service would: HTTP status, code, msg.
class ApiFailure : public Error
{
public:
  ApiFailure(int http_status, long long code, std::string msg);
  int http_status() const { return m_http_status; }
  long long code() const { return m_code; }
  const std::string& msg() const { return m_msg; }

private:
  int m_http_status;
  long long m_code;
  std::string m_msg;
};

enum class UserIdType { open_id, union_id, user_id };
enum class DepartmentIdType { open_department_id, department_id };

struct IdTypes
{
  UserIdType user = UserIdType::open_id;
  DepartmentIdType department = DepartmentIdType::open_department_id;
};

// Parses a `user_id_type` / `department_id_type` value; an empty value gives the default.
// Throws ApiFailure 400/40001 for anything else.
UserIdType parse_user_id_type(std::string_view value);
DepartmentIdType parse_department_id_type(std::string_view value);

enum class TokenKind { tenant, app, user };

// Who is calling: the app a token belongs to and, for a user token, the user.
struct Caller
{
  std::string app_id;
  TokenKind kind = TokenKind::tenant;
  std::uint64_t user = 0; // internal user key, for user tokens
};

struct TokenGrant
{
  std::string token;
  std::int64_t expire = 0; // remaining lifetime in seconds
};

// A page request: page_size as sent (empty when absent) and the page token (empty when absent).
struct PageRequest
{
  std::string page_size;
  std::string page_token;
};

class Tenant
{
public:
  struct Options
  {
    std::int64_t token_ttl = 7200;     // seconds a token lives
    std::uint64_t random_seed = 1;     // tokens and generated ids derive from it
    std::function<std::int64_t()> wall_clock; // unix seconds; empty = the system clock
    // A recursive children listing (fetch_child) over more departments than this answers 43010
    // "big dept forbid recursion", as the real service does for big tenants; 0 = no limit.
    std::size_t fetch_child_limit = 0;
  };

  explicit Tenant(Options options);

  // Replaces the whole tenant with `seed` (the seed format of docs/emulator.md). Throws InputError
  // naming the offending entry ("users[3].department_ids[0]: ...") and leaves the tenant unchanged.
  void load_seed(const json::Value& seed);
  // The tenant in the seed format, with generated ids (open_id, union_id, open_department_id) and
  // all stored user fields added, so that load_seed(state()) restores it.
  json::Value state() const;
  // Back to the last seed loaded (with its clock offset); forgets client tokens, keeps access tokens.
  void reset();

  // Emulator clock, unix seconds.
  std::int64_t now() const;
  void advance_clock(std::int64_t seconds);
  std::int64_t clock_offset() const { return m_clock_offset; }

  // Incremented by every change to tenant data (for persistence).
  std::uint64_t generation() const { return m_generation; }

  // --- auth
  TokenGrant issue_tenant_token(const json::Value& body);
  // Returns {app_access_token grant, tenant_access_token grant}.
  std::pair<TokenGrant, TokenGrant> issue_app_token(const json::Value& body);
  // A user_access_token for the user with this user_id (custom id), for `app_id` (empty: the first app).
  TokenGrant issue_user_token(std::string_view user_id, std::string_view app_id);
  // The caller a bearer token stands for. Throws 99991671 for a malformed token and 99991663
  // (tenant/app) or 99991668 (user) for an unknown or expired one.
  Caller authenticate(std::string_view token) const;

  // --- users
  json::Value create_user(const Caller& caller, const json::Value& body, IdTypes types,
                          std::string_view client_token);
  json::Value patch_user(const Caller& caller, std::string_view id, const json::Value& body, IdTypes types);
  json::Value update_user(const Caller& caller, std::string_view id, const json::Value& body, IdTypes types);
  json::Value update_user_id(const Caller& caller, std::string_view id, const json::Value& body, IdTypes types);
  json::Value get_user(const Caller& caller, std::string_view id, IdTypes types) const;
  json::Value batch_get_users(const Caller& caller, const std::vector<std::string>& ids, IdTypes types) const;
  json::Value find_users_by_department(const Caller& caller, std::string_view department_id, IdTypes types,
                                       const PageRequest& page) const;
  json::Value batch_get_user_ids(const Caller& caller, const json::Value& body, IdTypes types) const;
  json::Value delete_user(const Caller& caller, std::string_view id, const json::Value& body, IdTypes types);
  json::Value resurrect_user(const Caller& caller, std::string_view id, const json::Value& body, IdTypes types);
  json::Value search_users(const Caller& caller, std::string_view query, const PageRequest& page) const;
  json::Value user_info(const Caller& caller) const;
  json::Value logout(const Caller& caller, const json::Value& body, IdTypes types);
  json::Value jssdk_ticket(const Caller& caller);

  // --- departments
  json::Value department_children(const Caller& caller, std::string_view id, IdTypes types, bool fetch_child,
                                  const PageRequest& page) const;
  json::Value get_department(const Caller& caller, std::string_view id, IdTypes types) const;
  json::Value create_department(const Caller& caller, const json::Value& body, IdTypes types,
                                std::string_view client_token);
  json::Value patch_department(const Caller& caller, std::string_view id, const json::Value& body, IdTypes types);
  json::Value delete_department(const Caller& caller, std::string_view id, IdTypes types);

  // --- job titles
  json::Value list_job_titles(const Caller& caller, const PageRequest& page) const;
  json::Value get_job_title(const Caller& caller, std::string_view id) const;

  // --- units
  json::Value create_unit(const Caller& caller, const json::Value& body);
  json::Value patch_unit(const Caller& caller, std::string_view id, const json::Value& body);
  json::Value bind_unit_department(const Caller& caller, const json::Value& body, bool bind);
  json::Value list_unit_departments(const Caller& caller, std::string_view unit_id, DepartmentIdType type,
                                    const PageRequest& page) const;
  json::Value get_unit(const Caller& caller, std::string_view id) const;
  json::Value list_units(const Caller& caller, const PageRequest& page) const;
  json::Value delete_unit(const Caller& caller, std::string_view id);

  std::size_t user_count() const { return m_users.size(); }
  std::size_t department_count() const { return m_departments.size() - 1; }

private:
  struct Membership
  {
    std::uint64_t department = 0; // internal key; 0 = root
    std::int64_t user_order = 0;
    std::int64_t department_order = 0;
    bool is_primary = false;
  };

  struct User
  {
    std::uint64_t key = 0;
    std::string user_id, open_id, union_id;
    std::string name, en_name, nickname, email, mobile, employee_no, job_title;
    std::string city, country, work_station, enterprise_email, job_level_id, job_family_id, avatar_key, geo;
    bool mobile_visible = true;
    std::int64_t gender = 0;
    std::int64_t employee_type = 1;
    std::int64_t join_time = 0;
    bool is_tenant_manager = false;
    bool is_frozen = false;
    std::vector<Membership> memberships;
    std::vector<std::uint64_t> last_departments; // a resigned user's departments, for scope checks
    std::uint64_t leader = 0;
    std::vector<std::uint64_t> dotted_line_leaders;
    json::Value custom_attrs; // array, kept as sent
    std::optional<std::int64_t> resigned_at;
  };

  struct Department
  {
    std::uint64_t key = 0; // 0 = root
    std::string department_id, open_department_id;
    std::string name;
    json::Value i18n_name; // object {zh_cn, ja_jp, en_us} or null
    std::uint64_t parent = 0;
    std::uint64_t leader = 0;
    std::string order = "0";
    std::set<std::uint64_t> children;
    std::set<std::uint64_t> members; // active users listed in this department, by key
  };

  struct JobTitle
  {
    std::string name;
    json::Value i18n_name; // array of {locale, value}
    bool status = true;
  };

  struct Unit
  {
    std::string name, unit_type;
    std::set<std::uint64_t> departments;
  };

  struct App
  {
    std::string app_id, app_secret;
    std::vector<std::string> scope; // department_ids as seeded; "0" = whole tenant
    bool whole_tenant = false;
    std::set<std::uint64_t> scope_keys;
  };

  struct Token
  {
    TokenKind kind = TokenKind::tenant;
    std::string app_id;
    std::uint64_t user = 0;
    std::int64_t expires_at = 0;
  };

  struct Remembered
  {
    std::string fingerprint;
    std::uint64_t key = 0;
  };

  // Seed handling (tenant_seed.cpp).
  void load_seed_into(const json::Value& seed);
  void clear_data();

  // Lookups. find_* return nullopt when absent; require_* throw the API's error.
  const App& app_of(const Caller& caller) const;
  std::optional<std::uint64_t> find_user(std::string_view id, UserIdType type) const;
  std::optional<std::uint64_t> find_department(std::string_view id, DepartmentIdType type) const;
  std::uint64_t require_visible_user(const Caller& caller, std::string_view id, UserIdType type) const;
  std::uint64_t require_visible_department(const Caller& caller, std::string_view id, DepartmentIdType type,
                                           int missing_http, long long missing_code) const;
  bool department_visible(const App& app, std::uint64_t key) const;
  bool user_visible(const App& app, const User& user) const;

  // Output.
  std::string user_ref(std::uint64_t key, UserIdType type) const;
  std::string department_ref(std::uint64_t key, DepartmentIdType type) const;
  json::Value user_json(const User& user, IdTypes types) const;
  json::Value department_json(const Department& d, IdTypes types) const;
  json::Value job_title_json(const std::string& id, const JobTitle& t) const;

  // Writes.
  std::uint64_t add_user(User user);
  void index_user(const User& user);
  void unindex_user(const User& user);
  void set_memberships(User& user, std::vector<Membership> memberships);
  void apply_user_fields(User& user, const json::Value& body, IdTypes types, const Caller& caller, bool creating);
  void check_user_conflicts(const User& candidate, std::uint64_t self) const;
  json::Value replace_user(User& stored, User candidate, IdTypes types);
  std::uint64_t add_department(Department d);
  void touch() { ++m_generation; }

  // Ids and tokens.
  std::string generate_hex(std::string_view kind, std::uint64_t n, std::size_t length) const;
  std::string random_token(std::string_view prefix);
  TokenGrant grant(TokenKind kind, const std::string& app_id, std::uint64_t user);

  // Paging.
  std::size_t page_size(const PageRequest& page, std::size_t fallback, std::size_t max) const;
  std::optional<std::string> find_page_cursor(std::string_view context, const PageRequest& page) const;

  Options m_options;
  std::int64_t m_clock_offset = 0;
  std::uint64_t m_generation = 0;
  json::Value m_seed; // the last seed loaded, for reset()
  PageTokens m_page_tokens;
  std::mt19937_64 m_random;

  std::vector<App> m_apps;
  std::map<std::uint64_t, Department> m_departments; // always holds the root (key 0)
  std::unordered_map<std::string, std::uint64_t> m_department_by_id;
  std::unordered_map<std::string, std::uint64_t> m_department_by_open_id;
  std::uint64_t m_next_department_key = 1;

  std::map<std::uint64_t, User> m_users;
  std::uint64_t m_next_user_key = 1;
  std::unordered_map<std::string, std::uint64_t> m_user_by_open_id;
  std::unordered_map<std::string, std::uint64_t> m_user_by_union_id;
  // Active users only: these values are unique among people who have not resigned.
  std::unordered_map<std::string, std::uint64_t> m_active_by_user_id;
  std::unordered_map<std::string, std::uint64_t> m_active_by_mobile;
  std::unordered_map<std::string, std::uint64_t> m_active_by_email;
  std::unordered_map<std::string, std::uint64_t> m_active_by_employee_no;
  // Resigned users, most recent resignation wins.
  std::unordered_map<std::string, std::uint64_t> m_resigned_by_user_id;
  std::unordered_map<std::string, std::uint64_t> m_resigned_by_mobile;
  std::unordered_map<std::string, std::uint64_t> m_resigned_by_email;

  std::map<std::string, JobTitle> m_job_titles;
  std::map<std::string, Unit> m_units;
  std::unordered_map<std::uint64_t, std::string> m_unit_of_department;

  std::unordered_map<std::string, Token> m_tokens;
  std::map<std::pair<std::string, int>, std::string> m_current_token; // (app, kind) → token
  std::unordered_map<std::string, Remembered> m_user_client_tokens;
  std::unordered_map<std::string, Remembered> m_department_client_tokens;
};

// Mobile numbers compare in E.164: "13800000001" and "+8613800000001" are the same number.
std::string normalize_mobile(std::string_view mobile);

} // namespace dirsync::emulator
