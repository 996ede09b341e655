// `dirsync validate FILE [--json]`: reads and checks an HR export exactly as the daemon would, prints
// its report, and changes nothing (nothing is recorded, Feishu is not contacted, the file stays where
// it is).
//
// When the configured database exists it is opened read-only and consulted like the daemon does:
// the last accepted export for the shrink gate, the mirror's departments, and (delta mode) the
// employee numbers the mirror knows. Without one, those checks are skipped and the report says so.
#include "config/loader.hpp"
#include "daemon/commands.hpp"
#include "daemon/exit_code.hpp"
#include "hr/intake.hpp"
#include "storage/database.hpp"
#include "storage/hr_store.hpp"
#include "sync/intake.hpp"

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

ExitCode run_validate(const ValidateOptions& options, const Invocation& inv, std::ostream& out)
{
  const config::Config cfg = config::load_config(inv.config_path, config::SecretUse::optional);

  hr::IntakeResult result;
  std::error_code ec;
  if (std::filesystem::exists(cfg.storage.database, ec)) {
    storage::Database db(cfg.storage.database, storage::OpenMode::read_only);
    storage::HrStore store(db);
    result = hr::read_export_file(options.file, cfg.hr, cfg.sync.safety, sync::intake_context(store));
  } else {
    spdlog::info("{} does not exist yet: the checks that need it are skipped",
                 cfg.storage.database.string());
    hr::IntakeContext context;
    context.history_available = false;
    result = hr::read_export_file(options.file, cfg.hr, cfg.sync.safety, context);
  }

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
