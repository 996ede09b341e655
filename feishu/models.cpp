#include "feishu/models.hpp"

#include <charconv>

namespace dirsync::feishu {

namespace {

using json::Value;

// Tolerant readers: absent, null or unusable → the fallback.

std::string str(const Value& v, std::string_view key)
{
  const Value* m = v.find(key);
  if (m == nullptr) {
    return {};
  }
  if (m->is_string()) {
    return m->as_string();
  }
  if (m->is_integer()) {
    return std::to_string(m->as_int());
  }
  return {};
}

std::int64_t num(const Value& v, std::string_view key, std::int64_t fallback = 0)
{
  const Value* m = v.find(key);
  if (m == nullptr) {
    return fallback;
  }
  if (m->is_integer()) {
    return m->as_int();
  }
  if (m->is_number()) {
    double d = m->as_double();
    return static_cast<std::int64_t>(d);
  }
  if (m->is_string()) {
    const std::string& s = m->as_string();
    std::int64_t out = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && end == s.data() + s.size()) {
      return out;
    }
  }
  return fallback;
}

bool flag(const Value& v, std::string_view key, bool fallback = false)
{
  const Value* m = v.find(key);
  if (m == nullptr) {
    return fallback;
  }
  if (m->is_bool()) {
    return m->as_bool();
  }
  if (m->is_integer()) {
    return m->as_int() != 0;
  }
  if (m->is_string()) {
    return m->as_string() == "true";
  }
  return fallback;
}

const Value& object_or_empty(const Value& v, std::string_view key)
{
  static const Value k_empty = Value::object();
  const Value* m = v.find(key);
  return (m != nullptr && m->is_object()) ? *m : k_empty;
}

const json::Array& array_or_empty(const Value& v, std::string_view key)
{
  static const json::Array k_empty;
  const Value* m = v.find(key);
  return (m != nullptr && m->is_array()) ? m->as_array() : k_empty;
}

std::vector<std::string> strings(const Value& v, std::string_view key)
{
  std::vector<std::string> out;
  for (const auto& item : array_or_empty(v, key)) {
    if (item.is_string()) {
      out.push_back(item.as_string());
    } else if (item.is_integer()) {
      out.push_back(std::to_string(item.as_int()));
    }
  }
  return out;
}

std::vector<std::int64_t> numbers(const Value& v, std::string_view key)
{
  std::vector<std::int64_t> out;
  for (const auto& item : array_or_empty(v, key)) {
    if (item.is_number()) {
      out.push_back(item.as_int());
    }
  }
  return out;
}

template<typename T, typename Decode>
std::vector<T> objects(const Value& v, std::string_view key, Decode decode)
{
  std::vector<T> out;
  for (const auto& item : array_or_empty(v, key)) {
    if (item.is_object()) {
      out.push_back(decode(item));
    }
  }
  return out;
}

Avatar decode_avatar(const Value& v)
{
  return {str(v, "avatar_72"), str(v, "avatar_240"), str(v, "avatar_640"), str(v, "avatar_origin")};
}

UserStatus decode_status(const Value& v)
{
  UserStatus s;
  s.is_frozen = flag(v, "is_frozen");
  s.is_resigned = flag(v, "is_resigned");
  s.is_activated = flag(v, "is_activated");
  s.is_exited = flag(v, "is_exited");
  s.is_unjoin = flag(v, "is_unjoin");
  return s;
}

UserOrder decode_order(const Value& v)
{
  return {str(v, "department_id"), num(v, "user_order"), num(v, "department_order"),
          flag(v, "is_primary_dept")};
}

I18nText decode_i18n(const Value& v)
{
  return {str(v, "zh_cn"), str(v, "ja_jp"), str(v, "en_us")};
}

CustomAttr decode_custom_attr(const Value& v)
{
  CustomAttr a;
  a.type = str(v, "type");
  a.id = str(v, "id");
  const Value& value = object_or_empty(v, "value");
  a.value.text = str(value, "text");
  a.value.url = str(value, "url");
  a.value.pc_url = str(value, "pc_url");
  a.value.option_id = str(value, "option_id");
  a.value.option_value = str(value, "option_value");
  a.value.name = str(value, "name");
  a.value.picture_url = str(value, "picture_url");
  if (const Value* g = value.find("generic_user"); g != nullptr && g->is_object()) {
    a.value.generic_user = GenericUser{str(*g, "id"), num(*g, "type", 1)};
  }
  return a;
}

AssignInfo decode_assign_info(const Value& v)
{
  return {str(v, "subscription_id"), str(v, "license_plan_key"), str(v, "product_name"),
          decode_i18n(object_or_empty(v, "i18n_name")), str(v, "start_time"), str(v, "end_time")};
}

// Encoders.

void put(Value& out, std::string_view key, const std::optional<std::string>& v)
{
  if (v) {
    out.set(key, *v);
  }
}

void put(Value& out, std::string_view key, const std::optional<std::int64_t>& v)
{
  if (v) {
    out.set(key, static_cast<long long>(*v));
  }
}

void put(Value& out, std::string_view key, const std::optional<bool>& v)
{
  if (v) {
    out.set(key, *v);
  }
}

void put(Value& out, std::string_view key, const std::optional<std::vector<std::string>>& v)
{
  if (v) {
    out.set(key, Value::string_array(*v));
  }
}

void put_nonempty(Value& out, std::string_view key, const std::string& v)
{
  if (!v.empty()) {
    out.set(key, v);
  }
}

Value encode_orders(const std::vector<UserOrder>& orders)
{
  Value out = Value::array();
  for (const auto& o : orders) {
    out.push_back(Value::object({{"department_id", o.department_id},
                                 {"user_order", static_cast<long long>(o.user_order)},
                                 {"department_order", static_cast<long long>(o.department_order)},
                                 {"is_primary_dept", o.is_primary_dept}}));
  }
  return out;
}

Value encode_custom_attrs(const std::vector<CustomAttr>& attrs)
{
  Value out = Value::array();
  for (const auto& a : attrs) {
    Value value = Value::object();
    put_nonempty(value, "text", a.value.text);
    put_nonempty(value, "url", a.value.url);
    put_nonempty(value, "pc_url", a.value.pc_url);
    put_nonempty(value, "option_id", a.value.option_id);
    put_nonempty(value, "option_value", a.value.option_value);
    put_nonempty(value, "name", a.value.name);
    put_nonempty(value, "picture_url", a.value.picture_url);
    if (a.value.generic_user) {
      value.set("generic_user", Value::object({{"id", a.value.generic_user->id},
                                               {"type", static_cast<long long>(a.value.generic_user->type)}}));
    }
    Value attr = Value::object();
    put_nonempty(attr, "type", a.type);
    attr.set("id", a.id);
    attr.set("value", std::move(value));
    out.push_back(std::move(attr));
  }
  return out;
}

} // namespace

