#include "hr/intake.hpp"
#include "support/hr_fixtures.hpp"
#include "support/scratch_dir.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

using namespace dirsync;
using namespace dirsync::testing;
using dirsync::config::HrMode;
using dirsync::hr::EmploymentStatus;
using dirsync::hr::Severity;

namespace {

std::string csv(std::initializer_list<std::string> rows)
{
  std::string out(k_hr_header);
  out += '\n';
  for (const auto& r : rows) {
    out += r;
    out += '\n';
  }
  return out;
}

// A valid export of `n` people, numbered E0001.., all under E0001.
std::string company(int n)
{
  std::string out(k_hr_header);
  out += '\n';
  for (int i = 1; i <= n; ++i) {
    out += hr_row(fmt::format("E{:04d}", i), i, i == 1 ? "" : "E0001");
    out += '\n';
  }
  return out;
}

} // namespace

TEST_CASE("intake accepts a clean CSV export and normalizes every field", "[hr][intake]")
{
  auto r = intake("employees.csv",
                  csv({"00123,张三,Zhang.San@Example.COM,138 1234 5678,总部/技术部/后端组,工程师,,正式,2024/3/1,在职",
                       "\u3000 00124 \u3000,李四, li@example.com ,+86-139-1234-5678, 总部 / 技术部 ,经理,00123,实习,20240301,在职"}));
  REQUIRE(r.report.accepted);
  CHECK(r.report.encoding == "utf-8");
  CHECK(r.report.format == config::HrFormat::csv);
  CHECK(r.report.counts.data_rows == 2);
  CHECK(r.report.counts.accepted_rows == 2);
  CHECK(r.report.counts.present == 2);
  REQUIRE(r.roster.people.size() == 2);
  const auto& a = r.roster.people[0];
  CHECK(a.row == 2);
  CHECK(a.employee_no == "00123");
  CHECK(a.name == "张三");
  CHECK(a.email == "zhang.san@example.com");
  CHECK(a.mobile == "+8613812345678");
  CHECK(a.department_path == std::vector<std::string>{"总部", "技术部", "后端组"});
  CHECK(a.job_title == "工程师");
  CHECK(a.leader_employee_no.empty());
  CHECK(a.employee_type == 1);
  CHECK(a.join_time == 1709222400);
  CHECK(a.status == EmploymentStatus::active);
  const auto& b = r.roster.people[1];
  CHECK(b.employee_no == "00124"); // full-width spaces trimmed, leading zeros kept
  CHECK(b.email == "li@example.com");
  CHECK(b.mobile == "+8613912345678");
  CHECK(b.department_path == std::vector<std::string>{"总部", "技术部"});
  CHECK(b.leader_employee_no == "00123");
  CHECK(b.employee_type == 2);
}

TEST_CASE("intake reads a GB18030 export with a BOM-less header, as Excel in China writes it", "[hr][intake]")
{
  auto r = intake("employees.csv", to_gb18030(csv({hr_row("001", 1), hr_row("002", 2, "001")})));
  REQUIRE(r.report.accepted);
  CHECK(r.report.encoding == "gb18030");
  REQUIRE(r.roster.people.size() == 2);
  CHECK(r.roster.people[0].name == "员工1");
  CHECK(r.roster.people[0].department_path.front() == "总部");
}

TEST_CASE("intake reads a UTF-8 export with a BOM and CRLF line ends", "[hr][intake]")
{
  std::string text = "\xEF\xBB\xBF" + std::string(k_hr_header) + "\r\n" + hr_row("001", 1) + "\r\n" +
                     hr_row("002", 2) + "\r\n";
  auto r = intake("employees.csv", text);
  REQUIRE(r.report.accepted);
  CHECK(r.report.encoding == "utf-8 (BOM)");
  CHECK(r.roster.people.size() == 2);
  CHECK(r.roster.people[1].row == 3);
}

