#include "daemon/service_loop.hpp"

#include "common/error.hpp"
#include "config/values.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace dirsync::daemon {

namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

// Settings a running daemon cannot change: they name files it holds open or a socket it listens on.
void keep_restart_only_settings(const config::Config& old_config, config::Config& new_config)
{
  const auto keep = [](auto& new_value, const auto& old_value, std::string_view key) {
    if (new_value != old_value) {
      spdlog::warn("configuration reload: {} changed; it takes effect at the next restart "
                   "(systemctl restart dirsync)",
                   key);
      new_value = old_value;
    }
  };
  keep(new_config.storage.database, old_config.storage.database, "storage.database");
  keep(new_config.hr.inbox, old_config.hr.inbox, "hr.inbox");
  keep(new_config.hr.archive, old_config.hr.archive, "hr.archive");
  keep(new_config.hr.rejected, old_config.hr.rejected, "hr.rejected");
  keep(new_config.server.listen, old_config.server.listen, "server.listen");
}

} // namespace

class ServiceLoop::Control : public CycleControl
{
public:
  explicit Control(ServiceLoop& loop)
    : m_loop(loop)
  {
  }
  bool stop_requested() const override { return m_loop.stop_requested(); }
  const std::atomic<bool>& stop_flag() const override { return m_loop.m_stop; }
  void progress() override { m_loop.feed_watchdog(false); }

private:
  ServiceLoop& m_loop;
};

ServiceLoop::ServiceLoop(config::Config config, Cycle cycle, FileSource& files, Notifier& notifier,
                         ServiceLoopOptions options)
  : m_config(std::move(config)),
    m_cycle(std::move(cycle)),
    m_files(files),
    m_notifier(notifier),
    m_options(std::move(options)),
    m_random(m_options.random_seed)
{
  if (!m_options.unix_time) {
    m_options.unix_time = [] {
      return static_cast<std::int64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
    };
  }
  m_stats.started_at = now_unix();
  m_stats.refresh_interval = m_config.sync.refresh_interval;
}

void ServiceLoop::run()
{
  const SteadyTime start = m_options.clock();
  m_next_cycle = start;
  m_last_watchdog = start;
  m_notifier.notify("READY=1\nSTATUS=Starting the first cycle");
  feed_watchdog(true);

  while (!m_stop.load()) {
    if (m_reload.exchange(false)) {
      reload();
    }
    feed_watchdog(false);
    const SteadyTime now = m_options.clock();
    if (now >= m_next_cycle) {
      // A due cycle takes the oldest file waiting (see the header).
      std::optional<std::filesystem::path> file = take_waiting_file();
      const bool ok = run_cycle(file);
      std::error_code ec;
      if (file && !ok && std::filesystem::exists(*file, ec)) {
        // Still in the inbox (the cycle failed before filing it away): tried again first.
        m_waiting.push_front(std::move(*file));
      } else if (ok && !m_waiting.empty()) {
        m_next_cycle = m_options.clock();
      }
      continue;
    }
    milliseconds wait = duration_cast<milliseconds>(m_next_cycle - now) + milliseconds(1);
    if (m_options.watchdog_interval.count() > 0) {
      // Wake up when the next ping is due (feed_watchdog just ran, so that is in the future).
      SteadyTime last_ping;
      {
        std::lock_guard lock(m_watchdog_mutex);
        last_ping = m_last_watchdog;
      }
      const auto until_ping = last_ping + m_options.watchdog_interval / 2 - now;
      wait = std::min(wait, std::max(milliseconds(1), duration_cast<milliseconds>(until_ping)));
    }
    if (m_options.work_waiting) {
      wait = std::min(wait, m_options.work_poll_interval);
    }
    std::optional<std::filesystem::path> file = m_files.next(wait);
    if (m_stop.load()) {
      // The file (if any) stays in the inbox; the next start picks it up.
      break;
    }
    if (!file && m_options.work_waiting && stats().consecutive_failures == 0 && work_waiting()) {
      m_next_cycle = m_options.clock();
    }
    if (file) {
      // At once, unless the loop is backing off after a failure: then it waits its turn.
      m_waiting.push_back(std::move(*file));
      if (stats().consecutive_failures == 0) {
        m_next_cycle = m_options.clock();
      }
    }
  }
  spdlog::info("stopping");
  m_notifier.notify("STOPPING=1\nSTATUS=Stopping");
}

void ServiceLoop::request_stop()
{
  m_stop.store(true);
  m_files.wake();
}

void ServiceLoop::request_reload()
{
  m_reload.store(true);
  m_files.wake();
}

std::optional<std::filesystem::path> ServiceLoop::take_waiting_file()
{
  while (!m_waiting.empty()) {
    std::filesystem::path file = std::move(m_waiting.front());
    m_waiting.pop_front();
    std::error_code ec;
    if (std::filesystem::exists(file, ec)) {
      return file;
    }
    spdlog::info("{} is no longer in the inbox; skipped", file.string());
  }
  return m_files.next(milliseconds(0));
}

bool ServiceLoop::work_waiting()
{
  try {
    return m_options.work_waiting();
  } catch (const std::exception& e) {
    spdlog::warn("cannot tell whether an approved plan waits: {}", e.what());
    return false;
  }
}

