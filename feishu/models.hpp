// The objects of Feishu's contact v3 API as plain structs (feishu-contact-api.md §2-§5), with their
// JSON decoding and the encoding of request bodies.
//
// Decoding is tolerant: an absent or null field takes the default below, a number sent as a
// numeric string (or a string-typed number sent as a number) is converted, and a field of any other
// unexpected type is left at its default rather than failing the whole page. Every decoded object
// keeps the exact JSON it came from in `raw`, so a field Feishu adds later, or one not broken out
// here, is never lost (the mirror stores `raw`).
//
// Request bodies (UserCreate, UserPatch, ...) encode only what is set: optional members that are
// empty are left out of the JSON, which for a PATCH means "do not change".
#pragma once

#include "common/json.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dirsync::feishu {

// ---------------------------------------------------------------------------------------------
// Id types (§6). Reference fields in requests and responses follow these.

enum class UserIdType { open_id, union_id, user_id };
enum class DepartmentIdType { open_department_id, department_id };

std::string_view to_string(UserIdType type);
std::string_view to_string(DepartmentIdType type);

struct IdTypes
{
  UserIdType user = UserIdType::open_id;
  DepartmentIdType department = DepartmentIdType::open_department_id;
};

// ---------------------------------------------------------------------------------------------
// Users (§2.1)

struct Avatar
{
  std::string avatar_72;
  std::string avatar_240;
  std::string avatar_640;
  std::string avatar_origin;
};

struct UserStatus
{
  bool is_frozen = false;
  bool is_resigned = false;
  bool is_activated = false;
  bool is_exited = false;   // left on their own; becomes resigned later
  bool is_unjoin = false;   // invited, not yet joined
};

struct UserOrder
{
  std::string department_id;
  std::int64_t user_order = 0;        // larger sorts first
  std::int64_t department_order = 0;  // the primary department has the largest
  bool is_primary_dept = false;
};

struct GenericUser
{
  std::string id;
  std::int64_t type = 1;
};

struct CustomAttrValue
{
  std::string text;
  std::string url;
  std::string pc_url;
  std::string option_id;
  std::string option_value;
  std::string name;
  std::string picture_url;
  std::optional<GenericUser> generic_user;
};

struct CustomAttr
{
  std::string type;  // TEXT | HREF | ENUMERATION | PICTURE_ENUM | GENERIC_USER
  std::string id;
  CustomAttrValue value;
};

struct I18nText
{
  std::string zh_cn;
  std::string ja_jp;
  std::string en_us;
};

struct AssignInfo
{
  std::string subscription_id;
  std::string license_plan_key;
  std::string product_name;
  I18nText i18n_name;
  std::string start_time;  // seconds, as a string
  std::string end_time;
};

struct User
{
  std::string union_id;
  std::string user_id;   // only with the contact:user.employee_id:readonly scope
  std::string open_id;
  std::string name;
  std::string en_name;
  std::string nickname;
  std::string email;
  std::string mobile;    // non-CN numbers as +<cc>...
  bool mobile_visible = true;
  std::int64_t gender = 0;  // 0 secret, 1 male, 2 female, 3 other
  std::string avatar_key;
  Avatar avatar;
  UserStatus status;
  bool is_frozen = false;   // the top-level flag (status.is_frozen is the same fact)
  std::vector<std::string> department_ids;  // typed by department_id_type
  std::string leader_user_id;               // typed by user_id_type
  std::vector<std::string> dotted_line_leader_user_ids;
  std::vector<UserOrder> orders;
  std::string city;
  std::string country;
  std::string work_station;
  std::int64_t join_time = 0;  // unix seconds
  bool is_tenant_manager = false;
  std::string employee_no;
  std::int64_t employee_type = 0;  // 1 full-time, 2 intern, 3 outsourced, 4 contractor, 5 consultant
  std::string enterprise_email;
  std::string job_title;
  std::string geo;
  std::string job_level_id;
  std::string job_family_id;
  std::vector<CustomAttr> custom_attrs;
  std::vector<std::string> subscription_ids;
  std::vector<AssignInfo> assign_info;
  std::string raw;  // the JSON this was decoded from
};

User decode_user(const json::Value& v);

