// The configuration of feishu-dirsync (DESIGN.md §5) as plain structs: loaded once from YAML by
// load_config() (config/loader.hpp), validated, and immutable afterwards. Each module is handed the
// section it needs; nothing reads configuration globally.
//
// Defaults here are the defaults of the product: a key left out of the YAML takes the value below.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dirsync::config {

// One window of a rate limit: at most `requests` per `per`.
struct RateWindow
{
  int requests = 0;
  std::chrono::seconds per{1};
};

struct FeishuConfig
{
  // https://..., or http:// to a loopback host (the emulator); never ends with '/'.
  std::string base_url = "https://open.feishu.cn"; // or https://open.larksuite.com, or the emulator
  std::string app_id;
  std::optional<std::filesystem::path> app_secret_file;
  // Resolved at load time from app_secret_file, $CREDENTIALS_DIRECTORY/app_secret or
  // DIRSYNC_APP_SECRET. Never log it: pass it through redact().
  std::string app_secret;
  // Where the secret came from, for people ("file /etc/dirsync/app_secret", "systemd credential
  // ...", "environment variable DIRSYNC_APP_SECRET"); never the secret itself.
  std::string app_secret_source;
  std::chrono::milliseconds timeout{10'000};
  int max_in_flight = 8;  // concurrent requests
  int max_attempts = 5;   // per request, for failures a retry can help
  // Endpoint name → windows that replace the platform's published tier for that endpoint
  // (YAML: `rate_limits: { user_create: [50/s, 1000/min] }`). The names are checked by feishu/.
  std::map<std::string, std::vector<RateWindow>> rate_limits;
};

struct StorageConfig
{
  std::filesystem::path database = "/var/lib/dirsync/mirror.db";
};

struct ScopeConfig
{
  std::vector<std::string> departments{"0"}; // subtrees the sync may touch (HR department ids or "0")
  std::vector<std::string> exclude_departments;
};

enum class ApplyMode { automatic, manual };         // YAML: auto | manual
enum class DriftPolicy { revert, report };          // YAML: revert | report
enum class LeaverAction { delete_user, freeze };    // YAML: delete | freeze

struct LeaverConfig
{
  LeaverAction action = LeaverAction::delete_user;
  // Who receives a leaver's docs, chats, calendars, mail...: "leader" (the leaver's leader), an
  // employee number, or "" (Feishu's default handling).
  std::string acceptor = "leader";
  std::string fallback_acceptor; // used when the acceptor cannot be resolved (e.g. no leader)
};

struct RehireConfig
{
  int resurrect_within_days = 30;
};

struct FutureHiresConfig
{
  int pre_start_days = 0; // create a future hire this many days before the join date
};

struct SafetyConfig
{
  int max_deletes = 20;                    // per plan and per rolling 24 h
  double max_deletes_percent = 5;          // of managed users
  double max_source_shrink_percent = 10;   // a full export this much smaller than the last is rejected
  double max_mirror_shrink_percent = 10;   // a refresh that loses this many users is not trusted
  std::vector<std::string> protected_users; // open_ids or employee numbers never deleted or frozen
  bool hold_first_plan = true;             // the first plan against a tenant waits for approve
};

struct SyncConfig
{
  std::chrono::seconds refresh_interval{15 * 60};
  ScopeConfig scope;
  ApplyMode apply_mode = ApplyMode::automatic;
  DriftPolicy drift = DriftPolicy::revert;
  // HR-owned fields: name, en_name, email, mobile, department, job_title, leader, employee_type,
  // join_time, city, work_station.
  std::vector<std::string> owned_fields{"name",          "en_name",   "email",     "mobile",
                                        "department",    "job_title", "leader",    "employee_type",
                                        "join_time",     "city",      "work_station"};
  LeaverConfig leaver;
  RehireConfig rehire;
  FutureHiresConfig future_hires;
  SafetyConfig safety;
};

enum class HrMode { full, delta };
enum class HrFormat { auto_detect, csv, json, jsonl };     // YAML: auto | csv | json | jsonl
enum class HrEncoding { auto_detect, utf8, gb18030 };      // YAML: auto | utf-8 | gb18030
enum class DepartmentKey { path, department_id };

struct HrConfig
{
  std::filesystem::path inbox = "/var/lib/dirsync/inbox";
  std::filesystem::path archive = "/var/lib/dirsync/archive";
  std::filesystem::path rejected = "/var/lib/dirsync/rejected";
  HrMode mode = HrMode::full;
  HrFormat format = HrFormat::auto_detect;
  HrEncoding encoding = HrEncoding::auto_detect;
  std::string default_region = "CN"; // ISO 3166 region for mobiles without a country code, upper-case
  DepartmentKey department_key = DepartmentKey::path;
  std::string department_separator = "/"; // between the levels of a department path
  // Our field name → the HR export's column name. Known fields: employee_no, name, en_name, email,
  // mobile, department, job_title, leader, employee_type, join_date, status, city, work_station,
  // gender. employee_no, name and department are required, and at least one of email and mobile;
  // no two fields share a column. A `columns:` in the YAML replaces this default as a whole.
  std::map<std::string, std::string> columns{
    {"employee_no", "工号"},      {"name", "姓名"},          {"email", "邮箱"},
    {"mobile", "手机"},           {"department", "部门"},    {"job_title", "职务"},
    {"leader", "直属上级工号"},   {"employee_type", "员工类型"}, {"join_date", "入职日期"},
    {"status", "状态"}};
  // Our field name → (HR value → our value). Fields: employee_type maps to a whole number >= 1
  // (as decimal text), status to "active" or "terminated", gender to "0".."3". A field given in
  // the YAML replaces that field's default map; the other fields keep theirs.
  std::map<std::string, std::map<std::string, std::string>> values{
    {"employee_type", {{"正式", "1"}, {"实习", "2"}, {"外包", "3"}, {"劳务", "4"}, {"顾问", "5"}}},
    {"status", {{"在职", "active"}, {"离职", "terminated"}}}};
};

struct ServerConfig
{
  // HOST:PORT ("[::1]:9464" for IPv6) of /metrics, /healthz, /status; empty disables.
  std::string listen = "127.0.0.1:9464";
};

struct LoggingConfig
{
  std::string level = "info"; // trace, debug, info, warn, error, critical or off
};

struct Config
{
  std::filesystem::path source; // the file it was loaded from, absolute
  // Relative paths in the YAML (storage.database, hr.inbox/archive/rejected, app_secret_file)
  // are already resolved against the directory of `source` here.
  FeishuConfig feishu;
  StorageConfig storage;
  SyncConfig sync;
  HrConfig hr;
  ServerConfig server;
  LoggingConfig logging;
};

} // namespace dirsync::config
