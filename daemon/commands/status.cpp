// `dirsync status [--json]`: what the installation is doing, for a person at a terminal (or, with
// --json, for scripts; the same document as the daemon's /status). Reads the database read-only and
// never changes anything.
#include "config/loader.hpp"
#include "daemon/commands.hpp"
#include "daemon/exit_code.hpp"
#include "daemon/status_report.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <memory>
#include <ostream>

namespace dirsync::daemon {

void add_status_command(CLI::App& app, Invocation& inv, std::ostream& out)
{
  auto json_output = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("status", "Show whether the daemon runs, the last runs and plans, held plans, "
                                           "failed operations, the inbox and the mirror's counts");
  cmd->add_flag("--json", *json_output, "Print the status as JSON (the same as the daemon's /status)");
  cmd->callback([&inv, &out, json_output] {
    inv.action = [&inv, &out, json_output] {
      // Status never talks to Feishu: an admin's shell need not have the daemon's app secret.
      const config::Config config = config::load_config(inv.config_path, config::SecretUse::optional);
      const json::Value status = build_status(config);
      if (*json_output) {
        out << status.dump_pretty() << '\n';
      } else {
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
        out << status_text(status, now);
      }
      return ExitCode::success;
    };
  });
}

} // namespace dirsync::daemon