TEST_CASE("intake rejects an empty file and a header-only file", "[hr][intake]")
{
  auto empty = intake("employees.csv", "");
  CHECK_FALSE(empty.report.accepted);
  CHECK(has_problem(empty.report, "empty_file"));
  CHECK(empty.roster.people.empty());

  auto header_only = intake("employees.csv", std::string(k_hr_header) + "\n");
  CHECK_FALSE(header_only.report.accepted);
  CHECK(has_problem(header_only.report, "no_rows"));
  REQUIRE(header_only.report.rejection_reasons.size() == 1);
  CHECK(header_only.report.rejection_reasons[0].find("never taken to mean that everyone left") !=
        std::string::npos);
}

TEST_CASE("intake rejects a truncated export instead of dropping its last row", "[hr][intake]")
{
  std::string whole = company(20);
  SECTION("cut inside a quoted value")
  {
    auto r = intake("employees.csv", whole + "E0021,\"王");
    CHECK_FALSE(r.report.accepted);
    CHECK(has_problem(r.report, "truncated", 22));
    CHECK(r.roster.people.empty());
  }
  SECTION("cut in the middle of a row")
  {
    auto r = intake("employees.csv", whole.substr(0, whole.size() - 30));
    CHECK_FALSE(r.report.accepted);
    CHECK(has_problem(r.report, "truncated"));
  }
}

TEST_CASE("intake rejects a file whose columns do not match hr.columns and names them", "[hr][intake]")
{
  auto r = intake("employees.csv", "工号,姓名,邮箱,部门\n001,张三,a@example.com,总部\n");
  CHECK_FALSE(r.report.accepted);
  const auto* p = find_problem(r.report, "missing_column");
  REQUIRE(p != nullptr);
  CHECK(p->severity == Severity::fatal);
  CHECK(p->message.find("手机") != std::string::npos);
  CHECK(p->message.find("直属上级工号") != std::string::npos);
  CHECK(p->message.find("the file has: 工号, 姓名, 邮箱, 部门") != std::string::npos);

  auto semicolons = intake("employees.csv", "工号;姓名;邮箱\n001;张三;a@example.com\n");
  CHECK(find_problem(semicolons.report, "missing_column")->message.find("semicolons") != std::string::npos);

  auto twice = intake("employees.csv", std::string(k_hr_header) + ",工号\n" + hr_row("001", 1) + ",001\n");
  CHECK_FALSE(twice.report.accepted);
  CHECK(has_problem(twice.report, "duplicate_column"));
}

TEST_CASE("intake rejects duplicate employee numbers and names both rows", "[hr][intake]")
{
  auto r = intake("employees.csv", csv({hr_row("001", 1), hr_row("002", 2), hr_row("001", 3)}));
  CHECK_FALSE(r.report.accepted);
  const auto* fatal = find_problem(r.report, "duplicate_employee_no", 0);
  REQUIRE(fatal != nullptr);
  CHECK(fatal->severity == Severity::fatal);
  CHECK(fatal->message.find("001 (rows 2 and 4)") != std::string::npos);
  CHECK(has_problem(r.report, "duplicate_employee_no", 2));
  CHECK(has_problem(r.report, "duplicate_employee_no", 4));
}

TEST_CASE("intake refuses rows that share an email or a mobile, and uses the rest", "[hr][intake]")
{
  std::string shared_email = hr_row("003", 3);
  shared_email.replace(shared_email.find("user3@"), 6, "user1@");
  std::string shared_mobile = hr_row("004", 4);
  shared_mobile.replace(shared_mobile.find("13800000004"), 11, "13800000002");
  auto r = intake("employees.csv",
                  csv({hr_row("001", 1), hr_row("002", 2), shared_email, shared_mobile, hr_row("005", 5),
                       hr_row("006", 6), hr_row("007", 7), hr_row("008", 8), hr_row("009", 9)}));
  REQUIRE(r.report.accepted);
  CHECK(has_problem(r.report, "duplicate_email", 2));
  CHECK(has_problem(r.report, "duplicate_email", 4));
  CHECK(has_problem(r.report, "duplicate_mobile", 3));
  CHECK(has_problem(r.report, "duplicate_mobile", 5));
  REQUIRE(r.roster.people.size() == 5);
  CHECK(r.roster.held_employee_nos == std::vector<std::string>{"001", "002", "003", "004"});
  CHECK(r.report.counts.present == 9); // held people are still present: never taken for leavers
}