std::string_view to_string(UserIdType type)
{
  switch (type) {
  case UserIdType::open_id:
    return "open_id";
  case UserIdType::union_id:
    return "union_id";
  case UserIdType::user_id:
    return "user_id";
  }
  return "open_id";
}

std::string_view to_string(DepartmentIdType type)
{
  switch (type) {
  case DepartmentIdType::open_department_id:
    return "open_department_id";
  case DepartmentIdType::department_id:
    return "department_id";
  }
  return "open_department_id";
}

User decode_user(const Value& v)
{
  User u;
  u.union_id = str(v, "union_id");
  u.user_id = str(v, "user_id");
  u.open_id = str(v, "open_id");
  u.name = str(v, "name");
  u.en_name = str(v, "en_name");
  u.nickname = str(v, "nickname");
  u.email = str(v, "email");
  u.mobile = str(v, "mobile");
  u.mobile_visible = flag(v, "mobile_visible", true);
  u.gender = num(v, "gender");
  u.avatar_key = str(v, "avatar_key");
  u.avatar = decode_avatar(object_or_empty(v, "avatar"));
  u.status = decode_status(object_or_empty(v, "status"));
  u.is_frozen = flag(v, "is_frozen", u.status.is_frozen);
  u.department_ids = strings(v, "department_ids");
  u.leader_user_id = str(v, "leader_user_id");
  u.dotted_line_leader_user_ids = strings(v, "dotted_line_leader_user_ids");
  u.orders = objects<UserOrder>(v, "orders", decode_order);
  u.city = str(v, "city");
  u.country = str(v, "country");
  u.work_station = str(v, "work_station");
  u.join_time = num(v, "join_time");
  u.is_tenant_manager = flag(v, "is_tenant_manager");
  u.employee_no = str(v, "employee_no");
  u.employee_type = num(v, "employee_type");
  u.enterprise_email = str(v, "enterprise_email");
  u.job_title = str(v, "job_title");
  u.geo = str(v, "geo");
  u.job_level_id = str(v, "job_level_id");
  u.job_family_id = str(v, "job_family_id");
  u.custom_attrs = objects<CustomAttr>(v, "custom_attrs", decode_custom_attr);
  u.subscription_ids = strings(v, "subscription_ids");
  u.assign_info = objects<AssignInfo>(v, "assign_info", decode_assign_info);
  u.raw = v.dump();
  return u;
}

