#include "daemon/metrics.hpp"

#include "common/error.hpp"

#include <catch2/catch.hpp>

using namespace dirsync;
using namespace dirsync::daemon;

TEST_CASE("to_prometheus_text writes HELP, TYPE and samples with labels", "[daemon]")
{
  std::vector<MetricFamily> families;
  families.push_back(MetricFamily{"dirsync_cycles_total", "Sync cycles, by result.", "counter", {}}
                       .add(3, {{"result", "ok"}})
                       .add(1, {{"result", "failed"}}));
  families.push_back(MetricFamily{"dirsync_seconds_since_last_successful_cycle", "Seconds.", "gauge", {}}.add(1.5));
  CHECK(to_prometheus_text(families) ==
        "# HELP dirsync_cycles_total Sync cycles, by result.\n"
        "# TYPE dirsync_cycles_total counter\n"
        "dirsync_cycles_total{result=\"ok\"} 3\n"
        "dirsync_cycles_total{result=\"failed\"} 1\n"
        "# HELP dirsync_seconds_since_last_successful_cycle Seconds.\n"
        "# TYPE dirsync_seconds_since_last_successful_cycle gauge\n"
        "dirsync_seconds_since_last_successful_cycle 1.5\n");
}

TEST_CASE("to_prometheus_text escapes label values and HELP text", "[daemon]")
{
  std::vector<MetricFamily> families;
  families.push_back(MetricFamily{"m", "a \\ b\nc", "gauge", {}}.add(1, {{"l", "say \"hi\"\\\n"}}));
  CHECK(to_prometheus_text(families) ==
        "# HELP m a \\\\ b\\nc\n"
        "# TYPE m gauge\n"
        "m{l=\"say \\\"hi\\\"\\\\\\n\"} 1\n");
}

TEST_CASE("to_prometheus_text refuses invalid metric and label names", "[daemon]")
{
  std::vector<MetricFamily> bad_metric{MetricFamily{"1abc", "x", "gauge", {}}};
  CHECK_THROWS_AS(to_prometheus_text(bad_metric), Error);
  std::vector<MetricFamily> bad_label{MetricFamily{"ok", "x", "gauge", {}}.add(1, {{"bad-label", "v"}})};
  CHECK_THROWS_AS(to_prometheus_text(bad_label), Error);
  std::vector<MetricFamily> reserved{MetricFamily{"ok", "x", "gauge", {}}.add(1, {{"__name", "v"}})};
  CHECK_THROWS_AS(to_prometheus_text(reserved), Error);
}