TEST_CASE("intake reports bad emails, mobiles, dates and values with row and column", "[hr][intake]")
{
  auto r = intake("employees.csv",
                  csv({"001,张三,not-an-email,13812345678,总部,工程师,,正式,2024-03-01,在职",
                       "002,李四,li@example.com,1381234,总部,工程师,,正式,2024-03-01,在职",
                       "003,王五,wang@example.com,13812345679,总部,工程师,,临时工,2024-02-30,休假",
                       hr_row("004", 4), hr_row("005", 5), hr_row("006", 6), hr_row("007", 7)}));
  REQUIRE(r.report.accepted);
  const auto* email = find_problem(r.report, "bad_email", 2);
  REQUIRE(email != nullptr);
  CHECK(email->column == "邮箱");
  CHECK(email->employee_no == "001");
  CHECK(email->message == "邮箱 \"not-an-email\" is not a valid email address");
  const auto* mobile = find_problem(r.report, "bad_mobile", 3);
  REQUIRE(mobile != nullptr);
  CHECK(mobile->message == "手机 \"1381234\" is not a valid number for region CN");
  CHECK(has_problem(r.report, "bad_date", 4));
  std::vector<std::string> unknown;
  for (const auto& p : r.report.problems) {
    if (p.code == "unknown_value" && p.row == 4) {
      unknown.push_back(p.column + ": " + p.message);
    }
  }
  REQUIRE(unknown.size() == 2);
  CHECK(unknown[0].find("状态: 状态 \"休假\" is not one of the values hr.values.status knows (在职, 离职)") == 0);
  CHECK(unknown[1].find("(劳务, 外包, 实习, 正式, 顾问)") != std::string::npos);
  CHECK(r.report.counts.invalid_rows == 3);
  CHECK(r.roster.people.size() == 4);
}

TEST_CASE("intake requires name, department and a contact of active rows only", "[hr][intake]")
{
  auto r = intake("employees.csv",
                  csv({",张三,a@example.com,,总部,,,,,在职", "002,,,,,,,,,在职", "003,,,,,,,,,离职",
                       hr_row("004", 4), hr_row("005", 5), hr_row("006", 6)}));
  CHECK(has_problem(r.report, "missing_value", 2));
  CHECK(find_problem(r.report, "missing_value", 2)->column == "工号");
  CHECK(has_problem(r.report, "missing_value", 3));
  CHECK(has_problem(r.report, "missing_contact", 3));
  CHECK_FALSE(has_problem(r.report, "missing_value", 4));
  REQUIRE(r.report.accepted);
  CHECK(r.report.counts.terminated == 1);
  // A row without an employee number cannot be held: nobody knows who it is.
  CHECK(r.roster.held_employee_nos == std::vector<std::string>{"002"});
}

TEST_CASE("intake finds self-leaders and leader cycles and reports the whole cycle", "[hr][intake]")
{
  auto r = intake("employees.csv",
                  csv({hr_row("001", 1), hr_row("002", 2, "002"), hr_row("003", 3, "005"),
                       hr_row("004", 4, "003"), hr_row("005", 5, "004"), hr_row("006", 6, "003"),
                       hr_row("007", 7, "001"), hr_row("008", 8, "001"), hr_row("009", 9, "001")}));
  REQUIRE(r.report.accepted);
  const auto* self = find_problem(r.report, "self_leader", 3);
  REQUIRE(self != nullptr);
  CHECK(self->column == "直属上级工号");
  for (std::size_t row : {4, 5, 6}) {
    const auto* cycle = find_problem(r.report, "leader_cycle", row);
    REQUIRE(cycle != nullptr);
    CHECK(cycle->message.find("003 (row 4) → 005 (row 6) → 004 (row 5) → 003") != std::string::npos);
  }
  // 006 reports to a member of the cycle: it is fine itself, but its leader is held.
  CHECK(has_problem(r.report, "leader_held", 7));
  CHECK_FALSE(has_problem(r.report, "leader_cycle", 7));
  CHECK(r.roster.people.size() == 5);
}

