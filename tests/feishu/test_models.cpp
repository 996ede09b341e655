#include "feishu/models.hpp"

#include <catch2/catch.hpp>

using namespace dirsync;
using namespace dirsync::feishu;

namespace {

// A user as GET /contact/v3/users/:id returns it, with every field of feishu-contact-api.md §2.1.
constexpr std::string_view k_full_user = R"({
  "union_id": "on_94a1ee5551019f18cd73d9f111898cf2",
  "user_id": "3e3cf96b",
  "open_id": "ou_7dab8a3d3cdcc9da365777c7ad535d62",
  "name": "张三",
  "en_name": "San Zhang",
  "nickname": "Sunny Zhang",
  "email": "zhangsan@example.com",
  "mobile": "+8613011111111",
  "mobile_visible": false,
  "gender": 1,
  "avatar_key": "2500c7a9-5fff-4d9a-a2de-3d59614ae28g",
  "avatar": {"avatar_72": "https://x/72", "avatar_240": "https://x/240",
             "avatar_640": "https://x/640", "avatar_origin": "https://x/origin"},
  "status": {"is_frozen": true, "is_resigned": false, "is_activated": true,
             "is_exited": false, "is_unjoin": false},
  "is_frozen": true,
  "department_ids": ["od-4e6ac4d14bcd5071a37a39de902c7141", "od-2"],
  "leader_user_id": "ou_leader",
  "dotted_line_leader_user_ids": ["ou_d1", "ou_d2"],
  "orders": [{"department_id": "od-4e6ac4d14bcd5071a37a39de902c7141", "user_order": 100,
              "department_order": 200, "is_primary_dept": true},
             {"department_id": "od-2", "user_order": 1, "department_order": 5, "is_primary_dept": false}],
  "city": "杭州",
  "country": "CN",
  "work_station": "北楼-H34",
  "join_time": 2147483647,
  "is_tenant_manager": true,
  "employee_no": "00042",
  "employee_type": 3,
  "enterprise_email": "zs@corp.example.com",
  "job_title": "高级工程师",
  "geo": "cn",
  "job_level_id": "mga5oa8ayjlp9rb",
  "job_family_id": "mga5oa8ayjlp9rc",
  "custom_attrs": [
    {"type": "TEXT", "id": "C-1", "value": {"text": "hello"}},
    {"type": "HREF", "id": "C-2", "value": {"text": "site", "url": "https://a", "pc_url": "https://b"}},
    {"type": "ENUMERATION", "id": "C-3", "value": {"option_id": "opt1", "option_value": "v1"}},
    {"type": "PICTURE_ENUM", "id": "C-4", "value": {"option_id": "opt2", "name": "pic", "picture_url": "https://p"}},
    {"type": "GENERIC_USER", "id": "C-5", "value": {"generic_user": {"id": "9b2fabg5", "type": 1}}}],
  "subscription_ids": ["7079609167680782300"],
  "assign_info": [{"subscription_id": "7079609167680782300", "license_plan_key": "suite_enterprise_e5",
                   "product_name": "旗舰版 E5", "i18n_name": {"zh_cn": "zh", "ja_jp": "ja", "en_us": "en"},
                   "start_time": "1674981000", "end_time": "1674991000"}],
  "department_path": [{"department_id": "od-x"}],
  "some_future_field": {"nested": [1, 2, 3]}
})";

} // namespace

