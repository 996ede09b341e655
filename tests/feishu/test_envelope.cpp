#include "feishu/envelope.hpp"

#include <catch2/catch.hpp>

using namespace dirsync;
using namespace dirsync::feishu;

TEST_CASE("find_log_id prefers X-Tt-Logid, then X-Request-Id, then the body's error.log_id", "[feishu][envelope]")
{
  const std::string body = R"({"code":99991672,"msg":"Access denied","error":{"log_id":"body-log-id"}})";
  const json::Value parsed = json::parse(body);
  SECTION("X-Tt-Logid, in any case")
  {
    HttpResponse r{400, {{"x-request-id", "req-id"}, {"x-tt-logid", "tt-log-id"}}, body};
    CHECK(find_log_id(r, &parsed) == "tt-log-id");
  }
  SECTION("X-Request-Id when there is no X-Tt-Logid")
  {
    HttpResponse r{400, {{"X-Request-Id", "req-id"}}, body};
    CHECK(find_log_id(r, &parsed) == "req-id");
  }
  SECTION("error.log_id when there is no header")
  {
    HttpResponse r{400, {}, body};
    CHECK(find_log_id(r, &parsed) == "body-log-id");
    CHECK(decode_envelope(r).log_id == "body-log-id");
  }
  SECTION("empty when there is none")
  {
    HttpResponse r{400, {}, R"({"code":1})"};
    CHECK(decode_envelope(r).log_id.empty());
  }
}

TEST_CASE("decode_envelope picks out code and msg, and survives a body that is not JSON", "[feishu][envelope]")
{
  const Envelope e = decode_envelope({400, {}, R"({"code":41001,"msg":"mobile already exists","data":{}})"});
  CHECK(e.http_status == 400);
  CHECK(e.has_code);
  CHECK(e.code == 41001);
  CHECK(e.msg == "mobile already exists");

  const Envelope html = decode_envelope({502, {}, "<html>Bad Gateway</html>"});
  CHECK_FALSE(html.has_code);
  CHECK(html.body.is_null());
  const ApiError error = make_api_error("GET /open-apis/contact/v3/users/ou_1", html, true);
  CHECK(error.http_status() == 502);
  CHECK(error.code() == 0);
  CHECK(error.details().msg == "the answer was not JSON");
  CHECK(error.retryable());
}

TEST_CASE("classify branches on the code first, then on the HTTP status", "[feishu][envelope]")
{
  const auto disposition = [](int status, std::string body) { return classify(decode_envelope({status, {}, std::move(body)})); };
  CHECK(disposition(200, R"({"code":0,"msg":"success","data":{}})") == Disposition::success);
  for (int code : {99991661, 99991663, 99991664, 99991665}) {
    CHECK(disposition(400, R"({"code":)" + std::to_string(code) + R"(,"msg":"token"})") == Disposition::token_invalid);
  }
  CHECK(disposition(429, R"({"code":99991400,"msg":"request trigger frequency limit"})") == Disposition::rate_limited);
  CHECK(disposition(400, R"({"code":99991400,"msg":"request trigger frequency limit"})") == Disposition::rate_limited);
  CHECK(disposition(429, "") == Disposition::rate_limited);
  CHECK(disposition(500, R"({"code":40003,"msg":"internal error"})") == Disposition::transient);
  CHECK(disposition(400, R"({"code":40003,"msg":"internal error"})") == Disposition::transient);
  CHECK(disposition(200, R"({"code":2200,"msg":"internal error"})") == Disposition::transient);
  CHECK(disposition(200, R"({"code":5000,"msg":"internal error"})") == Disposition::transient);
  CHECK(disposition(400, R"({"code":44025,"msg":"update lock"})") == Disposition::transient);
  CHECK(disposition(503, "Service Unavailable") == Disposition::transient);
  CHECK(disposition(504, R"({"code":41027,"msg":"create failed"})") == Disposition::transient);
  CHECK(disposition(400, R"({"code":41001,"msg":"mobile already exists"})") == Disposition::permanent);
  CHECK(disposition(403, R"({"code":40004,"msg":"no dept authority"})") == Disposition::permanent);
  CHECK(disposition(200, R"({"code":20005,"msg":"invalid user_access_token"})") == Disposition::permanent);
  CHECK(disposition(200, "not json") == Disposition::permanent);
  CHECK(disposition(404, R"({"code":0})") == Disposition::permanent);
}

TEST_CASE("find_rate_limit_reset reads x-ogw-ratelimit-reset in seconds", "[feishu][envelope]")
{
  using std::chrono::milliseconds;
  CHECK(find_rate_limit_reset({429, {{"X-Ogw-Ratelimit-Reset", "3"}}, ""}) == milliseconds(3000));
  CHECK(find_rate_limit_reset({429, {{"x-ogw-ratelimit-reset", "0.25"}}, ""}) == milliseconds(250));
  CHECK(find_rate_limit_reset({429, {{"x-ogw-ratelimit-reset", "0"}}, ""}) == milliseconds(0));
  CHECK_FALSE(find_rate_limit_reset({429, {{"x-ogw-ratelimit-reset", "soon"}}, ""}));
  CHECK_FALSE(find_rate_limit_reset({429, {{"x-ogw-ratelimit-reset", "-1"}}, ""}));
  CHECK_FALSE(find_rate_limit_reset({429, {{"x-ogw-ratelimit-reset", "1e300"}}, ""}));
  CHECK_FALSE(find_rate_limit_reset({429, {}, ""}));
}
