#include "common/text.hpp"

#include <catch2/catch.hpp>

using dirsync::ascii_iequal;
using dirsync::days_from_civil;
using dirsync::format_date;
using dirsync::join;

TEST_CASE("ascii_iequal ignores the case of ASCII letters only", "[text]")
{
  CHECK(ascii_iequal("X-Tt-Logid", "x-tt-logid"));
  CHECK_FALSE(ascii_iequal("X-Tt-Logid", "x-tt-logi"));
  CHECK_FALSE(ascii_iequal("a", "b"));
  CHECK(ascii_iequal("正式", "正式"));
  CHECK_FALSE(ascii_iequal("\xC3\xA9", "\xC3\x89")); // é and É are not ASCII: compared exactly
}

TEST_CASE("join puts the separator between items only", "[text]")
{
  CHECK(join({}, "/") == "");
  CHECK(join({"总部"}, "/") == "总部");
  CHECK(join({"总部", "技术部", "后端组"}, "/") == "总部/技术部/后端组");
}

TEST_CASE("days_from_civil and format_date agree across eras, leap days and offsets", "[text]")
{
  CHECK(days_from_civil(1970, 1, 1) == 0);
  CHECK(days_from_civil(2024, 2, 29) == 19782);
  CHECK(days_from_civil(1969, 12, 31) == -1);
  CHECK(format_date(0) == "1970-01-01");
  CHECK(format_date(-1) == "1969-12-31");
  CHECK(format_date(19782LL * 86400) == "2024-02-29");
  CHECK(format_date(days_from_civil(2400, 12, 31) * 86400 + 86399) == "2400-12-31");
}

TEST_CASE("format_date shows an HR date (midnight China Standard Time) as the day HR wrote",
          "[text]")
{
  const std::int64_t offset = 8 * 3600;
  // 2024-03-01 00:00 in UTC+8 is 2024-02-29 16:00 UTC.
  const std::int64_t midnight_cst = days_from_civil(2024, 3, 1) * 86400 - offset;
  CHECK(format_date(midnight_cst) == "2024-02-29");
  CHECK(format_date(midnight_cst, offset) == "2024-03-01");
}
