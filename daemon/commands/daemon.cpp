// `dirsync daemon`: the service systemd starts (DESIGN.md §12).
//
// Start-up, in this order: load and validate the configuration (exit 78 if invalid); block the
// signals (before any thread exists, so they are only ever read by the signal thread); take the
// instance lock beside the database (a second daemon on the same database stops here with a
// message naming the first); open and migrate the database; open the inbox; start the status
// server; then hand over to the service loop, which sends READY=1 and runs the cycles.
//
// Stopping: SIGTERM or SIGINT ask the loop to stop. A running cycle sees CycleControl::
// stop_requested(), finishes the requests in flight and records its journal; the loop then returns
// and the process exits 0. If that takes longer than k_stop_grace the process exits 1 at once: the
// journal makes that safe too, and the next start resumes.
#include "common/version.hpp"
#include "config/loader.hpp"
#include "daemon/commands.hpp"
#include "daemon/daemon_cycle.hpp"
#include "daemon/exit_code.hpp"
#include "daemon/instance_lock.hpp"
#include "daemon/logging.hpp"
#include "daemon/notifier.hpp"
#include "daemon/service_loop.hpp"
#include "daemon/service_metrics.hpp"
#include "daemon/signal_watcher.hpp"
#include "daemon/status_report.hpp"
#include "daemon/status_server.hpp"
#include "hr/inbox.hpp"
#include "storage/database.hpp"
#include "storage/plan_store.hpp"
#include "storage/status_store.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>

namespace dirsync::daemon {

namespace {

// How long a stop may take: the requests in flight finish (each bounded by feishu.timeout) and the
// journal is written. systemd's TimeoutStopSec (90 s by default) is longer.
constexpr auto k_stop_grace = std::chrono::seconds(30);

class InboxSource : public FileSource
{
public:
  explicit InboxSource(hr::Inbox& inbox)
    : m_inbox(inbox)
  {
  }
  std::optional<std::filesystem::path> next(std::chrono::milliseconds timeout) override
  {
    return m_inbox.next(timeout);
  }
  void wake() override { m_inbox.wake(); }

private:
  hr::Inbox& m_inbox;
};

// What the signal thread needs; the loop appears only once start-up is done.
struct Shutdown
{
  std::atomic<ServiceLoop*> loop{nullptr};
  std::atomic<bool> requested{false};
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;

  void on_stop(int signal)
  {
    if (requested.exchange(true)) {
      return;
    }
    spdlog::info("received {}: finishing the work in flight, then stopping", signal == SIGINT ? "SIGINT" : "SIGTERM");
    if (ServiceLoop* l = loop.load()) {
      l->request_stop();
    }
    std::unique_lock lock(mutex);
    if (!done_cv.wait_for(lock, k_stop_grace, [this] { return done; })) {
      spdlog::error("the daemon did not stop within {} s; exiting now (the next start resumes from the journal)",
                    k_stop_grace.count());
      spdlog::shutdown();
      ::_exit(to_int(ExitCode::failure));
    }
  }

  void on_reload()
  {
    if (ServiceLoop* l = loop.load()) {
      l->request_reload();
    } else {
      spdlog::warn("SIGHUP during start-up is ignored: send it again once the daemon is ready");
    }
  }

