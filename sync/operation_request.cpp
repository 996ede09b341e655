#include "sync/operation_request.hpp"

#include "common/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace dirsync::sync {

namespace {

using json::Value;

// Reads the members of one payload object, remembering which were used, so that what is left
// over can be named.
class Members
{
public:
  Members(const Value& payload, std::string_view what)
    : m_payload(payload),
      m_what(what)
  {
    if (!payload.is_object()) {
      throw InputError(fmt::format("{} payload is {}, not an object", m_what, json::type_name(payload.type())));
    }
  }

  const Value* take(std::string_view key)
  {
    m_used.insert(std::string(key));
    const Value* v = m_payload.find(key);
    return v != nullptr && !v->is_null() ? v : nullptr;
  }

  std::optional<std::string> text(std::string_view key)
  {
    const Value* v = take(key);
    if (v == nullptr) {
      return std::nullopt;
    }
    if (!v->is_string()) {
      throw wrong_type(key, "a string", *v);
    }
    return v->as_string();
  }

  std::optional<std::int64_t> integer(std::string_view key)
  {
    const Value* v = take(key);
    if (v == nullptr) {
      return std::nullopt;
    }
    if (!v->is_integer()) {
      throw wrong_type(key, "an integer", *v);
    }
    return v->as_int();
  }

  std::optional<bool> boolean(std::string_view key)
  {
    const Value* v = take(key);
    if (v == nullptr) {
      return std::nullopt;
    }
    if (!v->is_bool()) {
      throw wrong_type(key, "a boolean", *v);
    }
    return v->as_bool();
  }

  std::optional<std::vector<std::string>> texts(std::string_view key)
  {
    const Value* v = take(key);
    if (v == nullptr) {
      return std::nullopt;
    }
    if (!v->is_array()) {
      throw wrong_type(key, "an array of strings", *v);
    }
    std::vector<std::string> out;
    for (const auto& item : v->as_array()) {
      if (!item.is_string()) {
        throw wrong_type(key, "an array of strings", *v);
      }
      out.push_back(item.as_string());
    }
    return out;
  }

  // Throws for a member nobody took: apply would not send it.
  void finish() const
  {
    for (const auto& [key, value] : m_payload.as_object()) {
      if (!m_used.contains(key)) {
        throw InputError(fmt::format("{} payload: member \"{}\" is not one apply can send", m_what, key));
      }
    }
  }

private:
  InputError wrong_type(std::string_view key, std::string_view expected, const Value& got) const
  {
    return InputError(fmt::format("{} payload: member \"{}\" must be {}, not {}", m_what, key, expected,
                                  json::type_name(got.type())));
  }

  const Value& m_payload;
  std::string_view m_what;
  std::set<std::string, std::less<>> m_used;
};

std::optional<Value> text_value(const std::string& text)
{
  return text.empty() ? Value() : Value(text);
}

} // namespace

feishu::UserCreate decode_user_create(const Value& payload)
{
  Members m(payload, "create");
  feishu::UserCreate user;
  user.name = m.text("name").value_or("");
  user.department_ids = m.texts("department_ids").value_or(std::vector<std::string>{});
  user.employee_type = m.integer("employee_type").value_or(1);
  user.mobile = m.text("mobile");
  user.email = m.text("email");
  user.user_id = m.text("user_id");
  user.en_name = m.text("en_name");
  user.nickname = m.text("nickname");
  user.mobile_visible = m.boolean("mobile_visible");
  user.gender = m.integer("gender");
  user.avatar_key = m.text("avatar_key");
  user.leader_user_id = m.text("leader_user_id");
  user.dotted_line_leader_user_ids = m.texts("dotted_line_leader_user_ids");
  user.city = m.text("city");
  user.country = m.text("country");
  user.work_station = m.text("work_station");
  user.join_time = m.integer("join_time");
  user.employee_no = m.text("employee_no");
  user.job_title = m.text("job_title");
  user.job_level_id = m.text("job_level_id");
  user.job_family_id = m.text("job_family_id");
  user.enterprise_email = m.text("enterprise_email");
  user.geo = m.text("geo");
  user.subscription_ids = m.texts("subscription_ids");
  m.finish();
  if (user.name.empty() || user.department_ids.empty()) {
    throw InputError("create payload: name and department_ids are required");
  }
  return user;
}

feishu::UserPatch decode_user_patch(const Value& payload)
{
  Members m(payload, "update");
  feishu::UserPatch patch;
  patch.name = m.text("name");
  patch.en_name = m.text("en_name");
  patch.nickname = m.text("nickname");
  patch.email = m.text("email");
  patch.mobile = m.text("mobile");
  patch.mobile_visible = m.boolean("mobile_visible");
  patch.gender = m.integer("gender");
  patch.avatar_key = m.text("avatar_key");
  patch.department_ids = m.texts("department_ids");
  patch.leader_user_id = m.text("leader_user_id");
  patch.dotted_line_leader_user_ids = m.texts("dotted_line_leader_user_ids");
  patch.city = m.text("city");
  patch.country = m.text("country");
  patch.work_station = m.text("work_station");
  patch.employee_no = m.text("employee_no");
  patch.employee_type = m.integer("employee_type");
  patch.join_time = m.integer("join_time");
  patch.job_title = m.text("job_title");
  patch.job_level_id = m.text("job_level_id");
  patch.job_family_id = m.text("job_family_id");
  patch.is_frozen = m.boolean("is_frozen");
  patch.enterprise_email = m.text("enterprise_email");
  patch.subscription_ids = m.texts("subscription_ids");
  m.finish();
  return patch;
}