TEST_CASE("a leader missing from the file is an error in full mode", "[hr][intake]")
{
  auto r = intake("employees.csv", csv({hr_row("001", 1), hr_row("002", 2, "999"), hr_row("003", 3, "001")}));
  REQUIRE(r.report.accepted);
  const auto* p = find_problem(r.report, "leader_not_found", 3);
  REQUIRE(p != nullptr);
  CHECK(p->severity == Severity::error);
  CHECK(r.roster.people.size() == 2);
}

TEST_CASE("in delta mode a leader may exist only in the mirror", "[hr][intake]")
{
  const std::string text = csv({hr_row("101", 1, "001"), hr_row("102", 2, "999"), hr_row("103", 3, "101")});
  SECTION("the caller knows the mirror")
  {
    hr::IntakeContext ctx;
    ctx.is_known_employee = [](const std::string& no) { return no == "001"; };
    auto r = intake("delta.csv", text, hr_config(HrMode::delta), ctx);
    REQUIRE(r.report.accepted);
    CHECK_FALSE(has_problem(r.report, "leader_not_found", 2));
    CHECK(has_problem(r.report, "leader_not_found", 3));
    CHECK(r.roster.people.size() == 2);
  }
  SECTION("without a mirror the leaders are only flagged")
  {
    auto r = intake("delta.csv", text, hr_config(HrMode::delta));
    REQUIRE(r.report.accepted);
    CHECK(find_problem(r.report, "leader_unchecked", 2)->severity == Severity::warning);
    CHECK(has_problem(r.report, "leader_unchecked", 3));
    CHECK(r.roster.people.size() == 3);
  }
}

TEST_CASE("intake checks departments against the known ones when given", "[hr][intake]")
{
  hr::IntakeContext ctx;
  ctx.known_departments = hr::KnownDepartments{{{"总部", "技术部", "后端组"}}, {}};
  std::string elsewhere = hr_row("003", 3);
  elsewhere.replace(elsewhere.find("总部/技术部/后端组"), std::string("总部/技术部/后端组").size(), "总部/销售部");
  auto r = intake("employees.csv", csv({hr_row("001", 1), hr_row("002", 2), elsewhere}), hr_config(), ctx);
  REQUIRE(r.report.accepted);
  CHECK(has_problem(r.report, "unknown_department", 4));
  CHECK(r.roster.people.size() == 2);

  auto unchecked = intake("employees.csv", csv({hr_row("001", 1)}));
  const auto* note = find_problem(unchecked.report, "check_skipped");
  REQUIRE(note != nullptr);
  CHECK(note->severity == Severity::info);
}

TEST_CASE("department ids are read as codes when department_key is department_id", "[hr][intake]")
{
  auto cfg = hr_config();
  cfg.department_key = config::DepartmentKey::department_id;
  hr::IntakeContext ctx;
  ctx.known_departments = hr::KnownDepartments{{}, {"D100"}};
  auto r = intake("employees.csv",
                  csv({"001,张三,a@example.com,,D100,,,,,", "002,李四,b@example.com,,D200,,,,,",
                       "003,王五,c@example.com,,D100,,,,,"}),
                  cfg, ctx);
  REQUIRE(r.report.accepted);
  CHECK(r.roster.people[0].department_id == "D100");
  CHECK(r.roster.people[0].department_path.empty());
  CHECK(has_problem(r.report, "unknown_department", 3));
}

