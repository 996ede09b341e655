#include "hr/normalize.hpp"

#include <catch2/catch.hpp>

using namespace dirsync::hr;

TEST_CASE("trim removes ASCII, no-break, zero-width and full-width spaces at both ends", "[hr][normalize]")
{
  CHECK(trim("  a b \t\r\n") == "a b");
  CHECK(trim("\xE3\x80\x80张三\xE3\x80\x80") == "张三");
  CHECK(trim("\xC2\xA0" "x" "\xE2\x80\x8B") == "x");
  CHECK(trim("\xEF\xBB\xBF" "001") == "001");
  CHECK(trim("   ").empty());
}

TEST_CASE("fullwidth_to_ascii converts full-width forms only", "[hr][normalize]")
{
  CHECK(fullwidth_to_ascii("００１２３") == "00123");
  CHECK(fullwidth_to_ascii("ａ＠ｂ．ｃｏｍ") == "a@b.com");
  CHECK(fullwidth_to_ascii("张三") == "张三");
}

TEST_CASE("try_normalize_email trims, lower-cases and checks the syntax", "[hr][normalize]")
{
  CHECK(try_normalize_email("  John.Doe@Example.COM ") == "john.doe@example.com");
  CHECK(try_normalize_email("a+tag@sub.example.cn") == "a+tag@sub.example.cn");
  CHECK(try_normalize_email("ｌｉ＠ｅｘａｍｐｌｅ．ｃｏｍ") == "li@example.com");
  for (const char* bad : {"", "plain", "a@b", "a@@b.com", "a@b..com", ".a@b.com", "a.@b.com",
                          "a..b@c.com", "a b@c.com", "a@-b.com", "a@b-.com", "a@b.c", "a@b.c0m",
                          "张三@example.com", "a@例子.com"}) {
    INFO(bad);
    CHECK_FALSE(try_normalize_email(bad));
  }
}

TEST_CASE("try_parse_date reads the usual forms as midnight China time", "[hr][normalize]")
{
  // 2024-03-01 00:00 +08:00 == 2024-02-29 16:00 UTC == 1709222400
  constexpr std::int64_t k_march_first = 1709222400;
  for (const char* text : {"2024-03-01", "2024/3/1", "2024.03.01", "20240301", "2024年3月1日",
                           " 2024-3-1 ", "２０２４－０３－０１"}) {
    INFO(text);
    CHECK(try_parse_date(text) == k_march_first);
  }
  CHECK(try_parse_date("2024-03-01 09:30:15") == k_march_first + 9 * 3600 + 30 * 60 + 15);
  CHECK(try_parse_date("2024-03-01T09:30") == k_march_first + 9 * 3600 + 30 * 60);
  CHECK(try_parse_date("1970-01-01") == -8 * 3600);
}

TEST_CASE("try_parse_date refuses impossible and ambiguous dates", "[hr][normalize]")
{
  for (const char* text : {"", "2023-02-29", "2024-13-01", "2024-04-31", "3/1/2024", "01/03/2024",
                           "2024-03", "2024-03-01x", "2024-03/01", "1899-12-31", "45352",
                           "2024-03-01 25:00", "2024年3月"}) {
    INFO(text);
    CHECK_FALSE(try_parse_date(text));
  }
  CHECK(try_parse_date("2024-02-29")); // a leap day
}

TEST_CASE("looks_like_scientific_notation spots numbers a spreadsheet mangled", "[hr][normalize]")
{
  CHECK(looks_like_scientific_notation("1.38123E+10"));
  CHECK(looks_like_scientific_notation("1E10"));
  CHECK_FALSE(looks_like_scientific_notation("E100"));
  CHECK_FALSE(looks_like_scientific_notation("13812345678"));
  CHECK_FALSE(looks_like_scientific_notation("A1E5"));
}

TEST_CASE("MobileNormalizer gives E.164 for valid mobiles and says why otherwise", "[hr][normalize]")
{
  MobileNormalizer cn("CN");
  CHECK(cn.normalize("13812345678").e164 == "+8613812345678");
  CHECK(cn.normalize(" 138-1234-5678 ").e164 == "+8613812345678");
  CHECK(cn.normalize("+86 138 1234 5678").e164 == "+8613812345678");
  CHECK(cn.normalize("１３８１２３４５６７８").e164 == "+8613812345678");
  CHECK(cn.normalize("+852 5123 4567").e164 == "+85251234567");

  auto short_number = cn.normalize("1381234");
  CHECK(short_number.e164.empty());
  CHECK(short_number.problem.find("region CN") != std::string::npos);

  auto landline = cn.normalize("010-62345678");
  CHECK(landline.e164.empty());
  CHECK(landline.problem.find("not a mobile") != std::string::npos);

  auto mangled = cn.normalize("1.38123E+10");
  CHECK(mangled.e164.empty());
  CHECK(mangled.problem.find("scientific notation") != std::string::npos);

  CHECK_FALSE(cn.normalize("not a number").problem.empty());
}
