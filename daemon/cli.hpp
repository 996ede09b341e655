// The `dirsync` command line (DESIGN.md §4): global options, subcommands, and the single place
// where exceptions become messages and exit codes.
//
// Each subcommand lives in its own commands/*.cpp and registers itself through a function declared
// in commands.hpp: it adds a CLI11 subcommand to the app and, when that subcommand is chosen,
// stores the action to run in the Invocation. run_cli() parses, sets up logging, runs the action
// and maps exceptions: ConfigError → 78, other errors → 1, usage errors → 2.
#pragma once

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <string>

namespace dirsync::daemon {

enum class ExitCode : int;

// What the command line chose, shared by the global options and the subcommands.
struct Invocation
{
  std::filesystem::path config_path = "/etc/dirsync/dirsync.yaml";
  bool config_path_given = false; // --config was on the command line
  std::string log_level;          // empty: the config's logging.level, else "info"
  std::function<ExitCode()> action;
};

// Runs the command line and returns the process exit code. `out` receives a command's results,
// `err` its error messages (main passes std::cout and std::cerr; tests pass string streams).
int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

} // namespace dirsync::daemon