json::Value encode(const UserCreate& user)
{
  Value out = Value::object();
  out.set("name", user.name);
  out.set("department_ids", Value::string_array(user.department_ids));
  out.set("employee_type", static_cast<long long>(user.employee_type));
  put(out, "mobile", user.mobile);
  put(out, "email", user.email);
  put(out, "user_id", user.user_id);
  put(out, "en_name", user.en_name);
  put(out, "nickname", user.nickname);
  put(out, "mobile_visible", user.mobile_visible);
  put(out, "gender", user.gender);
  put(out, "avatar_key", user.avatar_key);
  put(out, "leader_user_id", user.leader_user_id);
  put(out, "dotted_line_leader_user_ids", user.dotted_line_leader_user_ids);
  if (user.orders) {
    out.set("orders", encode_orders(*user.orders));
  }
  put(out, "city", user.city);
  put(out, "country", user.country);
  put(out, "work_station", user.work_station);
  put(out, "join_time", user.join_time);
  put(out, "employee_no", user.employee_no);
  put(out, "job_title", user.job_title);
  put(out, "job_level_id", user.job_level_id);
  put(out, "job_family_id", user.job_family_id);
  if (user.custom_attrs) {
    out.set("custom_attrs", encode_custom_attrs(*user.custom_attrs));
  }
  put(out, "enterprise_email", user.enterprise_email);
  put(out, "geo", user.geo);
  put(out, "subscription_ids", user.subscription_ids);
  return out;
}

json::Value encode(const UserPatch& patch)
{
  Value out = Value::object();
  put(out, "name", patch.name);
  put(out, "en_name", patch.en_name);
  put(out, "nickname", patch.nickname);
  put(out, "email", patch.email);
  put(out, "mobile", patch.mobile);
  put(out, "mobile_visible", patch.mobile_visible);
  put(out, "gender", patch.gender);
  put(out, "avatar_key", patch.avatar_key);
  put(out, "department_ids", patch.department_ids);
  put(out, "leader_user_id", patch.leader_user_id);
  put(out, "dotted_line_leader_user_ids", patch.dotted_line_leader_user_ids);
  if (patch.orders) {
    out.set("orders", encode_orders(*patch.orders));
  }
  put(out, "city", patch.city);
  put(out, "country", patch.country);
  put(out, "work_station", patch.work_station);
  put(out, "employee_no", patch.employee_no);
  put(out, "employee_type", patch.employee_type);
  put(out, "join_time", patch.join_time);
  put(out, "job_title", patch.job_title);
  put(out, "job_level_id", patch.job_level_id);
  put(out, "job_family_id", patch.job_family_id);
  put(out, "is_frozen", patch.is_frozen);
  if (patch.custom_attrs) {
    out.set("custom_attrs", encode_custom_attrs(*patch.custom_attrs));
  }
  put(out, "enterprise_email", patch.enterprise_email);
  put(out, "subscription_ids", patch.subscription_ids);
  return out;
}

