// Running the dirsync command line in-process, as the CLI tests do.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace dirsync::testing {

struct CliResult
{
  int code = 0;
  std::string out; // what the command printed as its result
  std::string err; // its error messages
};

// Runs `dirsync ARGS...` through daemon::run_cli with string streams (no process, no shell).
CliResult run_dirsync(const std::vector<std::string>& args);

// Sets (or, with nullopt, unsets) an environment variable for the life of the guard, then puts
// back what was there.
class EnvGuard
{
public:
  EnvGuard(const char* name, const std::optional<std::string>& value);
  ~EnvGuard();
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;

private:
  void set(const std::optional<std::string>& value);

  const char* m_name;
  std::optional<std::string> m_old;
};

} // namespace dirsync::testing
