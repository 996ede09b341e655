// Registration functions of the subcommands, one per commands/*.cpp file. Each adds its CLI11
// subcommand to `app` and, when it is chosen, sets `inv.action`.
#pragma once

#include "daemon/cli.hpp"

#include <iosfwd>

namespace CLI {
class App;
}

namespace dirsync::daemon {

void add_version_command(CLI::App& app, Invocation& inv, std::ostream& out);
void add_check_config_command(CLI::App& app, Invocation& inv, std::ostream& out);
void add_validate_command(CLI::App& app, Invocation& inv, std::ostream& out);
void add_apply_command(CLI::App& app, Invocation& inv, std::ostream& out);
void add_approve_command(CLI::App& app, Invocation& inv, std::ostream& out);
void add_explain_command(CLI::App& app, Invocation& inv, std::ostream& out);
void add_plan_command(CLI::App& app, Invocation& inv, std::ostream& out);
void add_sync_command(CLI::App& app, Invocation& inv, std::ostream& out);
void add_refresh_command(CLI::App& app, Invocation& inv, std::ostream& out);
void add_status_command(CLI::App& app, Invocation& inv, std::ostream& out);
void add_daemon_command(CLI::App& app, Invocation& inv, std::ostream& out);

} // namespace dirsync::daemon
