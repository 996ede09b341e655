// `dirsync refresh [--accept-shrink]`: pages the tenant into the mirror once (sync/refresh.hpp) and
// prints what it saw.
//
// Exit codes, for scripts (`dirsync refresh && dirsync plan FILE`):
//   0  ok: the mirror was written and may be planned against;
//   3  untrusted: the mirror gate refused the refresh (it lost too many users, or paging failed
//      part-way); the mirror was left as it was and plans refuse it until a refresh is ok. Like a
//      held plan, it waits for a person: check why, then run again (with --accept-shrink if the
//      shrink is real);
//   1  failed: the tenant could not be read, or the database failed.
// Progress: on a terminal, one line on stderr that updates in place; otherwise a log line every 10 s.
#include "config/loader.hpp"
#include "daemon/commands.hpp"
#include "daemon/exit_code.hpp"
#include "feishu/client.hpp"
#include "storage/database.hpp"
#include "storage/mirror_store.hpp"
#include "sync/refresh.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <ostream>
#include <unistd.h>

namespace dirsync::daemon {

namespace {

struct RefreshCommandOptions
{
  bool accept_shrink = false;
};

std::string describe(const sync::RefreshProgress& p)
{
  if (p.stage == "users") {
    return fmt::format("refresh: users: {} departments of {} paged, {} users", p.departments_paged,
                       p.departments + 1, p.users);
  }
  if (p.stage == "departments") {
    return fmt::format("refresh: departments: {} listed", p.departments);
  }
  return fmt::format("refresh: {} ({} departments, {} users)", p.stage, p.departments, p.users);
}

// Shows progress: a line redrawn at most 5 times a second on a terminal, a log line every 10 s
// otherwise. Called by the refresh with its own lock held, so never concurrently.
class ProgressDisplay
{
public:
  ProgressDisplay()
    : m_tty(isatty(STDERR_FILENO) == 1),
      m_last(std::chrono::steady_clock::now())
  {
  }
  ~ProgressDisplay() { clear(); }
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  void show(const sync::RefreshProgress& p)
  {
    const auto now = std::chrono::steady_clock::now();
    const bool new_stage = p.stage != m_stage;
    m_stage = p.stage;
    if (m_tty) {
      if (new_stage || !m_drawn || now - m_last >= std::chrono::milliseconds(200)) {
        m_last = now;
        const std::string line = describe(p);
        std::fprintf(stderr, "\r%s\033[K", line.c_str());
        std::fflush(stderr);
        m_drawn = true;
      }
    } else if (now - m_last >= std::chrono::seconds(10)) {
      m_last = now;
      spdlog::info("{}", describe(p));
    }
  }

  void clear()
  {
    if (m_drawn) {
      std::fprintf(stderr, "\r\033[K");
      std::fflush(stderr);
      m_drawn = false;
    }
  }

private:
  bool m_tty;
  bool m_drawn = false;
  std::string m_stage;
  std::chrono::steady_clock::time_point m_last;
};

ExitCode run_refresh(const RefreshCommandOptions& options, const Invocation& inv, std::ostream& out)
{
  const config::Config config = config::load_config(inv.config_path);
  storage::Database db(config.storage.database);
  feishu::Client client(config.feishu);

  ProgressDisplay progress;
  sync::RefreshOptions refresh_options;
  refresh_options.accept_shrink = options.accept_shrink;
  refresh_options.on_progress = [&progress](const sync::RefreshProgress& p) { progress.show(p); };
  const auto outcome = sync::refresh_mirror(client, db, config, refresh_options);
  progress.clear();

  const auto& run = outcome.run;
  const double seconds = static_cast<double>((outcome.paging_time + outcome.writing_time).count()) / 1000.0;
  switch (run.result) {
  case storage::RefreshResult::ok:
    out << fmt::format("refresh {}: ok\n", run.id);
    out << fmt::format("  departments  {}\n", run.departments_seen);
    out << fmt::format("  users        {} listed: {} added, {} changed, {} resigned, {} out of scope\n", run.users_seen,
                       run.users_added, run.users_changed, run.users_resigned, run.users_out_of_scope);
    out << fmt::format("  job titles   {}, units {}\n", run.job_titles_seen, run.units_seen);
    out << fmt::format("  requests     {} ({} rate-limit waits)\n", run.api_requests, run.rate_limit_waits);
    out << fmt::format("  time         {:.1f} s (writing the mirror {:.1f} s)\n", seconds,
                       static_cast<double>(outcome.writing_time.count()) / 1000.0);
    return ExitCode::success;
  case storage::RefreshResult::untrusted:
    out << fmt::format("refresh {}: NOT TRUSTED, the mirror was left as it was: {}\n", run.id, run.trust_reason);
    out << fmt::format("  seen: {} departments, {} users; {} requests, {:.1f} s\n", run.departments_seen,
                       run.users_seen, run.api_requests, seconds);
    out << "  plans refuse the mirror until a refresh is ok\n";
    return ExitCode::held;
  case storage::RefreshResult::failed:
  case storage::RefreshResult::running:
    break;
  }
  out << fmt::format("refresh {}: FAILED, the mirror was left as it was: {}\n", run.id, run.error);
  return ExitCode::failure;
}

} // namespace

void add_refresh_command(CLI::App& app, Invocation& inv, std::ostream& out)
{
  auto options = std::make_shared<RefreshCommandOptions>();
  auto* cmd = app.add_subcommand(
    "refresh", "Page the tenant into the mirror once. Exit 0 when the mirror was written, 3 when the mirror "
               "gate refused the refresh (the mirror is unchanged), 1 when it failed");
  cmd->add_flag("--accept-shrink", options->accept_shrink,
                "Write the mirror even if it lost more than sync.safety.max_mirror_shrink_percent of its users "
                "(after you have checked that they really left or were really taken out of the app's scope)");
  cmd->callback([&inv, &out, options] {
    inv.action = [&inv, &out, options] { return run_refresh(*options, inv, out); };
  });
}

} // namespace dirsync::daemon