// The body of POST /users. name, department_ids and employee_type are required by Feishu, and a
// mobile or an email.
struct UserCreate
{
  std::string name;
  std::vector<std::string> department_ids;
  std::int64_t employee_type = 1;
  std::optional<std::string> mobile;
  std::optional<std::string> email;
  std::optional<std::string> user_id;
  std::optional<std::string> en_name;
  std::optional<std::string> nickname;
  std::optional<bool> mobile_visible;
  std::optional<std::int64_t> gender;
  std::optional<std::string> avatar_key;
  std::optional<std::string> leader_user_id;
  std::optional<std::vector<std::string>> dotted_line_leader_user_ids;
  std::optional<std::vector<UserOrder>> orders;
  std::optional<std::string> city;
  std::optional<std::string> country;
  std::optional<std::string> work_station;
  std::optional<std::int64_t> join_time;
  std::optional<std::string> employee_no;
  std::optional<std::string> job_title;
  std::optional<std::string> job_level_id;
  std::optional<std::string> job_family_id;
  std::optional<std::vector<CustomAttr>> custom_attrs;
  std::optional<std::string> enterprise_email;
  std::optional<std::string> geo;
  std::optional<std::vector<std::string>> subscription_ids;
};

json::Value encode(const UserCreate& user);

// The body of PATCH /users/:id: only the fields that are set are sent, the rest stay unchanged.
// user_id cannot be patched (use update_user_id), nor geo.
struct UserPatch
{
  std::optional<std::string> name;
  std::optional<std::string> en_name;
  std::optional<std::string> nickname;
  std::optional<std::string> email;
  std::optional<std::string> mobile;
  std::optional<bool> mobile_visible;
  std::optional<std::int64_t> gender;
  std::optional<std::string> avatar_key;
  std::optional<std::vector<std::string>> department_ids;
  std::optional<std::string> leader_user_id;
  std::optional<std::vector<std::string>> dotted_line_leader_user_ids;
  std::optional<std::vector<UserOrder>> orders;
  std::optional<std::string> city;
  std::optional<std::string> country;
  std::optional<std::string> work_station;
  std::optional<std::string> employee_no;
  std::optional<std::int64_t> employee_type;
  std::optional<std::int64_t> join_time;  // 0 clears it
  std::optional<std::string> job_title;
  std::optional<std::string> job_level_id;
  std::optional<std::string> job_family_id;
  std::optional<bool> is_frozen;
  std::optional<std::vector<CustomAttr>> custom_attrs;
  std::optional<std::string> enterprise_email;
  std::optional<std::vector<std::string>> subscription_ids;

  // Feishu limits a patch that changes departments or the frozen flag to 1 per second.
  bool changes_department_or_frozen() const { return department_ids.has_value() || is_frozen.has_value(); }
};

json::Value encode(const UserPatch& patch);

// What to do with a leaver's mail (DELETE /users/:id, email_acceptor).
struct EmailAcceptor
{
  std::string processing_type;  // "1" transfer, "2" keep, "3" delete
  std::string acceptor_user_id; // with processing_type "1"
};

// The body of DELETE /users/:id. Empty acceptors are left out: Feishu then gives the resources
// to the user's leader, or keeps or deletes them by resource type.
struct UserDelete
{
  std::string department_chat_acceptor_user_id;
  std::string external_chat_acceptor_user_id;
  std::string docs_acceptor_user_id;
  std::string calendar_acceptor_user_id;
  std::string application_acceptor_user_id;
  std::string minutes_acceptor_user_id;
  std::string survey_acceptor_user_id;
  std::string anycross_acceptor_user_id;
  std::optional<EmailAcceptor> email_acceptor;
};

json::Value encode(const UserDelete& request);

struct ResurrectDepartment
{
  std::string department_id;
  std::optional<std::int64_t> user_order;
  std::optional<std::int64_t> department_order;
};

// The body of POST /users/:id/resurrect. No departments: the user returns to the root.
struct UserResurrect
{
  std::vector<ResurrectDepartment> departments;
  std::vector<std::string> subscription_ids;
};

json::Value encode(const UserResurrect& request);

// The body of POST /users/batch_get_id; the client splits longer lists into requests of 50.
struct BatchIdQuery
{
  std::vector<std::string> emails;
  std::vector<std::string> mobiles;
  bool include_resigned = false;
};

// One entry of batch_get_id's user_list: one per queried email or mobile, echoing it; user_id is
// empty when nobody (in scope, or not resigned unless asked) has it.
struct BatchIdEntry
{
  std::string user_id;  // typed by user_id_type
  std::string email;
  std::string mobile;
  UserStatus status;
  std::string raw;
};

