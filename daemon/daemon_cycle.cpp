#include "daemon/daemon_cycle.hpp"

#include "hr/inbox.hpp"
#include "storage/database.hpp"
#include "storage/hr_store.hpp"
#include "sync/intake.hpp"

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
  client_for(request.config.feishu);
  CycleSummary summary;
  if (!request.hr_file) {
    summary.text = "no new HR file";
    return summary;
  }
  const std::filesystem::path& file = *request.hr_file;
  const sync::IntakeOutcome outcome = sync::intake_file(m_db, request.config, file);
  const hr::Report& report = outcome.result.report;
  const hr::Inbox::Filed filed = m_inbox.file_away(file, report);
  storage::HrStore(m_db).set_moved_to(outcome.hr_file_id, filed.file);
  request.control.progress();
  if (report.accepted) {
    ++summary.hr_files_accepted;
    summary.text = fmt::format("HR file {} accepted ({} rows, {} invalid), moved to {}", report.file_name,
                               report.counts.data_rows, report.counts.invalid_rows, filed.file.string());
  } else {
    ++summary.hr_files_rejected;
    const std::string reason = report.rejection_reasons.empty() ? "see the report" : report.rejection_reasons.front();
    summary.text = fmt::format("HR file {} rejected: {}; moved to {}", report.file_name, reason, filed.file.string());
  }
  return summary;
}

} // namespace dirsync::daemon