json::Value encode(const UserDelete& request)
{
  Value out = Value::object();
  put_nonempty(out, "department_chat_acceptor_user_id", request.department_chat_acceptor_user_id);
  put_nonempty(out, "external_chat_acceptor_user_id", request.external_chat_acceptor_user_id);
  put_nonempty(out, "docs_acceptor_user_id", request.docs_acceptor_user_id);
  put_nonempty(out, "calendar_acceptor_user_id", request.calendar_acceptor_user_id);
  put_nonempty(out, "application_acceptor_user_id", request.application_acceptor_user_id);
  put_nonempty(out, "minutes_acceptor_user_id", request.minutes_acceptor_user_id);
  put_nonempty(out, "survey_acceptor_user_id", request.survey_acceptor_user_id);
  put_nonempty(out, "anycross_acceptor_user_id", request.anycross_acceptor_user_id);
  if (request.email_acceptor) {
    Value mail = Value::object({{"processing_type", request.email_acceptor->processing_type}});
    put_nonempty(mail, "acceptor_user_id", request.email_acceptor->acceptor_user_id);
    out.set("email_acceptor", std::move(mail));
  }
  return out;
}

json::Value encode(const UserResurrect& request)
{
  Value out = Value::object();
  if (!request.departments.empty()) {
    Value departments = Value::array();
    for (const auto& d : request.departments) {
      Value item = Value::object({{"department_id", d.department_id}});
      put(item, "user_order", d.user_order);
      put(item, "department_order", d.department_order);
      departments.push_back(std::move(item));
    }
    out.set("departments", std::move(departments));
  }
  if (!request.subscription_ids.empty()) {
    out.set("subscription_ids", Value::string_array(request.subscription_ids));
  }
  return out;
}

BatchIdEntry decode_batch_id_entry(const Value& v)
{
  BatchIdEntry e;
  e.user_id = str(v, "user_id");
  e.email = str(v, "email");
  e.mobile = str(v, "mobile");
  e.status = decode_status(object_or_empty(v, "status"));
  e.raw = v.dump();
  return e;
}

SearchUser decode_search_user(const Value& v)
{
  SearchUser u;
  u.open_id = str(v, "open_id");
  u.user_id = str(v, "user_id");
  u.name = str(v, "name");
  u.department_ids = strings(v, "department_ids");
  u.avatar = decode_avatar(object_or_empty(v, "avatar"));
  u.raw = v.dump();
  return u;
}

CurrentUser decode_current_user(const Value& v)
{
  CurrentUser u;
  u.name = str(v, "name");
  u.en_name = str(v, "en_name");
  u.avatar_url = str(v, "avatar_url");
  u.avatar_thumb = str(v, "avatar_thumb");
  u.avatar_middle = str(v, "avatar_middle");
  u.avatar_big = str(v, "avatar_big");
  u.open_id = str(v, "open_id");
  u.union_id = str(v, "union_id");
  u.email = str(v, "email");
  u.enterprise_email = str(v, "enterprise_email");
  u.user_id = str(v, "user_id");
  u.mobile = str(v, "mobile");
  u.tenant_key = str(v, "tenant_key");
  u.employee_no = str(v, "employee_no");
  u.raw = v.dump();
  return u;
}

