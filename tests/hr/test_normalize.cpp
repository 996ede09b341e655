#include "hr/normalize.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <string_view>

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

// The memo of MobileNormalizer (normalize.cpp) must never answer differently from libphonenumber.
// A normalizer's first number with given leading digits goes to libphonenumber, so a fresh
// normalizer per number is the reference, and one long-lived normalizer (whose memo fills up as it
// goes) must agree with it on every number: all 5-digit CN prefixes 10000..19999, each with several
// endings and spellings, the prefixes whose later digits libphonenumber does read (11, 12, 179:
// international and carrier prefixes), and numbers of other shapes, regions and lengths.
TEST_CASE("MobileNormalizer's memo agrees with libphonenumber on every CN prefix and spelling",
          "[hr][normalize]")
{
  const auto reference = [](std::string_view raw) { return MobileNormalizer("CN").normalize(raw); };
  MobileNormalizer memo("CN");
  std::size_t compared = 0;
  std::size_t usable = 0;
  const auto compare = [&](const std::string& raw) {
    const auto expected = reference(raw);
    const auto got = memo.normalize(raw);
    INFO("mobile \"" << raw << "\"");
    REQUIRE(got.e164 == expected.e164);
    REQUIRE(got.problem == expected.problem);
    ++compared;
    usable += expected.e164.empty() ? 0 : 1;
  };

  // Endings chosen to cross the digits CN's patterns could look at after the prefix: zeros (an
  // international prefix "...00"), nines, and mixed.
  static constexpr std::array<std::string_view, 4> k_endings{"000000", "999999", "003456", "271828"};
  for (int prefix = 10000; prefix <= 19999; ++prefix) {
    const std::string p = std::to_string(prefix);
    for (auto ending : k_endings) {
      compare(p + std::string(ending));
    }
    // One of the other spellings per prefix, in turn, each with another ending.
    const std::string n = p + std::to_string(1000000 + prefix * 7919 % 1000000).substr(1);
    const std::string head = n.substr(0, 3);
    const std::string mid = n.substr(3, 4);
    const std::string tail = n.substr(7);
    switch (prefix % 10) {
    case 0: compare("+86" + n); break;
    case 1: compare("+86 " + head + " " + mid + " " + tail); break;
    case 2: compare("0086" + n); break;
    case 3: compare("0086-" + head + "-" + mid + "-" + tail); break;
    case 4: compare("86" + n); break;
    case 5: compare("86 " + head + "  " + mid + tail); break;
    case 6: compare(head + "-" + mid + "-" + tail); break;
    case 7: compare(" " + head + " " + mid + " " + tail + "\xE3\x80\x80"); break;
    case 8: compare((prefix / 10 % 2 == 0 ? "-" : "- -") + n); break;
    default: compare("+86-" + n); break;
    }
  }

  // Where CN's international prefix 1[12]xx00 / 179xx00 or carrier prefix 1[12]xxx / 179xx could
  // apply: the memo must leave these to libphonenumber.
  for (std::string_view start : {"11", "12", "179"}) {
    for (int middle = 0; middle < 100; middle += 7) {
      std::string n = std::string(start) + std::to_string(100 + middle).substr(1);
      n.resize(5, '3');
      for (std::string_view ending : {"000000", "001234", "005678", "012345", "123456"}) {
        compare(n + std::string(ending));
        compare("+86" + n + std::string(ending));
        compare("86" + n + std::string(ending));
      }
    }
  }

  // Other shapes, regions and garbage, each after the memo has filled up.
  for (const std::string raw :
       {"13812345678", "1381234567", "138123456789", "+861381234567", "+8613812345678 ",
        "++8613812345678", "+ 8613812345678", "+-8613812345678", "8613812345678", "86013812345678",
        "008613812345678", "00861381234567", "0013812345678", "013812345678", "(138) 1234 5678",
        "138.1234.5678", "138 1234 5678 ext 12", "13812345678#", "13812345678;ext=1",
        "1381234567x", "tel:+86-138-1234-5678", "+85251234567", "+852 5123 4567", "+1 650 253 0000",
        "+44 7911 123456", "+8521381234567", "+86 10 6234 5678", "010-62345678", "4001234567",
        "17400123456", "17406123456", "14512345678", "14612345678", "19012345678", "19412345678",
        "+86 174 0512 3456", "1.38123E+10", "１３８１２３４５６７８", "１３８-１２３４-５６７８",
        "not a number", "-", "+", "1", "", "13812345678 13812345678", "-13812345678-",
        "-8613812345678", "- 008613812345678", "-+8613812345678", "+86 - 138-1234-5678"}) {
    compare(raw);
  }
  // Sanity of the sample itself: most CN prefixes are mobile, many are not.
  CHECK(compared > 50'000);
  CHECK(usable > 10'000);
  CHECK(usable < compared - 10'000);
}
