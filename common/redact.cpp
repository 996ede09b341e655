#include "common/redact.hpp"

#include <regex>

namespace dirsync {

std::string redact(std::string_view secret)
{
  if (secret.empty()) {
    return {};
  }
  return "***";
}

std::string redact_text(std::string_view text)
{
  // Built once; std::regex is slow, but this runs only for trace output and error bodies.
  static const std::regex k_json_field(
    R"re(("(?:app_secret|tenant_access_token|app_access_token|user_access_token|access_token|refresh_token|ticket)"\s*:\s*")[^"]*")re");
  static const std::regex k_bearer(R"re((Bearer\s+)[^\s",]+)re", std::regex::icase);
  static const std::regex k_token(R"re(\b([tua]-)[A-Za-z0-9_.\-]{20,})re");

  std::string out(text);
  out = std::regex_replace(out, k_json_field, "$1***\"");
  out = std::regex_replace(out, k_bearer, "$1***");
  out = std::regex_replace(out, k_token, "$1***");
  return out;
}

} // namespace dirsync
