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
// Ctrl-C or SIGTERM stops the refresh once the requests in flight are answered; it is recorded as
// failed ("stopped") and the mirror is left as it was.
#include "config/loader.hpp"
#include "daemon/commands.hpp"
#include "daemon/exit_code.hpp"
#include "daemon/instance_lock.hpp"
#include "daemon/refresh_progress.hpp"
#include "feishu/client.hpp"
#include "storage/database.hpp"
#include "storage/mirror_store.hpp"
#include "sync/refresh.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <ostream>

namespace dirsync::daemon {

namespace {

struct RefreshCommandOptions
{
  bool accept_shrink = false;
};

// Set by SIGINT/SIGTERM while a refresh runs: it then stops cleanly and records that it stopped.
volatile std::sig_atomic_t g_stop_requested = 0;

extern "C" void request_stop(int /*signal*/)
{
  g_stop_requested = 1;
}

// Turns SIGINT and SIGTERM into a stop request for as long as it lives, then restores them.
class StopOnSignal
{
public:
  StopOnSignal()
  {
    g_stop_requested = 0;
    struct sigaction action = {};
    action.sa_handler = request_stop;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &m_old_int);
    sigaction(SIGTERM, &action, &m_old_term);
  }
  ~StopOnSignal()
  {
    sigaction(SIGINT, &m_old_int, nullptr);
    sigaction(SIGTERM, &m_old_term, nullptr);
  }
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

  bool requested() const { return g_stop_requested != 0; }

private:
  struct sigaction m_old_int = {};
  struct sigaction m_old_term = {};
};

ExitCode run_refresh(const RefreshCommandOptions& options, const Invocation& inv, std::ostream& out)
{
  const config::Config config = config::load_config(inv.config_path);
  storage::Database db(config.storage.database);
  // Not beside the daemon or an apply: the mirror an apply checks its preconditions against must
  // not move under it.
  const InstanceLock lock(lock_path_for(config.storage.database), "dirsync refresh");
  feishu::Client client(config.feishu);

  RefreshProgressDisplay progress;
  StopOnSignal stop;
  sync::RefreshOptions refresh_options;
  refresh_options.should_stop = [&stop] { return stop.requested(); };
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
