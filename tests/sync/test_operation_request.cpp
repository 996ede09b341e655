#include "sync/operation_request.hpp"

#include "common/error.hpp"

#include <catch2/catch.hpp>

using namespace dirsync;
using json::Value;

namespace {

// Objects keep insertion order; these compare members regardless of it.
bool same_members(const Value& a, const Value& b)
{
  if (!a.is_object() || !b.is_object() || a.size() != b.size()) {
    return false;
  }
  for (const auto& [key, value] : a.as_object()) {
    const Value* other = b.find(key);
    if (other == nullptr || !(value.is_object() ? same_members(value, *other) : value == *other)) {
      return false;
    }
  }
  return true;
}

} // namespace

TEST_CASE("decode_user_create and decode_user_patch invert encode", "[sync][operation_request]")
{
  const auto create = json::parse(R"({"name":"张伟","department_ids":["od-1"],"employee_type":2,
    "mobile":"+8613700000001","email":"zw@example.com","leader_user_id":"ou_l","join_time":1790000000,
    "employee_no":"E1","job_title":"工程师","city":"上海"})");
  CHECK(same_members(feishu::encode(sync::decode_user_create(create)), create));

  const auto patch = json::parse(R"({"department_ids":["od-2","od-3"],"job_title":"经理","is_frozen":true,
    "employee_type":1,"email":"x@example.com"})");
  CHECK(same_members(feishu::encode(sync::decode_user_patch(patch)), patch));

  const auto del = json::parse(R"({"docs_acceptor_user_id":"ou_a","email_acceptor":{"processing_type":"1","acceptor_user_id":"ou_a"}})");
  CHECK(same_members(feishu::encode(sync::decode_user_delete(del)), del));

  const auto resurrect = json::parse(R"({"departments":[{"department_id":"od-4"}]})");
  CHECK(same_members(feishu::encode(sync::decode_user_resurrect(resurrect)), resurrect));
}

TEST_CASE("decoding a payload refuses members apply cannot send and wrong types", "[sync][operation_request]")
{
  CHECK_THROWS_WITH(sync::decode_user_patch(json::parse(R"({"orders":[]})")),
                    "update payload: member \"orders\" is not one apply can send");
  CHECK_THROWS_WITH(sync::decode_user_patch(json::parse(R"({"job_title":3})")),
                    "update payload: member \"job_title\" must be a string, not an integer");
  CHECK_THROWS_AS(sync::decode_user_create(json::parse(R"({"name":"x"})")), InputError);
}

TEST_CASE("same_field_value treats empty as null, lists as sets and numeric strings as numbers",
          "[sync][operation_request]")
{
  CHECK(sync::same_field_value(Value(), Value("")));
  CHECK(sync::same_field_value(Value::array(), Value()));
  CHECK(sync::same_field_value(Value::string_array({"a", "b"}), Value::string_array({"b", "a"})));
  CHECK_FALSE(sync::same_field_value(Value::string_array({"a"}), Value::string_array({"a", "b"})));
  CHECK(sync::same_field_value(Value(5), Value("5")));
  CHECK_FALSE(sync::same_field_value(Value("工程师"), Value("经理")));
  CHECK_FALSE(sync::same_field_value(Value("x"), Value()));
}

TEST_CASE("find_user_field reads a user in the payload's shape", "[sync][operation_request]")
{
  feishu::User user;
  user.job_title = "经理";
  user.department_ids = {"od-1"};
  user.status.is_resigned = true;
  CHECK(*sync::find_user_field(user, "job_title") == Value("经理"));
  CHECK(*sync::find_user_field(user, "department_ids") == Value::string_array({"od-1"}));
  CHECK(*sync::find_user_field(user, "is_resigned") == Value(true));
  CHECK(sync::find_user_field(user, "email")->is_null());
  CHECK_FALSE(sync::find_user_field(user, "no_such_field"));
}