json::Value encode(const Logout& request)
{
  Value out = Value::object({{"logout_type", request.logout_type}});
  put_nonempty(out, "user_id", request.user_id);
  put_nonempty(out, "idp_credential_id", request.idp_credential_id);
  put_nonempty(out, "sid", request.sid);
  if (!request.terminal_type.empty()) {
    Value types = Value::array();
    for (int t : request.terminal_type) {
      types.push_back(t);
    }
    out.set("terminal_type", std::move(types));
  }
  if (request.logout_reason) {
    out.set("logout_reason", *request.logout_reason);
  }
  return out;
}

JsapiTicket decode_jsapi_ticket(const Value& v)
{
  return {str(v, "ticket"), num(v, "expire_in"), v.dump()};
}

Department decode_department(const Value& v)
{
  Department d;
  d.name = str(v, "name");
  d.i18n_name = decode_i18n(object_or_empty(v, "i18n_name"));
  d.parent_department_id = str(v, "parent_department_id");
  d.department_id = str(v, "department_id");
  d.open_department_id = str(v, "open_department_id");
  d.leader_user_id = str(v, "leader_user_id");
  d.leaders = objects<DepartmentLeader>(v, "leaders", [](const Value& l) {
    return DepartmentLeader{num(l, "leaderType"), str(l, "leaderID")};
  });
  d.department_hrbps = strings(v, "department_hrbps");
  d.chat_id = str(v, "chat_id");
  d.group_chat_employee_types = numbers(v, "group_chat_employee_types");
  d.order = str(v, "order");
  d.unit_ids = strings(v, "unit_ids");
  d.member_count = num(v, "member_count");
  d.primary_member_count = num(v, "primary_member_count");
  d.status.is_deleted = flag(object_or_empty(v, "status"), "is_deleted");
  d.raw = v.dump();
  return d;
}

json::Value encode(const DepartmentCreate& department)
{
  Value out = Value::object({{"name", department.name},
                             {"parent_department_id", department.parent_department_id}});
  put(out, "department_id", department.department_id);
  if (department.i18n_name) {
    Value i18n = Value::object();
    put_nonempty(i18n, "zh_cn", department.i18n_name->zh_cn);
    put_nonempty(i18n, "ja_jp", department.i18n_name->ja_jp);
    put_nonempty(i18n, "en_us", department.i18n_name->en_us);
    out.set("i18n_name", std::move(i18n));
  }
  put(out, "leader_user_id", department.leader_user_id);
  put(out, "order", department.order);
  put(out, "unit_ids", department.unit_ids);
  put(out, "create_group_chat", department.create_group_chat);
  if (department.leaders) {
    Value leaders = Value::array();
    for (const auto& l : *department.leaders) {
      leaders.push_back(Value::object({{"leaderType", static_cast<long long>(l.leader_type)},
                                       {"leaderID", l.leader_id}}));
    }
    out.set("leaders", std::move(leaders));
  }
  if (department.group_chat_employee_types) {
    Value types = Value::array();
    for (auto t : *department.group_chat_employee_types) {
      types.push_back(static_cast<long long>(t));
    }
    out.set("group_chat_employee_types", std::move(types));
  }
  put(out, "department_hrbps", department.department_hrbps);
  return out;
}

JobTitle decode_job_title(const Value& v)
{
  JobTitle t;
  t.job_title_id = str(v, "job_title_id");
  t.name = str(v, "name");
  t.i18n_name = objects<LocaleText>(v, "i18n_name", [](const Value& l) {
    return LocaleText{str(l, "locale"), str(l, "value")};
  });
  t.status = flag(v, "status");
  t.raw = v.dump();
  return t;
}

Unit decode_unit(const Value& v)
{
  return {str(v, "unit_id"), str(v, "name"), str(v, "unit_type"), v.dump()};
}

json::Value encode(const UnitCreate& unit)
{
  Value out = Value::object();
  put(out, "unit_id", unit.unit_id);
  out.set("name", unit.name);
  out.set("unit_type", unit.unit_type);
  return out;
}

UnitDepartment decode_unit_department(const Value& v)
{
  return {str(v, "unit_id"), str(v, "department_id"), v.dump()};
}

} // namespace dirsync::feishu
