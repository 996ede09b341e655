// The process exit codes of `dirsync` (DESIGN.md §4). Only daemon/ knows about them.
#pragma once

namespace dirsync::daemon {

enum class ExitCode : int {
  success = 0,
  failure = 1,     // the command failed; the message says why
  usage = 2,       // the command line is wrong
  held = 3,        // a plan was held by a safety rule; `dirsync approve PLAN_ID` releases it
  bad_config = 78, // EX_CONFIG: the configuration cannot be used; systemd does not restart on it
};

inline int to_int(ExitCode code)
{
  return static_cast<int>(code);
}

} // namespace dirsync::daemon
