// `dirsync check-config`: loads and validates the configuration and prints a short summary of it,
// or (through run_cli's handling of ConfigError) every problem and exit code 78.
#include "config/loader.hpp"
#include "daemon/commands.hpp"
#include "daemon/exit_code.hpp"
#include "config/values.hpp"
#include "feishu/rate_limiter.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <ostream>

namespace dirsync::daemon {

namespace {

std::string_view name_of(config::HrMode mode)
{
  return mode == config::HrMode::full ? "full exports" : "delta exports";
}

std::string_view name_of(config::ApplyMode mode)
{
  return mode == config::ApplyMode::automatic ? "auto" : "manual";
}

std::string_view name_of(config::LeaverAction action)
{
  return action == config::LeaverAction::delete_user ? "delete" : "freeze";
}

// The summary never shows the secret, only where it came from.
void print_summary(std::ostream& out, const std::filesystem::path& path, const config::Config& c)
{
  out << path.string() << ": OK\n";
  out << fmt::format("  app:       {} at {}\n", c.feishu.app_id, c.feishu.base_url);
  out << fmt::format("  secret:    from {}\n", c.feishu.app_secret_source);
  out << fmt::format("  database:  {}\n", c.storage.database.string());
  out << fmt::format("  inbox:     {} ({})\n", c.hr.inbox.string(), name_of(c.hr.mode));
  out << fmt::format("  sync:      every {}, apply {}, leavers {}, at most {} deletes per plan\n",
                     config::format_duration(c.sync.refresh_interval), name_of(c.sync.apply_mode),
                     name_of(c.sync.leaver.action), c.sync.safety.max_deletes);
  out << fmt::format("  status:    {}\n", c.server.listen.empty() ? "disabled" : "http://" + c.server.listen);
}

} // namespace

void add_check_config_command(CLI::App& app, Invocation& inv, std::ostream& out)
{
  auto* cmd = app.add_subcommand(
    "check-config", "Validate the configuration; exit 0, or 78 with every problem listed");
  cmd->callback([&inv, &out] {
    inv.action = [&inv, &out] {
      const config::Config config = config::load_config(inv.config_path);
      // Which endpoint names exist is the Feishu client's to say, not the loader's.
      try {
        feishu::validate_rate_limits(config.feishu.rate_limits);
      } catch (const ConfigError& e) {
        std::vector<std::string> problems;
        for (const auto& problem : e.problems()) {
          problems.push_back(inv.config_path.string() + ": " + problem);
        }
        throw ConfigError(problems);
      }
      print_summary(out, inv.config_path, config);
      return ExitCode::success;
    };
  });
}

} // namespace dirsync::daemon