BatchIdEntry decode_batch_id_entry(const json::Value& v);

// An entry of GET /search/v1/user (user token).
struct SearchUser
{
  std::string open_id;
  std::string user_id;
  std::string name;
  std::vector<std::string> department_ids;
  Avatar avatar;
  std::string raw;
};

SearchUser decode_search_user(const json::Value& v);

// GET /authen/v1/user_info: the user a user_access_token belongs to.
struct CurrentUser
{
  std::string name;
  std::string en_name;
  std::string avatar_url;
  std::string avatar_thumb;
  std::string avatar_middle;
  std::string avatar_big;
  std::string open_id;
  std::string union_id;
  std::string email;
  std::string enterprise_email;
  std::string user_id;
  std::string mobile;
  std::string tenant_key;
  std::string employee_no;
  std::string raw;
};

CurrentUser decode_current_user(const json::Value& v);

// The body of POST /passport/v1/sessions/logout.
struct Logout
{
  int logout_type = 1;  // 1 by user_id, 2 by idp_credential_id, 3 by session sid
  std::string user_id;
  std::string idp_credential_id;
  std::string sid;
  std::vector<int> terminal_type;  // empty: all terminals
  std::optional<int> logout_reason;
};

json::Value encode(const Logout& request);

struct JsapiTicket
{
  std::string ticket;
  std::int64_t expire_in = 0;  // seconds
  std::string raw;
};

JsapiTicket decode_jsapi_ticket(const json::Value& v);

// ---------------------------------------------------------------------------------------------
// Departments (§3)

struct DepartmentLeader
{
  std::int64_t leader_type = 0;  // 1 main, 2 deputy (JSON: leaderType)
  std::string leader_id;         // JSON: leaderID
};

struct DepartmentStatus
{
  bool is_deleted = false;
};

struct Department
{
  std::string name;
  I18nText i18n_name;
  std::string parent_department_id;  // typed by department_id_type; "0" under the root
  std::string department_id;
  std::string open_department_id;
  std::string leader_user_id;
  std::vector<DepartmentLeader> leaders;
  std::vector<std::string> department_hrbps;
  std::string chat_id;
  std::vector<std::int64_t> group_chat_employee_types;
  std::string order;  // a non-negative integer as a string; smaller sorts first
  std::vector<std::string> unit_ids;
  std::int64_t member_count = 0;
  std::int64_t primary_member_count = 0;
  DepartmentStatus status;
  std::string raw;
};

Department decode_department(const json::Value& v);

// The body of POST /departments (used to seed test tenants).
struct DepartmentCreate
{
  std::string name;
  std::string parent_department_id = "0";
  std::optional<std::string> department_id;
  std::optional<I18nText> i18n_name;
  std::optional<std::string> leader_user_id;
  std::optional<std::string> order;
  std::optional<std::vector<std::string>> unit_ids;
  std::optional<bool> create_group_chat;
  std::optional<std::vector<DepartmentLeader>> leaders;
  std::optional<std::vector<std::int64_t>> group_chat_employee_types;
  std::optional<std::vector<std::string>> department_hrbps;
};

json::Value encode(const DepartmentCreate& department);

// ---------------------------------------------------------------------------------------------
// Job titles (§4): i18n_name is a list of locale/value pairs and status a plain bool.

struct LocaleText
{
  std::string locale;  // zh_cn | en_us | ja_jp
  std::string value;
};

struct JobTitle
{
  std::string job_title_id;
  std::string name;
  std::vector<LocaleText> i18n_name;
  bool status = false;  // true = enabled
  std::string raw;
};

JobTitle decode_job_title(const json::Value& v);

// ---------------------------------------------------------------------------------------------
// Units (§5)

struct Unit
{
  std::string unit_id;
  std::string name;
  std::string unit_type;
  std::string raw;
};

Unit decode_unit(const json::Value& v);

struct UnitCreate
{
  std::string name;
  std::string unit_type;
  std::optional<std::string> unit_id;  // generated by Feishu when absent
};

json::Value encode(const UnitCreate& unit);

struct UnitDepartment
{
  std::string unit_id;
  std::string department_id;  // typed by department_id_type
  std::string raw;
};

UnitDepartment decode_unit_department(const json::Value& v);

} // namespace dirsync::feishu
