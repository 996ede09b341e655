#include "hr/decode.hpp"
#include "support/hr_fixtures.hpp"

#include <catch2/catch.hpp>

using dirsync::config::HrEncoding;
using dirsync::hr::decode_text;
using dirsync::hr::find_invalid_utf8;

TEST_CASE("decode_text takes valid UTF-8 as UTF-8 and strips a BOM", "[hr][decode]")
{
  auto plain = decode_text("工号,姓名\n", HrEncoding::auto_detect);
  REQUIRE(plain.ok);
  CHECK(plain.encoding == "utf-8");
  CHECK(plain.text == "工号,姓名\n");

  auto bom = decode_text("\xEF\xBB\xBF工号,姓名\n", HrEncoding::auto_detect);
  REQUIRE(bom.ok);
  CHECK(bom.encoding == "utf-8 (BOM)");
  CHECK(bom.text == "工号,姓名\n");
}

TEST_CASE("decode_text reads GB18030 under auto and under gb18030", "[hr][decode]")
{
  const std::string gb = dirsync::testing::to_gb18030("工号,姓名\n001,张三\n");
  REQUIRE(find_invalid_utf8(gb) != gb.size()); // the test is only meaningful if it is not UTF-8

  auto automatic = decode_text(gb, HrEncoding::auto_detect);
  REQUIRE(automatic.ok);
  CHECK(automatic.encoding == "gb18030");
  CHECK(automatic.text == "工号,姓名\n001,张三\n");

  auto explicit_gb = decode_text(gb, HrEncoding::gb18030);
  REQUIRE(explicit_gb.ok);
  CHECK(explicit_gb.text == "工号,姓名\n001,张三\n");
}

TEST_CASE("decode_text under utf-8 refuses GB18030 bytes and names the line", "[hr][decode]")
{
  const std::string gb = dirsync::testing::to_gb18030("a,b\n1,张三\n");
  auto r = decode_text(gb, HrEncoding::utf8);
  CHECK_FALSE(r.ok);
  CHECK(r.note.find("line 2") != std::string::npos);
  CHECK(r.note.find("hr.encoding: auto") != std::string::npos);
}

TEST_CASE("decode_text refuses UTF-16, NUL bytes and bytes that are neither encoding", "[hr][decode]")
{
  auto utf16 = decode_text(std::string("\xFF\xFE" "a\0b\0", 6), HrEncoding::auto_detect);
  CHECK_FALSE(utf16.ok);
  CHECK(utf16.note.find("UTF-16") != std::string::npos);

  auto nul = decode_text(std::string("a,b\n1\0,2\n", 9), HrEncoding::auto_detect);
  CHECK_FALSE(nul.ok);
  CHECK(nul.note.find("NUL") != std::string::npos);

  // 0x80 alone is neither UTF-8 nor a GB18030 lead byte; 0xFF is invalid in both.
  auto junk = decode_text("a,b\n\x80\xFF\n", HrEncoding::auto_detect);
  CHECK_FALSE(junk.ok);
  CHECK(junk.note.find("neither UTF-8") != std::string::npos);
}

TEST_CASE("find_invalid_utf8 refuses overlong forms, surrogates and cut sequences", "[hr][decode]")
{
  CHECK(find_invalid_utf8("abc") == 3);
  CHECK(find_invalid_utf8("a\xC0\xAF") == 1);         // overlong "/"
  CHECK(find_invalid_utf8("a\xE0\x80\xAF") == 1);     // overlong 3-byte
  CHECK(find_invalid_utf8("\xED\xA0\x80") == 0);      // U+D800 surrogate
  CHECK(find_invalid_utf8("\xF4\x90\x80\x80") == 0);  // above U+10FFFF
  CHECK(find_invalid_utf8("ab\xE5\xB7") == 2);        // cut at the end
  CHECK(find_invalid_utf8("\xF0\x9F\x98\x80") == 4);  // an emoji is fine
}

TEST_CASE("find_invalid_utf8 finds a bad byte at any offset within long ASCII runs", "[hr][decode]")
{
  // The scan skips ASCII eight bytes at a time: put the bad byte at every offset modulo 8, with
  // and without valid multi-byte characters before it.
  for (std::size_t k = 0; k < 40; ++k) {
    const std::string ascii(k, 'a');
    CHECK(find_invalid_utf8(ascii + "\xC0\xAF" + std::string(20, 'b')) == k);
    CHECK(find_invalid_utf8("\xE5\xBC\xA0" + ascii + "\xFF" + std::string(k, 'c')) == 3 + k);
    CHECK(find_invalid_utf8(ascii + "\xE5\xBC\xA0" + ascii + "\xE5\xB7") == 2 * k + 3);
    const std::string valid = ascii + "\xE5\xBC\xA0" + std::string(k + 9, 'd') + "\xC2\xA0";
    CHECK(find_invalid_utf8(valid) == valid.size());
  }
}