TEST_CASE("the shrink gate rejects a full export much smaller than the last accepted one", "[hr][intake]")
{
  hr::IntakeContext ctx;
  ctx.previous_present = 100;
  SECTION("within the limit (10%)")
  {
    auto r = intake("employees.csv", company(90), hr_config(), ctx);
    CHECK(r.report.accepted);
  }
  SECTION("beyond it")
  {
    auto r = intake("employees.csv", company(89), hr_config(), ctx);
    CHECK_FALSE(r.report.accepted);
    const auto* p = find_problem(r.report, "source_shrink");
    REQUIRE(p != nullptr);
    CHECK(p->message.find("lists 89 people") != std::string::npos);
    CHECK(p->message.find("listed 100") != std::string::npos);
    CHECK(r.roster.people.empty());
  }
  SECTION("delta files are not compared")
  {
    auto r = intake("employees.csv", company(5), hr_config(HrMode::delta), ctx);
    CHECK(r.report.accepted);
  }
  SECTION("without history it is skipped, and the report says so")
  {
    hr::IntakeContext none;
    none.history_available = false;
    auto r = intake("employees.csv", company(5), hr_config(), none);
    CHECK(r.report.accepted);
    CHECK(has_problem(r.report, "check_skipped"));
  }
}

TEST_CASE("terminated rows do not count as present for the shrink gate", "[hr][intake]")
{
  hr::IntakeContext ctx;
  ctx.previous_present = 10;
  std::string text(k_hr_header);
  text += '\n';
  for (int i = 1; i <= 10; ++i) {
    text += hr_row(fmt::format("{:03d}", i), i, "", i <= 2 ? "在职" : "离职") + "\n";
  }
  auto r = intake("employees.csv", text, hr_config(), ctx);
  CHECK_FALSE(r.report.accepted);
  CHECK(has_problem(r.report, "source_shrink"));
}

TEST_CASE("intake rejects a file where most rows are invalid", "[hr][intake]")
{
  auto r = intake("employees.csv",
                  csv({hr_row("001", 1), "002,李四,bad,,总部,,,,,", "003,王五,bad,,总部,,,,,"}));
  CHECK_FALSE(r.report.accepted);
  CHECK(has_problem(r.report, "too_many_invalid"));

  auto none = intake("employees.csv", csv({"002,李四,bad,,总部,,,,,"}));
  CHECK_FALSE(none.report.accepted);
  CHECK(has_problem(none.report, "no_valid_rows"));
}

TEST_CASE("employee numbers keep their leading zeros in CSV, JSON strings and JSON Lines", "[hr][intake]")
{
  auto from_csv = intake("e.csv", csv({hr_row("000123", 1)}));
  REQUIRE(from_csv.roster.people.at(0).employee_no == "000123");

  auto from_json = intake("e.json",
                          R"([{"工号":"000123","姓名":"张三","邮箱":"a@example.com","手机":"13812345678",
                              "部门":"总部","职务":"","直属上级工号":null,"员工类型":"正式","入职日期":"2024-03-01","状态":"在职"}])");
  REQUIRE(from_json.report.accepted);
  CHECK(from_json.roster.people.at(0).employee_no == "000123");
  CHECK_FALSE(has_problem(from_json.report, "numeric_employee_no"));
}

TEST_CASE("employee numbers given as JSON numbers keep their digits, with a warning about zeros", "[hr][intake]")
{
  auto r = intake("e.jsonl",
                  "{\"工号\": 9007199254740993, \"姓名\": \"张三\", \"手机\": 13812345678, \"部门\": \"总部\", "
                  "\"邮箱\": null, \"职务\": null, \"直属上级工号\": null, \"员工类型\": null, \"入职日期\": 20240301, \"状态\": null}\n"
                  "{\"工号\": 1.5e3, \"姓名\": \"李四\", \"手机\": \"13812345679\", \"部门\": \"总部\"}\n"
                  "{\"工号\": \"A7\", \"姓名\": \"王五\", \"手机\": \"13812345670\", \"部门\": \"总部\"}\n");
  REQUIRE(r.report.accepted);
  REQUIRE(r.roster.people.size() == 2);
  CHECK(r.roster.people[0].employee_no == "9007199254740993"); // beyond double precision, exact
  CHECK(r.roster.people[0].mobile == "+8613812345678");
  CHECK(r.roster.people[0].join_time == 1709222400);
  const auto* warning = find_problem(r.report, "numeric_employee_no");
  REQUIRE(warning != nullptr);
  CHECK(warning->message.find("leading zeros") != std::string::npos);
  CHECK(has_problem(r.report, "bad_employee_no", 2));
}

