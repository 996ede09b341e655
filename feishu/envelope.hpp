// Decoding of Feishu's answers (feishu-contact-api.md §7): the `{code, msg, data}` envelope, the
// log id that support asks for, and what the client should do with an answer.
//
// Feishu reports most failures twice, as an HTTP status and as a business `code`; the code is the
// one to branch on (the same code comes with different statuses on different endpoints). The
// exceptions are answers with no usable JSON body (a gateway's HTML 502), which only have a status.
#pragma once

#include "common/json.hpp"
#include "feishu/transport.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dirsync::feishu {

// Business codes with a meaning for the client.
inline constexpr std::int64_t k_code_rate_limited = 99991400;
inline constexpr std::int64_t k_code_need_token = 99991661;
inline constexpr std::int64_t k_code_invalid_tenant_token = 99991663;
inline constexpr std::int64_t k_code_invalid_app_token = 99991664;
inline constexpr std::int64_t k_code_invalid_tenant_code = 99991665;
inline constexpr std::int64_t k_code_page_token_invalid = 40012;

struct Envelope
{
  int http_status = 0;
  bool has_code = false;    // false: the body was not a JSON object with an integer `code`
  std::int64_t code = 0;
  std::string msg;
  json::Value body;         // the whole parsed body (null when it was not JSON)
  std::string log_id;
};

// The log id of an answer: the X-Tt-Logid header, else X-Request-Id, else the body's
// error.log_id; empty when none is present. `body` may be null.
std::string find_log_id(const HttpResponse& response, const json::Value* body);

// Parses an answer's body and picks out code, msg and log id. Never throws: a body that is not
// JSON leaves has_code false and body null.
Envelope decode_envelope(const HttpResponse& response);

// What an answer means for the request that got it.
enum class Disposition {
  success,        // 2xx and code 0
  token_invalid,  // 99991661/99991663/99991664/99991665: fetch a new tenant token, retry once
  rate_limited,   // HTTP 429 or code 99991400: wait x-ogw-ratelimit-reset, retry
  transient,      // 5xx, or an internal-error code (2200, 5000, 40003, 44025): back off, retry
  permanent,      // any other failure: retrying cannot help
};

Disposition classify(const Envelope& envelope);

// The wait that x-ogw-ratelimit-reset asks for (seconds, possibly fractional), rounded up to a
// millisecond; nullopt when the header is absent or not a non-negative number.
std::optional<std::chrono::milliseconds> find_rate_limit_reset(const HttpResponse& response);

// An ApiError for a failed answer: endpoint ("GET /open-apis/..."), HTTP status, code, msg (or a
// description of the body when it had no msg) and log id.
ApiError make_api_error(std::string_view endpoint, const Envelope& envelope, bool retryable,
                        std::string_view note = {});

} // namespace dirsync::feishu
