#include "daemon/daemon_cycle.hpp"

#include "hr/inbox.hpp"
#include "storage/database.hpp"
#include "storage/hr_store.hpp"
#include "sync/cycle.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace dirsync::daemon {

namespace {

bool same_client_settings(const config::FeishuConfig& a, const config::FeishuConfig& b)
{
  if (a.base_url != b.base_url || a.app_id != b.app_id || a.app_secret != b.app_secret || a.timeout != b.timeout
      || a.max_in_flight != b.max_in_flight || a.max_attempts != b.max_attempts
      || a.rate_limits.size() != b.rate_limits.size()) {
    return false;
  }
  for (const auto& [endpoint, windows] : a.rate_limits) {
    const auto it = b.rate_limits.find(endpoint);
    if (it == b.rate_limits.end() || it->second.size() != windows.size()) {
      return false;
    }
    for (std::size_t i = 0; i < windows.size(); ++i) {
      if (windows[i].requests != it->second[i].requests || windows[i].per != it->second[i].per) {
        return false;
      }
    }
  }
  return true;
}

void add_into(feishu::ClientMetrics& total, const feishu::ClientMetrics& more)
{
  for (const auto& [key, n] : more.requests) {
    total.requests[key] += n;
  }
  for (const auto& [key, n] : more.rate_limit_waits) {
    total.rate_limit_waits[key] += n;
  }
  for (const auto& [key, seconds] : more.rate_limit_wait_seconds) {
    total.rate_limit_wait_seconds[key] += seconds;
  }
  for (const auto& [key, n] : more.retries) {
    total.retries[key] += n;
  }
  total.token_fetches += more.token_fetches;
}

} // namespace

DaemonCycle::DaemonCycle(storage::Database& db, hr::Inbox& inbox, const config::FeishuConfig& feishu)
  : m_db(db),
    m_inbox(inbox),
    m_client(std::make_unique<feishu::Client>(feishu)),
    m_client_config(feishu)
{
}

feishu::Client& DaemonCycle::client_for(const config::FeishuConfig& feishu)
{
  std::lock_guard lock(m_client_mutex);
  if (!same_client_settings(feishu, m_client_config)) {
    spdlog::info("the feishu settings changed: using a new API client for {}", feishu.base_url);
    auto fresh = std::make_unique<feishu::Client>(feishu);
    add_into(m_retired_metrics, m_client->metrics());
    m_client = std::move(fresh);
    m_client_config = feishu;
  }
  return *m_client;
}

feishu::ClientMetrics DaemonCycle::api_metrics() const
{
  std::lock_guard lock(m_client_mutex);
  feishu::ClientMetrics total = m_retired_metrics;
  add_into(total, m_client->metrics());
  return total;
}

CycleSummary DaemonCycle::run(const CycleRequest& request)
{
  feishu::Client& client = client_for(request.config.feishu);
  CycleSummary summary;
  std::string filed_to;
  sync::CycleOptions options;
  options.file = request.hr_file;
  options.stop = &request.control.stop_flag();
  options.on_intake = [&](const sync::IntakeOutcome& outcome) {
    // Filed before anything is planned, so HR sees the report even if planning fails.
    const hr::Inbox::Filed filed = m_inbox.file_away(*request.hr_file, outcome.result.report);
    storage::HrStore(m_db).set_moved_to(outcome.hr_file_id, filed.file);
    filed_to = filed.file.string();
    (outcome.result.report.accepted ? summary.hr_files_accepted : summary.hr_files_rejected) += 1;
    request.control.progress();
  };
  options.on_refresh_progress = [&](const sync::RefreshProgress&) { request.control.progress(); };
  options.on_progress = [&](const sync::ApplyProgress&) { request.control.progress(); };

  const sync::CycleSummary cycle = sync::run_cycle(m_db, client, request.config, options);
  summary.text = cycle.outcome;
  if (!filed_to.empty()) {
    summary.text += fmt::format(" ({} moved to {})", request.hr_file->filename().string(), filed_to);
  }
  // A rejected file is the cycle doing its job; an untrusted refresh or a failed plan is not. An
  // apply stopped because the daemon is stopping is neither: the next start resumes it.
  const bool stopped = (cycle.resumed && cycle.resumed->stopped) || (cycle.apply && cycle.apply->stopped);
  summary.failed = !cycle.ok && !(cycle.hr_file_rejected && cycle.refresh_trusted) && !stopped;
  return summary;
}

} // namespace dirsync::daemon
