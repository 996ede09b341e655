#include "daemon/cli.hpp"

#include "common/error.hpp"
#include "common/version.hpp"
#include "daemon/commands.hpp"
#include "daemon/exit_code.hpp"
#include "daemon/logging.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <ostream>

namespace dirsync::daemon {

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err)
{
  Invocation inv;
  // DIRSYNC_CONFIG replaces the default configuration path; --config still wins over it.
  if (const char* env_config = std::getenv("DIRSYNC_CONFIG"); env_config != nullptr && *env_config != '\0') {
    inv.config_path = env_config;
  }
  CLI::App app("Keeps a Feishu (Lark) tenant's directory in step with the HR system.", "dirsync");
  app.require_subcommand(1);
  app.fallthrough(); // global options may also follow the command: `dirsync check-config --config X`
  app.set_version_flag("--version", std::string("dirsync ") + std::string(version()));
  app.add_option("-c,--config", inv.config_path,
                 "Configuration file (default: $DIRSYNC_CONFIG, else /etc/dirsync/dirsync.yaml)")
    ->capture_default_str()
    ->each([&inv](const std::string&) { inv.config_path_given = true; });
  app.add_option("--log-level", inv.log_level, "trace, debug, info, warn, error or off")
    ->check([](const std::string& level) {
      return try_parse_log_level(level) ? std::string() : "unknown log level \"" + level + "\"";
    });

  add_check_config_command(app, inv, out);
  add_version_command(app, inv, out);
  add_validate_command(app, inv, out);
  add_apply_command(app, inv, out);
  add_approve_command(app, inv, out);
  add_explain_command(app, inv, out);
  add_plan_command(app, inv, out);
  add_sync_command(app, inv, out);
  add_refresh_command(app, inv, out);
  add_status_command(app, inv, out);
  add_daemon_command(app, inv, out);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    out << app.help();
    return to_int(ExitCode::success);
  } catch (const CLI::CallForAllHelp& e) {
    out << app.help("", CLI::AppFormatMode::All);
    return to_int(ExitCode::success);
  } catch (const CLI::CallForVersion& e) {
    out << e.what() << '\n';
    return to_int(ExitCode::success);
  } catch (const CLI::ParseError& e) {
    // CLI11 reports an unknown command as "a subcommand is required"; name it instead.
    const auto remaining = app.remaining();
    if (app.get_subcommands().empty() && !remaining.empty()) {
      err << "dirsync: unknown command \"" << remaining.front() << "\"";
    } else {
      err << "dirsync: " << e.what();
    }
    err << "\nRun 'dirsync --help' for usage.\n";
    return to_int(ExitCode::usage);
  }

  setup_logging(*try_parse_log_level(inv.log_level.empty() ? "info" : inv.log_level));

  try {
    return to_int(inv.action());
  } catch (const ConfigError& e) {
    err << e.what() << '\n';
    return to_int(ExitCode::bad_config);
  } catch (const Error& e) {
    err << "dirsync: " << e.what() << '\n';
    return to_int(ExitCode::failure);
  } catch (const std::exception& e) {
    err << "dirsync: unexpected error: " << e.what() << '\n';
    return to_int(ExitCode::failure);
  }
}

} // namespace dirsync::daemon
