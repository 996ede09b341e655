#include "support/cli.hpp"

#include "daemon/cli.hpp"

#include <cstdlib>
#include <sstream>

namespace dirsync::testing {

CliResult run_dirsync(const std::vector<std::string>& args)
{
  std::vector<const char*> argv{"dirsync"};
  for (const auto& a : args) {
    argv.push_back(a.c_str());
  }
  std::ostringstream out;
  std::ostringstream err;
  const int code = daemon::run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

EnvGuard::EnvGuard(const char* name, const std::optional<std::string>& value)
  : m_name(name)
{
  if (const char* old = std::getenv(name)) {
    m_old = old;
  }
  set(value);
}

EnvGuard::~EnvGuard()
{
  set(m_old);
}

void EnvGuard::set(const std::optional<std::string>& value)
{
  if (value) {
    ::setenv(m_name, value->c_str(), 1);
  } else {
    ::unsetenv(m_name);
  }
}

} // namespace dirsync::testing
