#include "common/version.hpp"
#include "daemon/commands.hpp"
#include "daemon/exit_code.hpp"

#include <CLI/CLI.hpp>

#include <ostream>

namespace dirsync::daemon {

void add_version_command(CLI::App& app, Invocation& inv, std::ostream& out)
{
  auto* cmd = app.add_subcommand("version", "Print the version and exit");
  cmd->callback([&inv, &out] {
    inv.action = [&out] {
      out << "dirsync " << version() << '\n';
      return ExitCode::success;
    };
  });
}

} // namespace dirsync::daemon
