// The cycle the daemon runs, over the objects it keeps for its whole life: the read-write
// database, the inbox, and the Feishu client (rebuilt when a reload changes the feishu: section,
// its counters carried over so /metrics stays monotonic).
//
// A cycle is sync::run_cycle (resume, refresh, intake, plan, gate, apply): the HR file it is for
// is moved with its reports to archive/ or rejected/ (hr::Inbox::file_away) as soon as it has been
// read and recorded, before anything is planned. The loop's stop flag stops an apply between
// operations (the plan stays applying and the next cycle resumes it); refresh and apply progress
// feed the watchdog.
#pragma once

#include "config/config.hpp"
#include "daemon/service_loop.hpp"
#include "feishu/client.hpp"

#include <memory>
#include <mutex>

namespace dirsync::hr {
class Inbox;
}
namespace dirsync::storage {
class Database;
}

namespace dirsync::daemon {

class DaemonCycle
{
public:
  DaemonCycle(storage::Database& db, hr::Inbox& inbox, const config::FeishuConfig& feishu);

  // Runs one cycle (the loop's Cycle). Throws what the cycle's steps throw.
  CycleSummary run(const CycleRequest& request);

  // The Feishu client's counters since start-up (thread-safe, for /metrics).
  feishu::ClientMetrics api_metrics() const;

private:
  feishu::Client& client_for(const config::FeishuConfig& feishu);

  storage::Database& m_db;
  hr::Inbox& m_inbox;
  mutable std::mutex m_client_mutex; // guards m_client, m_client_config and m_retired_metrics
  std::unique_ptr<feishu::Client> m_client;
  config::FeishuConfig m_client_config;
  feishu::ClientMetrics m_retired_metrics; // counters of clients replaced by a reload
};

} // namespace dirsync::daemon
