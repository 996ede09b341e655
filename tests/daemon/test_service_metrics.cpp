#include "daemon/service_metrics.hpp"

#include "daemon/service_loop.hpp"
#include "feishu/client.hpp"
#include "storage/status_store.hpp"

#include <catch2/catch.hpp>

using namespace dirsync;
using namespace dirsync::daemon;
using namespace std::chrono_literals;

TEST_CASE("collect_service_metrics reports the loop, the API client and the database", "[daemon]")
{
  ServiceStats stats;
  stats.cycles_ok = 7;
  stats.cycles_failed = 2;
  stats.hr_files_accepted = 3;
  stats.hr_files_rejected = 1;
  const auto now = std::chrono::steady_clock::time_point{} + 1000s;
  stats.last_success = now - 42s;
  stats.last_success_at = 1700000000;

  feishu::ClientMetrics api;
  api.requests[{"user_create", "0"}] = 5;
  api.requests[{"user_create", "99991400"}] = 1;
  api.rate_limit_waits["user_create"] = 1;

  storage::StatusSnapshot db;
  db.operations[{"create", "done"}] = 5;
  db.operations[{"delete", "failed"}] = 1;
  db.held_plans.resize(2);
  db.mirror.users["active"] = 17;

  const std::string text = to_prometheus_text(collect_service_metrics(stats, api, &db, now));
  CHECK_THAT(text, Catch::Contains("dirsync_cycles_total{result=\"ok\"} 7\n"));
  CHECK_THAT(text, Catch::Contains("dirsync_cycles_total{result=\"failed\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("dirsync_seconds_since_last_successful_cycle 42\n"));
  CHECK_THAT(text, Catch::Contains("dirsync_hr_files_processed_total{result=\"rejected\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("dirsync_api_requests_total{endpoint=\"user_create\",code=\"99991400\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("dirsync_api_rate_limit_waits_total{endpoint=\"user_create\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("dirsync_operations{kind=\"delete\",state=\"failed\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("dirsync_held_plans 2\n"));
  CHECK_THAT(text, Catch::Contains("dirsync_mirror_users{state=\"active\"} 17\n"));
  CHECK_THAT(text, Catch::Contains("dirsync_database_readable 1\n"));
}

TEST_CASE("collect_service_metrics leaves out the database families when it could not be read", "[daemon]")
{
  const std::string text =
    to_prometheus_text(collect_service_metrics(ServiceStats{}, feishu::ClientMetrics{}, nullptr, std::chrono::steady_clock::now()));
  CHECK_THAT(text, Catch::Contains("dirsync_database_readable 0\n"));
  CHECK_THAT(text, !Catch::Contains("dirsync_held_plans"));
  CHECK_THAT(text, Catch::Contains("dirsync_cycles_total{result=\"ok\"} 0\n"));
}
