#include "common/json.hpp"

#include <catch2/catch.hpp>

using dirsync::json::JsonError;
using dirsync::json::parse;
using dirsync::json::Type;
using dirsync::json::Value;

TEST_CASE("json parse reads every value type", "[json]")
{
  Value v = parse(R"({"n": null, "t": true, "f": false, "i": -42, "d": 1.5e2, "s": "x",
                      "a": [1, "two", [3]], "o": {"k": "v"}})");
  CHECK(v.find("n")->is_null());
  CHECK(v.find("t")->as_bool());
  CHECK_FALSE(v.find("f")->as_bool());
  CHECK(v.find("i")->type() == Type::integer);
  CHECK(v.find("i")->as_int() == -42);
  CHECK(v.find("d")->type() == Type::number);
  CHECK(v.find("d")->as_double() == 150.0);
  CHECK(v.get_string("s") == "x");
  CHECK(v.find("a")->size() == 3);
  CHECK(v.find("a")->as_array()[2].as_array()[0].as_int() == 3);
  CHECK(v.find("o")->get_string("k") == "v");
}

TEST_CASE("json parse keeps large integers exact and falls back to double past 64 bits", "[json]")
{
  CHECK(parse("9223372036854775807").as_int() == 9223372036854775807LL);
  CHECK(parse("1700000000").as_int() == 1700000000);
  CHECK(parse("18446744073709551616").type() == Type::number);
}

TEST_CASE("json parse decodes escapes and surrogate pairs to UTF-8", "[json]")
{
  CHECK(parse(R"("a\"b\\c\/d\n\t")").as_string() == "a\"b\\c/d\n\t");
  CHECK(parse(R"("\u5f20\u4e09")").as_string() == "张三");
  CHECK(parse(R"("\ud83d\ude00")").as_string() == "\xF0\x9F\x98\x80");
  CHECK(parse("\"张三\"").as_string() == "张三");
}

TEST_CASE("json parse reports the line and column of an error", "[json]")
{
  SECTION("a missing comma")
  {
    try {
      parse("{\n  \"a\": 1\n  \"b\": 2\n}");
      FAIL("no error");
    } catch (const JsonError& e) {
      CHECK(e.line() == 3);
      CHECK(e.column() == 3);
      CHECK(std::string(e.what()) == "line 3 column 3: expected ',' or '}' in an object");
    }
  }
  SECTION("columns count characters, not bytes")
  {
    try {
      parse("[\"张三\" x]");
      FAIL("no error");
    } catch (const JsonError& e) {
      CHECK(e.column() == 7);
    }
  }
}

TEST_CASE("json parse refuses what RFC 8259 refuses", "[json]")
{
  auto bad = GENERATE(as<std::string>{}, "", "[1,]", "{\"a\":1,}", "01", "1.", "-", "tru", "\"a",
                      "\"\\x\"", "\"\\ud800\"", "[1] 2", "{a:1}", "\"tab\there\"", "NaN");
  CAPTURE(bad);
  CHECK_THROWS_AS(parse(bad), JsonError);
}

TEST_CASE("json parse refuses nesting deep enough to exhaust the stack", "[json]")
{
  std::string deep(100000, '[');
  CHECK_THROWS_WITH(parse(deep), Catch::Contains("nesting is too deep"));
}

TEST_CASE("json dump round-trips and escapes what JSON requires", "[json]")
{
  Value v = Value::object({{"name", "张三"}, {"quote", "a\"b"}, {"ctl", std::string("\x01", 1)},
                           {"n", 3}, {"d", 2.0}, {"list", Value::string_array({"x", "y"})}});
  std::string text = v.dump();
  CHECK(text
        == R"({"name":"张三","quote":"a\"b","ctl":"\u0001","n":3,"d":2.0,"list":["x","y"]})");
  CHECK(parse(text) == v);
  CHECK(parse(v.dump_pretty()) == v);
}

TEST_CASE("json objects keep insertion order and set replaces in place", "[json]")
{
  Value v;
  v.set("b", 1).set("a", 2).set("b", 3);
  CHECK(v.dump() == R"({"b":3,"a":2})");
  CHECK(v.erase("b"));
  CHECK_FALSE(v.erase("b"));
  CHECK(v.dump() == R"({"a":2})");
}

TEST_CASE("json typed access names the wrong type", "[json]")
{
  Value v = parse(R"({"n": "12"})");
  CHECK_THROWS_WITH(v.find("n")->as_int(), "expected an integer, got a string");
  CHECK_THROWS_WITH(v.get_int("n"), "\"n\": expected an integer, got a string");
  CHECK(v.get_int("missing", 7) == 7);
}

namespace {

// Whether find() may be called on a V&& (a temporary): it must not, since the pointer it returns
// would point into a Value destroyed at the end of the full expression.
template<typename V>
constexpr bool k_find_on_temporary = requires { std::declval<V&&>().find("k"); };
template<typename V>
constexpr bool k_find_on_lvalue = requires { std::declval<V&>().find("k"); };

} // namespace

static_assert(!k_find_on_temporary<Value>, "find() on a temporary Value must not compile");
static_assert(!k_find_on_temporary<const Value>, "find() on a temporary Value must not compile");
static_assert(k_find_on_lvalue<Value> && k_find_on_lvalue<const Value>);

TEST_CASE("json members of a temporary are read by value: get(), and as_array() in a range-for",
          "[json]")
{
  CHECK(parse(R"({"user": {"name": "张三"}})").get("user").get_string("name") == "张三");
  CHECK(parse(R"({"user": 1})").get("missing").is_null());
  std::int64_t sum = 0;
  for (const Value& v : parse("[1, 2, 3, 4]").as_array()) { // a copy kept alive by the loop
    sum += v.as_int();
  }
  CHECK(sum == 10);
  CHECK(parse(R"("x")").as_string() == "x");
}
