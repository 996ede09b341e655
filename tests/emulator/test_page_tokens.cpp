#include "emulator/page_tokens.hpp"

#include <catch2/catch.hpp>

using dirsync::emulator::PageTokens;

TEST_CASE("page tokens open only in their own context and refuse any edit", "[emulator]")
{
  const PageTokens tokens(42);
  const auto token = tokens.seal("users|7", "1234");
  CHECK(token.find("1234") == std::string::npos);
  CHECK(tokens.try_open("users|7", token) == "1234");
  CHECK_FALSE(tokens.try_open("users|8", token));
  CHECK_FALSE(PageTokens(43).try_open("users|7", token));
  for (std::size_t i = 0; i < token.size(); ++i) {
    std::string edited = token;
    edited[i] = edited[i] == 'A' ? 'B' : 'A';
    CHECK_FALSE(tokens.try_open("users|7", edited));
  }
  CHECK_FALSE(tokens.try_open("users|7", ""));
  CHECK_FALSE(tokens.try_open("users|7", "10"));
  CHECK_FALSE(tokens.try_open("users|7", "%%%%"));
}