TEST_CASE("intake reads a JSON array and numbers its items", "[hr][intake]")
{
  auto r = intake("e.json",
                  R"([{"工号":"001","姓名":"张三","邮箱":"a@example.com","手机":"","部门":"总部","职务":"","直属上级工号":"","员工类型":"正式","入职日期":"","状态":"在职"},
                      {"工号":"002","姓名":"李四","邮箱":"b@example.com","部门":"总部"},
                      "not an object",
                      {"工号":"003","姓名":["x"],"邮箱":"c@example.com","部门":"总部"},
                      {"工号":"004","姓名":"赵六","邮箱":"d@example.com","部门":"总部"},
                      {"工号":"005","姓名":"钱七","邮箱":"e@example.com","部门":"总部"}])");
  REQUIRE(r.report.accepted);
  CHECK(r.report.counts.data_rows == 6);
  CHECK(has_problem(r.report, "not_an_object", 3));
  CHECK(has_problem(r.report, "bad_type", 4));
  CHECK(r.roster.people.size() == 4);
  CHECK(r.roster.people[1].row == 2);
}

TEST_CASE("intake rejects JSON that is not an array of objects or not JSON at all", "[hr][intake]")
{
  CHECK(has_problem(intake("e.json", R"({"工号":"001"})").report, "json_shape"));
  CHECK(has_problem(intake("e.json", R"([{"工号":"001",)").report, "json_syntax"));
  CHECK(has_problem(intake("e.json", "[]").report, "no_rows"));
  CHECK(has_problem(intake("e.json", "  ").report, "empty_file"));
}

TEST_CASE("JSON Lines: a bad line is a row error, a cut last line rejects the file", "[hr][intake]")
{
  const std::string good = R"({"工号":"001","姓名":"张三","邮箱":"a@example.com","部门":"总部"})";
  const std::string good2 = R"({"工号":"002","姓名":"李四","邮箱":"b@example.com","部门":"总部"})";
  const std::string good3 = R"({"工号":"003","姓名":"王五","邮箱":"c@example.com","部门":"总部"})";
  auto r = intake("e.jsonl", good + "\n\n{oops\n" + good2 + "\n[1]\n" + good3 + "\n" +
                               R"({"工号":"004","姓名":"赵六","邮箱":"d@example.com","部门":"总部"})" + "\n",
                  hr_config_minimal());
  REQUIRE(r.report.accepted);
  CHECK(has_problem(r.report, "json_syntax", 3));
  CHECK(has_problem(r.report, "not_an_object", 5));
  CHECK(r.roster.people.size() == 4);
  CHECK(r.roster.people[1].row == 4);

  auto cut = intake("e.jsonl", good + "\n" + good2 + "\n" + R"({"工号":"003","姓)", hr_config_minimal());
  CHECK_FALSE(cut.report.accepted);
  CHECK(has_problem(cut.report, "truncated", 3));
}

TEST_CASE("intake takes the format from hr.format or the extension", "[hr][intake]")
{
  CHECK(hr::find_format("a.CSV", config::HrFormat::auto_detect) == config::HrFormat::csv);
  CHECK(hr::find_format("a.ndjson", config::HrFormat::auto_detect) == config::HrFormat::jsonl);
  CHECK(hr::find_format("a.txt", config::HrFormat::csv) == config::HrFormat::csv);
  CHECK_FALSE(hr::find_format("a.xlsx", config::HrFormat::auto_detect));
  auto r = intake("employees.xlsx", "PK\x03\x04");
  CHECK_FALSE(r.report.accepted);
  CHECK(has_problem(r.report, "unknown_format"));
}