TEST_CASE("decode_user reads every field of the contract and keeps the raw JSON", "[feishu][models]")
{
  const json::Value v = json::parse(k_full_user);
  const User u = decode_user(v);
  CHECK(u.union_id == "on_94a1ee5551019f18cd73d9f111898cf2");
  CHECK(u.user_id == "3e3cf96b");
  CHECK(u.open_id == "ou_7dab8a3d3cdcc9da365777c7ad535d62");
  CHECK(u.name == "张三");
  CHECK(u.en_name == "San Zhang");
  CHECK(u.nickname == "Sunny Zhang");
  CHECK(u.email == "zhangsan@example.com");
  CHECK(u.mobile == "+8613011111111");
  CHECK_FALSE(u.mobile_visible);
  CHECK(u.gender == 1);
  CHECK(u.avatar_key == "2500c7a9-5fff-4d9a-a2de-3d59614ae28g");
  CHECK(u.avatar.avatar_72 == "https://x/72");
  CHECK(u.avatar.avatar_240 == "https://x/240");
  CHECK(u.avatar.avatar_640 == "https://x/640");
  CHECK(u.avatar.avatar_origin == "https://x/origin");
  CHECK(u.status.is_frozen);
  CHECK_FALSE(u.status.is_resigned);
  CHECK(u.status.is_activated);
  CHECK_FALSE(u.status.is_exited);
  CHECK_FALSE(u.status.is_unjoin);
  CHECK(u.is_frozen);
  CHECK(u.department_ids == std::vector<std::string>{"od-4e6ac4d14bcd5071a37a39de902c7141", "od-2"});
  CHECK(u.leader_user_id == "ou_leader");
  CHECK(u.dotted_line_leader_user_ids == std::vector<std::string>{"ou_d1", "ou_d2"});
  REQUIRE(u.orders.size() == 2);
  CHECK(u.orders[0].department_id == "od-4e6ac4d14bcd5071a37a39de902c7141");
  CHECK(u.orders[0].user_order == 100);
  CHECK(u.orders[0].department_order == 200);
  CHECK(u.orders[0].is_primary_dept);
  CHECK_FALSE(u.orders[1].is_primary_dept);
  CHECK(u.city == "杭州");
  CHECK(u.country == "CN");
  CHECK(u.work_station == "北楼-H34");
  CHECK(u.join_time == 2147483647);
  CHECK(u.is_tenant_manager);
  CHECK(u.employee_no == "00042");
  CHECK(u.employee_type == 3);
  CHECK(u.enterprise_email == "zs@corp.example.com");
  CHECK(u.job_title == "高级工程师");
  CHECK(u.geo == "cn");
  CHECK(u.job_level_id == "mga5oa8ayjlp9rb");
  CHECK(u.job_family_id == "mga5oa8ayjlp9rc");
  REQUIRE(u.custom_attrs.size() == 5);
  CHECK(u.custom_attrs[0].type == "TEXT");
  CHECK(u.custom_attrs[0].value.text == "hello");
  CHECK(u.custom_attrs[1].value.url == "https://a");
  CHECK(u.custom_attrs[1].value.pc_url == "https://b");
  CHECK(u.custom_attrs[2].value.option_id == "opt1");
  CHECK(u.custom_attrs[2].value.option_value == "v1");
  CHECK(u.custom_attrs[3].value.name == "pic");
  CHECK(u.custom_attrs[3].value.picture_url == "https://p");
  REQUIRE(u.custom_attrs[4].value.generic_user.has_value());
  CHECK(u.custom_attrs[4].value.generic_user->id == "9b2fabg5");
  CHECK(u.custom_attrs[4].value.generic_user->type == 1);
  CHECK(u.subscription_ids == std::vector<std::string>{"7079609167680782300"});
  REQUIRE(u.assign_info.size() == 1);
  CHECK(u.assign_info[0].license_plan_key == "suite_enterprise_e5");
  CHECK(u.assign_info[0].product_name == "旗舰版 E5");
  CHECK(u.assign_info[0].i18n_name.ja_jp == "ja");
  CHECK(u.assign_info[0].start_time == "1674981000");
  CHECK(u.assign_info[0].end_time == "1674991000");

  // Nothing is lost: fields not broken out survive in raw.
  const json::Value raw = json::parse(u.raw);
  CHECK(raw == v);
  CHECK(raw.find("some_future_field") != nullptr);
  CHECK(raw.find("department_path") != nullptr);
}

TEST_CASE("decode_user leaves absent fields at their defaults and tolerates odd types", "[feishu][models]")
{
  SECTION("an almost empty user")
  {
    const User u = decode_user(json::parse(R"({"open_id": "ou_1"})"));
    CHECK(u.open_id == "ou_1");
    CHECK(u.email.empty());
    CHECK(u.mobile_visible);  // Feishu's default
    CHECK_FALSE(u.status.is_resigned);
    CHECK(u.department_ids.empty());
    CHECK(u.join_time == 0);
    CHECK(u.raw == R"({"open_id":"ou_1"})");
  }
  SECTION("numbers as strings, strings as numbers, nulls and wrong types")
  {
    const User u = decode_user(json::parse(
      R"({"join_time": "1700000000", "employee_no": 42, "gender": null, "status": "weird",
          "department_ids": ["od-1", 7, null], "orders": [1, {"department_id": "od-1"}]})"));
    CHECK(u.join_time == 1700000000);
    CHECK(u.employee_no == "42");
    CHECK(u.gender == 0);
    CHECK_FALSE(u.status.is_frozen);
    CHECK(u.department_ids == std::vector<std::string>{"od-1", "7"});
    REQUIRE(u.orders.size() == 1);
    CHECK(u.orders[0].department_id == "od-1");
  }
  SECTION("status.is_frozen stands in for a missing top-level is_frozen")
  {
    CHECK(decode_user(json::parse(R"({"status": {"is_frozen": true}})")).is_frozen);
  }
}