bool ServiceLoop::run_cycle(std::optional<std::filesystem::path> file)
{
  const config::Config config = this->config();
  {
    std::lock_guard lock(m_mutex);
    m_stats.cycle_running = true;
  }
  Control control(*this);
  std::optional<CycleSummary> summary;
  std::string error;
  try {
    summary = m_cycle(CycleRequest{config, file, control});
  } catch (const std::exception& e) {
    error = e.what();
  }
  const bool ok = summary && !summary->failed;
  if (summary && summary->failed) {
    error = summary->text;
  }
  const SteadyTime end = m_options.clock();
  const std::int64_t end_unix = now_unix();

  std::string status;
  {
    std::lock_guard lock(m_mutex);
    m_stats.cycle_running = false;
    m_stats.last_cycle_at = end_unix;
    m_stats.last_cycle_ok = ok;
    if (summary) {
      m_stats.hr_files_accepted += static_cast<std::uint64_t>(std::max(0, summary->hr_files_accepted));
      m_stats.hr_files_rejected += static_cast<std::uint64_t>(std::max(0, summary->hr_files_rejected));
    }
    if (ok) {
      ++m_stats.cycles_ok;
      m_stats.consecutive_failures = 0;
      m_stats.last_success = end;
      m_stats.last_success_at = end_unix;
      m_stats.last_summary = summary->text;
    } else {
      ++m_stats.cycles_failed;
      ++m_stats.consecutive_failures;
      m_stats.last_error = error;
    }
  }

  if (ok) {
    const milliseconds interval = duration_cast<milliseconds>(config.sync.refresh_interval);
    m_next_cycle = end + jittered(interval, 0.05);
    spdlog::info("cycle done: {}", summary->text);
    status = fmt::format("Last cycle OK: {}", summary->text);
  } else {
    const int failures = stats().consecutive_failures;
    const milliseconds cap = duration_cast<milliseconds>(config.sync.refresh_interval);
    milliseconds backoff = m_options.first_backoff;
    for (int i = 1; i < failures && backoff < cap; ++i) {
      backoff *= 2;
    }
    backoff = std::min(backoff, cap);
    const milliseconds delay = std::min(cap, jittered(backoff, 0.2));
    m_next_cycle = end + delay;
    spdlog::error("cycle failed ({} in a row): {}; next try in {}", failures, error,
                  config::format_duration(std::chrono::duration_cast<std::chrono::seconds>(delay)));
    status = fmt::format("Last cycle FAILED ({} in a row): {}", failures, error);
  }
  m_notifier.notify("STATUS=" + status);
  if (m_options.after_cycle) {
    m_options.after_cycle();
  }
  return ok;
}

void ServiceLoop::reload()
{
  if (!m_options.reload_config) {
    return;
  }
  spdlog::info("reloading the configuration (SIGHUP)");
  m_notifier.notify("RELOADING=1");
  try {
    config::Config fresh = m_options.reload_config();
    std::lock_guard lock(m_mutex);
    keep_restart_only_settings(m_config, fresh);
    m_config = std::move(fresh);
    m_stats.refresh_interval = m_config.sync.refresh_interval;
    ++m_stats.reloads_ok;
    spdlog::info("configuration reloaded from {}", m_config.source.string());
  } catch (const std::exception& e) {
    std::lock_guard lock(m_mutex);
    ++m_stats.reloads_failed;
    spdlog::error("configuration reload refused, the previous configuration stays in use:\n{}", e.what());
  }
  m_notifier.notify("READY=1");
}

void ServiceLoop::feed_watchdog(bool force)
{
  if (m_options.watchdog_interval.count() <= 0) {
    return;
  }
  const SteadyTime now = m_options.clock();
  std::lock_guard lock(m_watchdog_mutex);
  if (force || now - m_last_watchdog >= m_options.watchdog_interval / 2) {
    m_notifier.notify("WATCHDOG=1");
    m_last_watchdog = now;
  }
}

milliseconds ServiceLoop::jittered(milliseconds base, double spread)
{
  std::uniform_real_distribution<double> factor(1.0 - spread, 1.0 + spread);
  return milliseconds(static_cast<milliseconds::rep>(static_cast<double>(base.count()) * factor(m_random)));
}

std::int64_t ServiceLoop::now_unix() const
{
  return m_options.unix_time();
}

ServiceStats ServiceLoop::stats() const
{
  std::lock_guard lock(m_mutex);
  return m_stats;
}

config::Config ServiceLoop::config() const
{
  std::lock_guard lock(m_mutex);
  return m_config;
}

Health ServiceLoop::health() const
{
  const ServiceStats s = stats();
  const SteadyTime now = m_options.clock();
  if (!s.last_success) {
    if (s.cycles_failed > 0) {
      return {false, fmt::format("no cycle has succeeded yet; the last one failed: {}", s.last_error)};
    }
    return {false, "the first cycle has not finished yet"};
  }
  if (!s.last_cycle_ok) {
    return {false, fmt::format("the last cycle failed ({} in a row): {}", s.consecutive_failures, s.last_error)};
  }
  const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - *s.last_success);
  if (age > 2 * s.refresh_interval) {
    return {false, fmt::format("the last successful cycle ended {} s ago, more than two refresh intervals ({} s)",
                               age.count(), 2 * s.refresh_interval.count())};
  }
  return {true, fmt::format("the last cycle succeeded {} s ago", age.count())};
}

} // namespace dirsync::daemon
