#include "common/error.hpp"

#include <fmt/format.h>

namespace dirsync {

namespace {

std::string join_lines(const std::vector<std::string>& lines)
{
  std::string out;
  for (const auto& line : lines) {
    if (!out.empty()) {
      out += '\n';
    }
    out += line;
  }
  return out;
}

std::string describe(const ApiError::Details& d)
{
  std::string out = d.endpoint.empty() ? std::string("Feishu API") : d.endpoint;
  out += ": ";
  out += d.msg.empty() ? std::string("request failed") : d.msg;
  if (d.code != 0) {
    out += fmt::format(" (code {})", d.code);
  }
  if (d.http_status != 0) {
    out += fmt::format(" [HTTP {}]", d.http_status);
  }
  if (!d.log_id.empty()) {
    out += fmt::format(" log_id={}", d.log_id);
  }
  return out;
}

} // namespace

ConfigError::ConfigError(std::vector<std::string> problems)
  : Error(join_lines(problems)),
    m_problems(std::move(problems))
{
}

ConfigError::ConfigError(const std::string& problem)
  : ConfigError(std::vector<std::string>{problem})
{
}

ApiError::ApiError(Details details)
  : Error(describe(details)),
    m_details(std::move(details))
{
}

} // namespace dirsync
