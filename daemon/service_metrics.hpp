// The daemon's /metrics: what the service loop counted, what the Feishu client counted, and what
// the database holds (journal, plans, HR files, mirror), as Prometheus metric families named
// dirsync_*.
#pragma once

#include "daemon/metrics.hpp"

#include <chrono>
#include <vector>

namespace dirsync::feishu {
struct ClientMetrics;
}
namespace dirsync::storage {
struct StatusSnapshot;
}

namespace dirsync::daemon {

struct ServiceStats;

// `database` may be null (the database could not be read for this scrape: its families are left
// out and dirsync_database_readable is 0). `now` is on the loop's steady clock.
std::vector<MetricFamily> collect_service_metrics(const ServiceStats& stats, const feishu::ClientMetrics& api,
                                                  const storage::StatusSnapshot* database,
                                                  std::chrono::steady_clock::time_point now);

} // namespace dirsync::daemon
