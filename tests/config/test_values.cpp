#include "config/values.hpp"

#include <catch2/catch.hpp>

#include <array>

using namespace dirsync::config;
using namespace std::chrono_literals;

TEST_CASE("try_parse_duration reads units and combinations", "[config]")
{
  CHECK(try_parse_duration("500ms") == 500ms);
  CHECK(try_parse_duration("30s") == 30s);
  CHECK(try_parse_duration("15m") == 15min);
  CHECK(try_parse_duration("1h") == 1h);
  CHECK(try_parse_duration("1h30m") == 90min);
  CHECK(try_parse_duration("2m30s500ms") == 150500ms);
  CHECK(try_parse_duration("0s") == 0ms);
}

TEST_CASE("try_parse_duration rejects what is not a duration", "[config]")
{
  for (const char* text : {"", "30", "s", "1.5h", "-5s", " 5s", "5s ", "5 s", "30sec", "1d", "30s1h", "1m1m",
                           "5S", "9999999999s", "2401h"}) {
    INFO(text);
    CHECK_FALSE(try_parse_duration(text));
  }
}

TEST_CASE("format_duration writes the largest units first", "[config]")
{
  CHECK(format_duration(0ms) == "0s");
  CHECK(format_duration(500ms) == "500ms");
  CHECK(format_duration(90min) == "1h30m");
  CHECK(format_duration(30s) == "30s");
  CHECK(format_duration(3601500ms) == "1h1s500ms");
}

TEST_CASE("try_parse_rate_window reads N/s, N/min and N/h", "[config]")
{
  const auto window = try_parse_rate_window("1000/min");
  REQUIRE(window);
  CHECK(window->requests == 1000);
  CHECK(window->per == 60s);
  CHECK(try_parse_rate_window("50/s")->per == 1s);
  CHECK(try_parse_rate_window("10/h")->per == 3600s);
  for (const char* text : {"0/s", "50", "/s", "50/sec", "50/m", "-1/s", "1.5/s", "50 /s"}) {
    INFO(text);
    CHECK_FALSE(try_parse_rate_window(text));
  }
}

TEST_CASE("is_loopback_host knows localhost, 127.0.0.0/8 and ::1", "[config]")
{
  for (const char* host : {"localhost", "LOCALHOST", "127.0.0.1", "127.255.0.9", "::1", "[::1]"}) {
    INFO(host);
    CHECK(is_loopback_host(host));
  }
  for (const char* host : {"0.0.0.0", "10.0.0.1", "128.0.0.1", "::", "example.com", "localhost.example.com",
                           "127.0.0.1.example.com", ""}) {
    INFO(host);
    CHECK_FALSE(is_loopback_host(host));
  }
}

TEST_CASE("find_base_url_problem accepts https and loopback http only", "[config]")
{
  CHECK_FALSE(find_base_url_problem("https://open.feishu.cn"));
  CHECK_FALSE(find_base_url_problem("HTTPS://open.feishu.cn:443/"));
  CHECK_FALSE(find_base_url_problem("http://127.0.0.1:18080"));
  CHECK(find_base_url_problem("http://open.feishu.cn"));
  CHECK(find_base_url_problem("http://127.0.0.1.nip.io"));
  CHECK(find_base_url_problem("ftp://open.feishu.cn"));
  CHECK(find_base_url_problem("https://"));
  CHECK(find_base_url_problem("https://open.feishu.cn:0"));
  CHECK(find_base_url_problem("https://user:pw@open.feishu.cn"));
  CHECK(find_base_url_problem("https://open.feishu.cn/?x=1"));
}

TEST_CASE("try_parse_listen_host splits HOST:PORT", "[config]")
{
  CHECK(try_parse_listen_host("127.0.0.1:9464") == "127.0.0.1");
  CHECK(try_parse_listen_host("[::1]:9464") == "::1");
  CHECK(try_parse_listen_host("localhost:1") == "localhost");
  CHECK_FALSE(try_parse_listen_host("9464"));
  CHECK_FALSE(try_parse_listen_host(":9464"));
  CHECK_FALSE(try_parse_listen_host("127.0.0.1"));
  CHECK_FALSE(try_parse_listen_host("127.0.0.1:65536"));
  CHECK_FALSE(try_parse_listen_host("::1:9464"));
}

TEST_CASE("find_closest suggests only likely misspellings", "[config]")
{
  constexpr std::array<std::string_view, 4> keys{"timeout", "app_id", "max_in_flight", "hr"};
  CHECK(find_closest("timout", keys) == "timeout");
  CHECK(find_closest("tiemout", keys) == "timeout");
  CHECK(find_closest("App_Id", keys) == "app_id");
  CHECK(find_closest("max_inflight", keys) == "max_in_flight");
  CHECK(find_closest("hrr", keys) == "hr");
  CHECK_FALSE(find_closest("database", keys));
  CHECK_FALSE(find_closest("xy", keys));
}
