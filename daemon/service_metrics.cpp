#include "daemon/service_metrics.hpp"

#include "daemon/service_loop.hpp"
#include "feishu/client.hpp"
#include "storage/status_store.hpp"

namespace dirsync::daemon {

std::vector<MetricFamily> collect_service_metrics(const ServiceStats& stats, const feishu::ClientMetrics& api,
                                                  const storage::StatusSnapshot* database,
                                                  std::chrono::steady_clock::time_point now)
{
  std::vector<MetricFamily> out;
  const auto d = [](auto n) { return static_cast<double>(n); };

  out.push_back(MetricFamily{"dirsync_cycles_total", "Sync cycles run by this process, by result.", "counter", {}}
                  .add(d(stats.cycles_ok), {{"result", "ok"}})
                  .add(d(stats.cycles_failed), {{"result", "failed"}}));
  out.push_back(MetricFamily{"dirsync_cycle_consecutive_failures", "Cycles that failed in a row (0 after a good one).",
                             "gauge", {}}
                  .add(d(stats.consecutive_failures)));
  out.push_back(MetricFamily{"dirsync_cycle_running", "1 while a cycle runs.", "gauge", {}}
                  .add(stats.cycle_running ? 1 : 0));
  MetricFamily since{"dirsync_seconds_since_last_successful_cycle",
                     "Seconds since the last successful cycle ended (since start-up when none has).",
                     "gauge", {}};
  const auto last = stats.last_success;
  if (last) {
    since.add(std::chrono::duration<double>(now - *last).count());
  } else {
    since.add(d(std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                                .count()
                                              - stats.started_at)));
  }
  out.push_back(std::move(since));
  out.push_back(MetricFamily{"dirsync_last_successful_cycle_timestamp_seconds",
                             "Unix time the last successful cycle ended (0: none yet).", "gauge", {}}
                  .add(d(stats.last_success_at.value_or(0))));
  out.push_back(MetricFamily{"dirsync_hr_files_processed_total", "HR files this process read, by result.", "counter", {}}
                  .add(d(stats.hr_files_accepted), {{"result", "accepted"}})
                  .add(d(stats.hr_files_rejected), {{"result", "rejected"}}));
  out.push_back(MetricFamily{"dirsync_config_reloads_total", "Configuration reloads (SIGHUP), by result.", "counter", {}}
                  .add(d(stats.reloads_ok), {{"result", "ok"}})
                  .add(d(stats.reloads_failed), {{"result", "refused"}}));

  MetricFamily requests{"dirsync_api_requests_total",
                        "Feishu API answers by endpoint and result (the Feishu code, http_STATUS, timeout or connection).",
                        "counter", {}};
  for (const auto& [key, n] : api.requests) {
    requests.add(d(n), {{"endpoint", key.first}, {"code", key.second}});
  }
  out.push_back(std::move(requests));
  MetricFamily waits{"dirsync_api_rate_limit_waits_total", "Waits for a rate limit (ours or a 429), by endpoint.",
                     "counter", {}};
  for (const auto& [endpoint, n] : api.rate_limit_waits) {
    waits.add(d(n), {{"endpoint", endpoint}});
  }
  out.push_back(std::move(waits));
  MetricFamily wait_seconds{"dirsync_api_rate_limit_wait_seconds_total", "Seconds spent waiting for rate limits, by endpoint.",
                            "counter", {}};
  for (const auto& [endpoint, seconds] : api.rate_limit_wait_seconds) {
    wait_seconds.add(seconds, {{"endpoint", endpoint}});
  }
  out.push_back(std::move(wait_seconds));
  MetricFamily retries{"dirsync_api_retries_total", "Requests sent again after a failure a retry can help, by endpoint.",
                       "counter", {}};
  for (const auto& [endpoint, n] : api.retries) {
    retries.add(d(n), {{"endpoint", endpoint}});
  }
  out.push_back(std::move(retries));
  out.push_back(MetricFamily{"dirsync_api_token_fetches_total", "tenant_access_token fetches.", "counter", {}}
                  .add(d(api.token_fetches)));

  out.push_back(MetricFamily{"dirsync_database_readable", "1 when this scrape could read the database.", "gauge", {}}
                  .add(database != nullptr ? 1 : 0));
  if (database == nullptr) {
    return out;
  }
  const storage::StatusSnapshot& s = *database;
  MetricFamily operations{"dirsync_operations", "Operations in the journal, by kind and state.", "gauge", {}};
  for (const auto& [key, n] : s.operations) {
    operations.add(d(n), {{"kind", key.first}, {"state", key.second}});
  }
  out.push_back(std::move(operations));
  MetricFamily plans{"dirsync_plans", "Plans in the database, by status.", "gauge", {}};
  for (const char* status : {"draft", "held", "approved", "applying", "done", "failed", "superseded"}) {
    const auto it = s.plans_by_status.find(status);
    plans.add(d(it == s.plans_by_status.end() ? 0 : it->second), {{"status", status}});
  }
  out.push_back(std::move(plans));
  out.push_back(MetricFamily{"dirsync_held_plans", "Plans held by a safety rule, waiting for `dirsync approve`.",
                             "gauge", {}}
                  .add(d(s.held_plans.size())));
  MetricFamily files{"dirsync_hr_files", "HR files recorded in the database, by status.", "gauge", {}};
  for (const char* status : {"accepted", "rejected"}) {
    const auto it = s.hr_files_by_status.find(status);
    files.add(d(it == s.hr_files_by_status.end() ? 0 : it->second), {{"status", status}});
  }
  out.push_back(std::move(files));
  MetricFamily users{"dirsync_mirror_users", "Users in the mirror, by mirror state.", "gauge", {}};
  for (const char* state : {"active", "resigned", "out_of_scope"}) {
    const auto it = s.mirror.users.find(state);
    users.add(d(it == s.mirror.users.end() ? 0 : it->second), {{"state", state}});
  }
  out.push_back(std::move(users));
  MetricFamily departments{"dirsync_mirror_departments", "Departments in the mirror (the root excluded), by mirror state.",
                           "gauge", {}};
  for (const char* state : {"active", "deleted", "out_of_scope"}) {
    const auto it = s.mirror.departments.find(state);
    departments.add(d(it == s.mirror.departments.end() ? 0 : it->second), {{"state", state}});
  }
  out.push_back(std::move(departments));
  out.push_back(MetricFamily{"dirsync_mirror_job_titles", "Job titles in the mirror.", "gauge", {}}.add(d(s.mirror.job_titles)));
  out.push_back(MetricFamily{"dirsync_mirror_units", "Units in the mirror.", "gauge", {}}.add(d(s.mirror.units)));
  out.push_back(MetricFamily{"dirsync_links", "Current links between HR employee numbers and Feishu users.", "gauge", {}}
                  .add(d(s.mirror.links)));
  out.push_back(MetricFamily{"dirsync_last_ok_refresh_timestamp_seconds",
                             "Unix time the last trusted refresh of the mirror ended (0: none yet).", "gauge", {}}
                  .add(d(s.last_ok_refresh_at.value_or(0))));
  return out;
}

} // namespace dirsync::daemon
