#include "feishu/envelope.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

namespace dirsync::feishu {

std::string find_log_id(const HttpResponse& response, const json::Value* body)
{
  for (std::string_view header : {"X-Tt-Logid", "X-Request-Id"}) {
    if (const std::string* v = response.find_header(header); v != nullptr && !v->empty()) {
      return *v;
    }
  }
  if (body != nullptr) {
    if (const json::Value* error = body->find("error"); error != nullptr && error->is_object()) {
      if (const json::Value* id = error->find("log_id"); id != nullptr && id->is_string()) {
        return id->as_string();
      }
    }
  }
  return {};
}

Envelope decode_envelope(const HttpResponse& response)
{
  Envelope e;
  e.http_status = response.status;
  try {
    e.body = json::parse(response.body);
  } catch (const json::JsonError&) {
    e.body = json::Value();
  }
  if (e.body.is_object()) {
    if (const json::Value* code = e.body.find("code"); code != nullptr && code->is_integer()) {
      e.has_code = true;
      e.code = code->as_int();
    }
    if (const json::Value* msg = e.body.find("msg"); msg != nullptr && msg->is_string()) {
      e.msg = msg->as_string();
    }
  }
  e.log_id = find_log_id(response, &e.body);
  return e;
}

Disposition classify(const Envelope& e)
{
  switch (e.code) {
  case k_code_need_token:
  case k_code_invalid_tenant_token:
  case k_code_invalid_app_token:
  case k_code_invalid_tenant_code:
    return Disposition::token_invalid;
  case k_code_rate_limited:
    return Disposition::rate_limited;
  case 2200:   // "internal error" under load: lower the rate and retry
  case 5000:   // the same
  case 40003:  // internal error
  case 44025:  // update lock held: retry later
    return Disposition::transient;
  default:
    break;
  }
  if (e.http_status == 429) {
    return Disposition::rate_limited;
  }
  if (e.http_status >= 500) {
    return Disposition::transient;
  }
  if (e.http_status >= 200 && e.http_status < 300 && e.has_code && e.code == 0) {
    return Disposition::success;
  }
  return Disposition::permanent;
}

std::optional<std::chrono::milliseconds> find_rate_limit_reset(const HttpResponse& response)
{
  const std::string* v = response.find_header("x-ogw-ratelimit-reset");
  if (v == nullptr || v->empty()) {
    return std::nullopt;
  }
  char* end = nullptr;
  const double seconds = std::strtod(v->c_str(), &end);
  // Refuse what could overflow too: nobody asks for a wait of more than a day.
  if (end == v->c_str() || *end != '\0' || !std::isfinite(seconds) || seconds < 0 || seconds > 86400) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(seconds * 1000.0)));
}

ApiError make_api_error(std::string_view endpoint, const Envelope& e, bool retryable,
                        std::string_view note)
{
  ApiError::Details d;
  d.endpoint = std::string(endpoint);
  d.http_status = e.http_status;
  d.code = e.has_code ? e.code : 0;
  d.msg = e.msg;
  if (d.msg.empty()) {
    d.msg = e.body.is_null() ? std::string("the answer was not JSON")
                             : std::string("the answer had no msg");
  }
  if (!note.empty()) {
    d.msg += fmt::format(" ({})", note);
  }
  d.log_id = e.log_id;
  d.retryable = retryable;
  return ApiError(std::move(d));
}

} // namespace dirsync::feishu