TEST_CASE("decode_department reads leaders with their camelCase keys and order as a string", "[feishu][models]")
{
  const Department d = decode_department(json::parse(R"({
    "name": "研发部", "i18n_name": {"zh_cn": "研发部", "ja_jp": "開発", "en_us": "R&D"},
    "parent_department_id": "0", "department_id": "D001", "open_department_id": "od-abc",
    "leader_user_id": "ou_l", "leaders": [{"leaderType": 1, "leaderID": "ou_l"}, {"leaderType": 2, "leaderID": "ou_d"}],
    "department_hrbps": ["ou_h"], "chat_id": "oc_1", "group_chat_employee_types": [1, 2],
    "order": "100", "unit_ids": ["u1"], "member_count": 12, "primary_member_count": 10,
    "status": {"is_deleted": true}})"));
  CHECK(d.name == "研发部");
  CHECK(d.i18n_name.en_us == "R&D");
  CHECK(d.parent_department_id == "0");
  CHECK(d.department_id == "D001");
  CHECK(d.open_department_id == "od-abc");
  CHECK(d.leader_user_id == "ou_l");
  REQUIRE(d.leaders.size() == 2);
  CHECK(d.leaders[1].leader_type == 2);
  CHECK(d.leaders[1].leader_id == "ou_d");
  CHECK(d.department_hrbps == std::vector<std::string>{"ou_h"});
  CHECK(d.chat_id == "oc_1");
  CHECK(d.group_chat_employee_types == std::vector<std::int64_t>{1, 2});
  CHECK(d.order == "100");
  CHECK(d.unit_ids == std::vector<std::string>{"u1"});
  CHECK(d.member_count == 12);
  CHECK(d.primary_member_count == 10);
  CHECK(d.status.is_deleted);
  // An order sent as a number is kept as its decimal text.
  CHECK(decode_department(json::parse(R"({"order": 7})")).order == "7");
}

TEST_CASE("decode_job_title reads i18n_name as locale pairs and status as a bool", "[feishu][models]")
{
  const JobTitle t = decode_job_title(json::parse(
    R"({"job_title_id": "b5565c46b749", "name": "高级工程师",
        "i18n_name": [{"locale": "zh_cn", "value": "高级工程师"}, {"locale": "en_us", "value": "Senior Engineer"}],
        "status": true})"));
  CHECK(t.job_title_id == "b5565c46b749");
  CHECK(t.name == "高级工程师");
  REQUIRE(t.i18n_name.size() == 2);
  CHECK(t.i18n_name[1].locale == "en_us");
  CHECK(t.i18n_name[1].value == "Senior Engineer");
  CHECK(t.status);
  CHECK_FALSE(decode_job_title(json::parse(R"({"status": false})")).status);
}

TEST_CASE("units, unit departments, batch id entries, search users and user_info decode", "[feishu][models]")
{
  const Unit unit = decode_unit(json::parse(R"({"unit_id": "BU121", "name": "消费者事业部", "unit_type": "事业部"})"));
  CHECK(unit.unit_id == "BU121");
  CHECK(unit.name == "消费者事业部");
  CHECK(unit.unit_type == "事业部");

  const UnitDepartment ud = decode_unit_department(json::parse(R"({"unit_id": "BU121", "department_id": "od-1"})"));
  CHECK(ud.unit_id == "BU121");
  CHECK(ud.department_id == "od-1");

  const BatchIdEntry found = decode_batch_id_entry(json::parse(
    R"({"user_id": "ou_1", "email": "a@x.com", "status": {"is_resigned": true, "is_activated": true}})"));
  CHECK(found.user_id == "ou_1");
  CHECK(found.email == "a@x.com");
  CHECK(found.status.is_resigned);
  const BatchIdEntry missing = decode_batch_id_entry(json::parse(R"({"mobile": "+8613000000000"})"));
  CHECK(missing.user_id.empty());
  CHECK(missing.mobile == "+8613000000000");

  const SearchUser s = decode_search_user(json::parse(
    R"({"open_id": "ou_s", "user_id": "u", "name": "n", "department_ids": ["od-1"], "avatar": {"avatar_72": "a"}})"));
  CHECK(s.open_id == "ou_s");
  CHECK(s.department_ids == std::vector<std::string>{"od-1"});
  CHECK(s.avatar.avatar_72 == "a");

  const CurrentUser me = decode_current_user(json::parse(
    R"({"name": "n", "en_name": "e", "avatar_url": "1", "avatar_thumb": "2", "avatar_middle": "3",
        "avatar_big": "4", "open_id": "ou", "union_id": "on", "email": "m", "enterprise_email": "em",
        "user_id": "u", "mobile": "+86", "tenant_key": "tk", "employee_no": "7"})"));
  CHECK(me.avatar_big == "4");
  CHECK(me.tenant_key == "tk");
  CHECK(me.employee_no == "7");
  CHECK(me.enterprise_email == "em");

  const JsapiTicket ticket = decode_jsapi_ticket(json::parse(R"({"ticket": "0560604568baf296731aa37f0c8ebe3e049c19d7", "expire_in": 7200})"));
  CHECK(ticket.ticket == "0560604568baf296731aa37f0c8ebe3e049c19d7");
  CHECK(ticket.expire_in == 7200);
}