feishu::UserDelete decode_user_delete(const Value& payload)
{
  Members m(payload, "delete");
  feishu::UserDelete request;
  request.department_chat_acceptor_user_id = m.text("department_chat_acceptor_user_id").value_or("");
  request.external_chat_acceptor_user_id = m.text("external_chat_acceptor_user_id").value_or("");
  request.docs_acceptor_user_id = m.text("docs_acceptor_user_id").value_or("");
  request.calendar_acceptor_user_id = m.text("calendar_acceptor_user_id").value_or("");
  request.application_acceptor_user_id = m.text("application_acceptor_user_id").value_or("");
  request.minutes_acceptor_user_id = m.text("minutes_acceptor_user_id").value_or("");
  request.survey_acceptor_user_id = m.text("survey_acceptor_user_id").value_or("");
  request.anycross_acceptor_user_id = m.text("anycross_acceptor_user_id").value_or("");
  if (const Value* mail = m.take("email_acceptor")) {
    Members mm(*mail, "delete email_acceptor");
    feishu::EmailAcceptor acceptor;
    acceptor.processing_type = mm.text("processing_type").value_or("");
    acceptor.acceptor_user_id = mm.text("acceptor_user_id").value_or("");
    mm.finish();
    request.email_acceptor = acceptor;
  }
  m.finish();
  return request;
}

feishu::UserResurrect decode_user_resurrect(const Value& payload)
{
  Members m(payload, "resurrect");
  feishu::UserResurrect request;
  if (const Value* departments = m.take("departments")) {
    if (!departments->is_array()) {
      throw InputError("resurrect payload: member \"departments\" must be an array");
    }
    for (const auto& item : departments->as_array()) {
      Members d(item, "resurrect department");
      feishu::ResurrectDepartment department;
      department.department_id = d.text("department_id").value_or("");
      department.user_order = d.integer("user_order");
      department.department_order = d.integer("department_order");
      d.finish();
      request.departments.push_back(department);
    }
  }
  request.subscription_ids = m.texts("subscription_ids").value_or(std::vector<std::string>{});
  m.finish();
  return request;
}

std::optional<Value> find_user_field(const feishu::User& user, std::string_view member)
{
  if (member == "name") { return text_value(user.name); }
  if (member == "en_name") { return text_value(user.en_name); }
  if (member == "nickname") { return text_value(user.nickname); }
  if (member == "email") { return text_value(user.email); }
  if (member == "mobile") { return text_value(user.mobile); }
  if (member == "mobile_visible") { return Value(user.mobile_visible); }
  if (member == "gender") { return Value(static_cast<long long>(user.gender)); }
  if (member == "department_ids") { return Value::string_array(user.department_ids); }
  if (member == "leader_user_id") { return text_value(user.leader_user_id); }
  if (member == "dotted_line_leader_user_ids") { return Value::string_array(user.dotted_line_leader_user_ids); }
  if (member == "city") { return text_value(user.city); }
  if (member == "country") { return text_value(user.country); }
  if (member == "work_station") { return text_value(user.work_station); }
  if (member == "employee_no") { return text_value(user.employee_no); }
  if (member == "employee_type") { return Value(static_cast<long long>(user.employee_type)); }
  if (member == "join_time") { return Value(static_cast<long long>(user.join_time)); }
  if (member == "job_title") { return text_value(user.job_title); }
  if (member == "job_level_id") { return text_value(user.job_level_id); }
  if (member == "job_family_id") { return text_value(user.job_family_id); }
  if (member == "enterprise_email") { return text_value(user.enterprise_email); }
  if (member == "is_frozen") { return Value(user.is_frozen || user.status.is_frozen); }
  if (member == "is_resigned") { return Value(user.status.is_resigned); }
  return std::nullopt;
}

bool same_field_value(const Value& a, const Value& b)
{
  const auto empty = [](const Value& v) {
    return v.is_null() || (v.is_string() && v.as_string().empty()) || (v.is_array() && v.size() == 0);
  };
  if (empty(a) || empty(b)) {
    return empty(a) && empty(b);
  }
  if (a.is_array() && b.is_array()) {
    std::vector<std::string> x;
    std::vector<std::string> y;
    for (const auto& v : a.as_array()) {
      x.push_back(v.dump());
    }
    for (const auto& v : b.as_array()) {
      y.push_back(v.dump());
    }
    std::sort(x.begin(), x.end());
    std::sort(y.begin(), y.end());
    return x == y;
  }
  const auto as_number = [](const Value& v) -> std::optional<long long> {
    if (v.is_integer()) {
      return v.as_int();
    }
    if (v.is_string()) {
      try {
        std::size_t used = 0;
        const long long n = std::stoll(v.as_string(), &used);
        if (used == v.as_string().size()) {
          return n;
        }
      } catch (const std::exception&) {
      }
    }
    return std::nullopt;
  };
  if (a.is_integer() || b.is_integer()) {
    const auto x = as_number(a);
    const auto y = as_number(b);
    return x && y && *x == *y;
  }
  return a == b;
}

} // namespace dirsync::sync
