#include "common/redact.hpp"

#include <catch2/catch.hpp>

using dirsync::redact;
using dirsync::redact_text;

TEST_CASE("redact hides a secret entirely", "[redact]")
{
  CHECK(redact("demo-secret-123") == "***");
  CHECK(redact("") == "");
}

TEST_CASE("redact_text hides tokens, bearer headers and secret JSON fields", "[redact]")
{
  const std::string token = "t-g1044ghJRUIJJ5ELSZ2SCZXC6RZJ6N5QCR2HMYZL";
  std::string text = R"({"app_id":"cli_demo","app_secret":"s3cr3t","tenant_access_token":")" + token
                     + R"(","expire":7200} Authorization: Bearer )" + token;
  std::string out = redact_text(text);
  CHECK(out.find("s3cr3t") == std::string::npos);
  CHECK(out.find(token) == std::string::npos);
  CHECK(out.find("g1044ghJ") == std::string::npos);
  CHECK(out.find("cli_demo") != std::string::npos);
  CHECK(out.find(R"("expire":7200)") != std::string::npos);
}

TEST_CASE("redact_text leaves ordinary text alone", "[redact]")
{
  const std::string text = "created user ou_7dab8a3d3cdcc9da365777c7ad535d62 in od-4e6ac4d14bcd5071a37a39de902c7141";
  CHECK(redact_text(text) == text);
}