TEST_CASE("encode(UserPatch) sends only the fields that are set", "[feishu][models]")
{
  UserPatch patch;
  CHECK(encode(patch).dump() == "{}");
  CHECK_FALSE(patch.changes_department_or_frozen());

  patch.name = "李四";
  patch.join_time = 0;  // 0 clears it, and must be sent
  patch.mobile_visible = false;
  CHECK(encode(patch).dump() == R"({"name":"李四","mobile_visible":false,"join_time":0})");
  CHECK_FALSE(patch.changes_department_or_frozen());

  patch.department_ids = std::vector<std::string>{"od-1"};
  CHECK(patch.changes_department_or_frozen());
  UserPatch freeze;
  freeze.is_frozen = true;
  CHECK(freeze.changes_department_or_frozen());
  CHECK(encode(freeze).dump() == R"({"is_frozen":true})");
}

TEST_CASE("encode(UserCreate) always sends the required fields and the optional ones that are set", "[feishu][models]")
{
  UserCreate user;
  user.name = "王五";
  user.department_ids = {"od-1"};
  user.employee_type = 2;
  user.mobile = "+8613000000001";
  CHECK(encode(user).dump() ==
        R"({"name":"王五","department_ids":["od-1"],"employee_type":2,"mobile":"+8613000000001"})");

  user.employee_no = "E1";
  user.orders = std::vector<UserOrder>{{"od-1", 1, 2, true}};
  user.custom_attrs = std::vector<CustomAttr>{{"TEXT", "C-1", {"t", "", "", "", "", "", "", std::nullopt}}};
  const json::Value v = encode(user);
  CHECK(v.get_string("employee_no") == "E1");
  CHECK(v.find("orders")->dump() ==
        R"([{"department_id":"od-1","user_order":1,"department_order":2,"is_primary_dept":true}])");
  CHECK(v.find("custom_attrs")->dump() == R"([{"type":"TEXT","id":"C-1","value":{"text":"t"}}])");
  CHECK(v.find("email") == nullptr);
}

TEST_CASE("delete, resurrect, logout, unit and department bodies follow the contract", "[feishu][models]")
{
  UserDelete del;
  CHECK(encode(del).dump() == "{}");
  del.docs_acceptor_user_id = "ou_a";
  del.email_acceptor = EmailAcceptor{"1", "ou_a"};
  CHECK(encode(del).dump() ==
        R"({"docs_acceptor_user_id":"ou_a","email_acceptor":{"processing_type":"1","acceptor_user_id":"ou_a"}})");

  UserResurrect res;
  CHECK(encode(res).dump() == "{}");
  res.departments = {{"od-1", 3, 4}, {"od-2", std::nullopt, std::nullopt}};
  res.subscription_ids = {"s1"};
  CHECK(encode(res).dump() ==
        R"({"departments":[{"department_id":"od-1","user_order":3,"department_order":4},{"department_id":"od-2"}],"subscription_ids":["s1"]})");

  Logout out;
  out.logout_type = 1;
  out.user_id = "ou_x";
  out.terminal_type = {1, 2};
  out.logout_reason = 34;
  CHECK(encode(out).dump() == R"({"logout_type":1,"user_id":"ou_x","terminal_type":[1,2],"logout_reason":34})");

  CHECK(encode(UnitCreate{"n", "t", std::nullopt}).dump() == R"({"name":"n","unit_type":"t"})");
  CHECK(encode(UnitCreate{"n", "t", "BU1"}).dump() == R"({"unit_id":"BU1","name":"n","unit_type":"t"})");

  DepartmentCreate dept;
  dept.name = "研发";
  dept.department_id = "D1";
  dept.leaders = std::vector<DepartmentLeader>{{1, "ou_l"}};
  CHECK(encode(dept).dump() ==
        R"({"name":"研发","parent_department_id":"0","department_id":"D1","leaders":[{"leaderType":1,"leaderID":"ou_l"}]})");
}