  void finished()
  {
    std::lock_guard lock(mutex);
    done = true;
    done_cv.notify_all();
  }
};

// Runs `f` when the scope ends, however it ends.
template <typename F>
class AtExit
{
public:
  explicit AtExit(F f)
    : m_f(std::move(f))
  {
  }
  ~AtExit() { m_f(); }
  AtExit(const AtExit&) = delete;
  AtExit& operator=(const AtExit&) = delete;

private:
  F m_f;
};

HttpReply answer(const std::string& path, ServiceLoop& loop, DaemonCycle& cycle)
{
  if (path == "/metrics") {
    const config::Config config = loop.config();
    std::optional<storage::StatusSnapshot> snapshot;
    try {
      storage::Database db(config.storage.database, storage::OpenMode::read_only);
      snapshot = storage::StatusStore(db).load();
    } catch (const Error& e) {
      spdlog::warn("/metrics: cannot read the database: {}", e.what());
    }
    const auto families = collect_service_metrics(loop.stats(), cycle.api_metrics(),
                                                  snapshot ? &*snapshot : nullptr, std::chrono::steady_clock::now());
    return {200, k_prometheus_content_type, to_prometheus_text(families)};
  }
  if (path == "/healthz") {
    const Health health = loop.health();
    return {health.healthy ? 200 : 503, "text/plain; charset=utf-8",
            fmt::format("{}: {}\n", health.healthy ? "ok" : "unhealthy", health.reason)};
  }
  if (path == "/status") {
    return {200, "application/json; charset=utf-8", build_status(loop.config()).dump_pretty() + "\n"};
  }
  if (path == "/") {
    return {200, "text/plain; charset=utf-8", "dirsync: /metrics (Prometheus), /healthz, /status (JSON)\n"};
  }
  return {404, "text/plain; charset=utf-8", fmt::format("{} is not served here; try /metrics, /healthz or /status\n", path)};
}

ExitCode run_daemon(const Invocation& inv)
{
  const auto level_of = [&inv](const config::Config& c) {
    return *try_parse_log_level(inv.log_level.empty() ? c.logging.level : inv.log_level);
  };
  config::Config config = config::load_config(inv.config_path);
  spdlog::set_level(level_of(config));
  spdlog::info("dirsync {} starting (pid {}), configuration {}", version(), ::getpid(), config.source.string());

  Shutdown shutdown;
  SignalWatcher signals([&shutdown](int signal) { shutdown.on_stop(signal); },
                        [&shutdown] { shutdown.on_reload(); });
  // However start-up or the loop ends, a stop that is waiting for it is released.
  const AtExit release_stop([&shutdown] { shutdown.finished(); });

  // The state folders exist under systemd (StateDirectory=); a hand-run daemon gets them made.
  for (const auto& folder : {config.storage.database.parent_path(), config.hr.inbox}) {
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec) {
      spdlog::warn("cannot create {}: {}", folder.string(), ec.message());
    }
  }
  InstanceLock lock(lock_path_for(config.storage.database));
  storage::Database db(config.storage.database);
  spdlog::info("database {} (schema version {})", config.storage.database.string(), db.schema_version());

  hr::Inbox inbox(config.hr.inbox, config.hr.archive, config.hr.rejected);
  InboxSource source(inbox);
  spdlog::info("watching the inbox {} ({} exports)", config.hr.inbox.string(),
               config.hr.mode == config::HrMode::full ? "full" : "delta");

  DaemonCycle cycle(db, inbox, config.feishu);
  SystemdNotifier notifier;
  ServiceLoopOptions options;
  const std::chrono::microseconds watchdog = SystemdNotifier::watchdog_interval();
  options.watchdog_interval = watchdog;
  options.reload_config = [&inv, level_of] {
    config::Config fresh = config::load_config(inv.config_path);
    spdlog::set_level(level_of(fresh));
    return fresh;
  };
  const std::filesystem::path state_file = daemon_state_path_for(config.storage.database);
  ServiceLoop* loop_for_state = nullptr;
  options.after_cycle = [&state_file, &loop_for_state] {
    try {
      write_daemon_state(state_file, loop_for_state->stats());
    } catch (const Error& e) {
      spdlog::warn("{} (dirsync status will not show the last cycle)", e.what());
    }
  };
  // A plan released with `dirsync approve` is applied within seconds, not at the next interval.
  options.work_waiting = [&db] { return storage::PlanStore(db).find_approved_unstarted().has_value(); };
  ServiceLoop loop(config, [&cycle](const CycleRequest& request) { return cycle.run(request); }, source, notifier,
                   std::move(options));
  loop_for_state = &loop;

  std::optional<StatusServer> server;
  if (!config.server.listen.empty()) {
    server.emplace(config.server.listen,
                   [&loop, &cycle](const std::string& path) { return answer(path, loop, cycle); });
    spdlog::info("status server on {} (/metrics, /healthz, /status)", server->url());
  }
  if (watchdog.count() > 0) {
    spdlog::info("feeding the systemd watchdog every {} ms", watchdog.count() / 2000);
  }

  shutdown.loop.store(&loop);
  const AtExit forget_loop([&shutdown] { shutdown.loop.store(nullptr); });
  if (shutdown.requested.load()) {
    loop.request_stop();
  }
  loop.run();
  server.reset();
  spdlog::info("stopped");
  return ExitCode::success;
}

} // namespace

void add_daemon_command(CLI::App& app, Invocation& inv, std::ostream& /*out*/)
{
  auto* cmd = app.add_subcommand("daemon", "Run as a service (what systemd starts): sync on the refresh interval "
                                           "and whenever an HR file arrives; serve /metrics, /healthz, /status");
  cmd->callback([&inv] { inv.action = [&inv] { return run_daemon(inv); }; });
}

} // namespace dirsync::daemon
