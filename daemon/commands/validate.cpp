// `dirsync validate FILE [--json]`: reads and checks an HR export exactly as the daemon would, prints
// its report, and changes nothing (no database, no Feishu, the file stays where it is).
//
// The HR settings come from the configuration file, loaded and validated as for the daemon (a bad
// configuration is exit 78). When no --config was given and the default file does not exist (a
// workstation, say), the built-in settings of DESIGN.md §5 are used, with a warning.
//
// The database is not opened, so the checks that need it are skipped and the report says so: the
// shrink gate (no last accepted export to compare with), departments (no mirror), and, in delta
// mode, leaders who are not in the file.
#include "config/config.hpp"
#include "config/loader.hpp"
#include "daemon/commands.hpp"
#include "daemon/exit_code.hpp"
#include "hr/intake.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <memory>
#include <ostream>

namespace dirsync::daemon {

namespace {

struct ValidateOptions
{
  std::filesystem::path file;
  bool json = false;
};

config::Config load_for_validate(const Invocation& inv)
{
  std::error_code ec;
  if (!inv.config_path_given && !std::filesystem::exists(inv.config_path, ec)) {
    spdlog::warn("no configuration at {}: using the built-in HR settings (DESIGN.md §5); pass "
                 "--config to use yours",
                 inv.config_path.string());
    return config::Config{};
  }
  return config::load_config(inv.config_path);
}

ExitCode run_validate(const ValidateOptions& options, const Invocation& inv, std::ostream& out)
{
  const config::Config cfg = load_for_validate(inv);
  hr::IntakeContext context;
  context.history_available = false;
  auto result = hr::read_export_file(options.file, cfg.hr, cfg.sync.safety, context);
  if (options.json) {
    out << hr::to_json(result.report).dump_pretty() << '\n';
  } else {
    out << hr::to_text(result.report);
  }
  return result.report.accepted ? ExitCode::success : ExitCode::failure;
}

} // namespace

void add_validate_command(CLI::App& app, Invocation& inv, std::ostream& out)
{
  auto options = std::make_shared<ValidateOptions>();
  auto* cmd = app.add_subcommand(
    "validate", "Read and check an HR export and print its report; changes nothing. Exit 0 when the "
                "file would be accepted, 1 when it would be rejected");
  cmd->add_option("FILE", options->file, "The HR export (.csv, .json, .jsonl)")->required();
  cmd->add_flag("--json", options->json, "Print the report as JSON (as NAME.report.json)");
  cmd->callback([&inv, &out, options] {
    inv.action = [&inv, &out, options] { return run_validate(*options, inv, out); };
  });
}

} // namespace dirsync::daemon