TEST_CASE("intake reports the file's hash, size and the time it was checked", "[hr][intake]")
{
  auto r = intake("e.csv", "abc");
  CHECK(r.report.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(r.report.size == 3);
  CHECK(r.report.checked_at == 1'700'000'000);
  CHECK(r.report.file_name == "e.csv");
}

TEST_CASE("a configuration without a required mapping is a ConfigError", "[hr][intake]")
{
  auto cfg = hr_config();
  cfg.columns.erase("employee_no");
  cfg.columns["nickname"] = "昵称";
  try {
    intake("e.csv", company(1), cfg);
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    CHECK(e.problems().size() == 2);
    CHECK(std::string(e.what()).find("unknown field \"nickname\"") != std::string::npos);
    CHECK(std::string(e.what()).find("employee_no is required") != std::string::npos);
  }
}

TEST_CASE("intake of a large file puts every problem on its own row, in row order", "[hr][intake]")
{
  // Large enough for the row estimate and the in-place roster to matter, with errors spread over
  // the file: each must land on its own row, and the roster must keep file order.
  constexpr int k_rows = 20'000;
  std::string text(k_hr_header);
  text += '\n';
  for (int i = 1; i <= k_rows; ++i) {
    std::string row = hr_row(fmt::format("{:06d}", i), i);
    if (i % 7 == 0) {
      row.replace(row.find('@'), 1, "#");
    }
    text += row + "\n";
  }
  auto r = intake("big.csv", text);
  REQUIRE(r.report.accepted);
  CHECK(r.roster.people.size() == k_rows - k_rows / 7);
  std::vector<std::size_t> rows;
  for (const auto& p : r.report.problems) {
    if (p.code == "bad_email") {
      CHECK(p.employee_no == fmt::format("{:06d}", p.row - 1));
      rows.push_back(p.row);
    }
  }
  REQUIRE(rows.size() == k_rows / 7);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CHECK(rows[i] == (i + 1) * 7 + 1);
  }
  for (std::size_t i = 0; i < r.roster.people.size(); ++i) {
    if (i > 0) {
      CHECK(r.roster.people[i].row > r.roster.people[i - 1].row);
    }
  }
}

TEST_CASE("the sample export in examples/hr is accepted without errors or warnings", "[hr][intake]")
{
  const auto file = std::filesystem::path(DIRSYNC_SOURCE_DIR) / "examples/hr/employees-sample.csv";
  hr::IntakeContext context;
  context.now = 1;
  auto r = hr::read_export_file(file, hr_config(), config::SafetyConfig{}, context);
  REQUIRE(r.report.accepted);
  CHECK(r.report.counts.errors == 0);
  CHECK(r.report.counts.warnings == 0);
  CHECK(r.report.counts.accepted_rows == 12);
  CHECK(r.report.counts.terminated == 1);
  CHECK(r.roster.people.at(3).job_title == "高级工程师, 数据库");
  CHECK(r.roster.people.at(8).mobile == "+85251234567");
}

TEST_CASE("read_export_file names a file it cannot read, and refuses a folder", "[hr][intake]")
{
  ScratchDir dir;
  const config::HrConfig hr = hr_config();
  CHECK_THROWS_WITH(hr::read_export_file(dir / "missing.csv", hr, {}, {}),
                    Catch::Contains("cannot open HR file") && Catch::Contains("missing.csv"));
  CHECK_THROWS_WITH(hr::read_export_file(dir.path(), hr, {}, {}), Catch::Contains("not a regular file"));
  auto file = dir.write("e.csv", company(3));
  auto r = hr::read_export_file(file, hr, {}, {});
  CHECK(r.report.accepted);
  CHECK(r.report.file_name == "e.csv");
}
