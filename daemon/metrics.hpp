// Metrics in the Prometheus text exposition format (version 0.0.4), for the status server's
// /metrics.
//
// A MetricFamily is one metric name with its HELP and TYPE and its samples; to_prometheus_text()
// writes families in order, escaping HELP text and label values as the format requires. Values are
// written as integers when they are whole, so counters read naturally.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace dirsync::daemon {

struct MetricSample
{
  std::vector<std::pair<std::string, std::string>> labels; // name → value, in this order
  double value = 0;
};

struct MetricFamily
{
  std::string name; // e.g. "dirsync_cycles_total"; [a-zA-Z_:][a-zA-Z0-9_:]*
  std::string help;
  std::string type; // "counter" or "gauge"
  std::vector<MetricSample> samples;

  MetricFamily& add(double value, std::vector<std::pair<std::string, std::string>> labels = {});
};

// The exposition text of `families`. Throws Error for an invalid metric or label name (a bug).
std::string to_prometheus_text(const std::vector<MetricFamily>& families);

// The Content-Type of that text.
inline constexpr const char* k_prometheus_content_type = "text/plain; version=0.0.4; charset=utf-8";

} // namespace dirsync::daemon
