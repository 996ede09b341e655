#include "hr/report.hpp"
#include "support/hr_fixtures.hpp"

#include <catch2/catch.hpp>

using namespace dirsync;
using namespace dirsync::testing;

TEST_CASE("to_json carries the verdict, counts and every problem with its place", "[hr][report]")
{
  auto r = intake("employees.csv",
                  std::string(k_hr_header) + "\n" + hr_row("001", 1) + "\n" +
                    "002,李四,bad@,13812345679,总部,,,,,在职\n" + hr_row("003", 3) + "\n");
  auto j = hr::to_json(r.report);
  CHECK(j.get_string("file") == "employees.csv");
  CHECK(j.get_bool("accepted"));
  CHECK(j.get_string("format") == "csv");
  CHECK(j.get_string("encoding") == "utf-8");
  CHECK(j.get_string("mode") == "full");
  CHECK(j.get_string("sha256").size() == 64);
  CHECK(j.find("counts")->get_int("data_rows") == 3);
  CHECK(j.find("counts")->get_int("accepted_rows") == 2);
  CHECK(j.find("counts")->get_int("present") == 3);
  const json::Value* bad = nullptr;
  for (const auto& p : j.find("problems")->as_array()) {
    if (p.get_string("code") == "bad_email") {
      bad = &p;
    }
  }
  REQUIRE(bad != nullptr);
  CHECK(bad->get_int("row") == 3);
  CHECK(bad->get_string("column") == "邮箱");
  CHECK(bad->get_string("employee_no") == "002");
  CHECK(bad->get_string("severity") == "error");
  // It survives a round trip through text, as a report file must.
  CHECK(json::parse(j.dump_pretty()) == j);
}

TEST_CASE("to_text starts with the verdict and lists problems by row with what to do", "[hr][report]")
{
  auto accepted = intake("employees.csv",
                         std::string(k_hr_header) + "\n" + hr_row("001", 1) + "\n" +
                           "002,李四,li@example.com,1381234,总部,,,,,在职\n" + hr_row("003", 3) + "\n");
  const std::string text = hr::to_text(accepted.report);
  CHECK(text.rfind("HR file employees.csv: ACCEPTED\n", 0) == 0);
  CHECK(text.find("except 1 row(s) with errors") != std::string::npos);
  CHECK(text.find("  Row 3 (employee 002):\n    error    手机 \"1381234\" is not a valid number for "
                  "region CN\n") != std::string::npos);
  CHECK(text.find("What to do\n") != std::string::npos);
  CHECK(text.find("  bad_mobile: Correct the number in HR.") != std::string::npos);
  // The summary comes before the problems.
  CHECK(text.find("Rows:") < text.find("Problems\n"));

  auto rejected = intake("employees.csv", std::string(k_hr_header) + "\n");
  const std::string rtext = hr::to_text(rejected.report);
  CHECK(rtext.rfind("HR file employees.csv: REJECTED\n", 0) == 0);
  CHECK(rtext.find("nothing in Feishu was changed") != std::string::npos);
  CHECK(rtext.find("  - the file has a header but no data rows") != std::string::npos);
}

TEST_CASE("to_text names rows by line for JSON Lines", "[hr][report]")
{
  auto r = intake("e.jsonl", "{\"工号\":\"001\",\"姓名\":\"张三\",\"邮箱\":\"a@example.com\",\"部门\":\"总部\"}\n"
                             "{bad\n"
                             "{\"工号\":\"003\",\"姓名\":\"王五\",\"邮箱\":\"c@example.com\",\"部门\":\"总部\"}\n",
                  hr_config_minimal());
  const std::string text = hr::to_text(r.report);
  CHECK(text.find("  Line 2:\n") != std::string::npos);
  CHECK(text.find("Lines:") != std::string::npos);
}
