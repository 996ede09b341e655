// One place that hides secrets before anything is logged or shown.
#pragma once

#include <string>
#include <string_view>

namespace dirsync {

// Returns a form of `secret` safe to log: "" for an empty secret, otherwise "***" followed by
// nothing that could help guess it beyond its length class. Use it for app secrets, tokens and
// Authorization header values.
std::string redact(std::string_view secret);

// Returns `text` with every occurrence of known secret shapes replaced: bearer tokens
// ("Bearer t-..."), tenant/user/app tokens ("t-...", "u-...", "a-..." of 20+ chars) and the values
// of JSON fields named app_secret, tenant_access_token, app_access_token, user_access_token,
// access_token, refresh_token and ticket. Use it on request and response text before tracing it.
std::string redact_text(std::string_view text);

} // namespace dirsync
