#include "daemon/metrics.hpp"

#include "common/error.hpp"

#include <fmt/format.h>

#include <cmath>

namespace dirsync::daemon {

namespace {

bool is_valid_name(const std::string& name, bool allow_colon)
{
  if (name.empty()) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) {
      return false;
    }
  }
  return true;
}

// HELP escapes backslash and newline; label values also escape the double quote.
std::string escape(const std::string& text, bool quote)
{
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_value(double value)
{
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return fmt::format("{}", static_cast<long long>(value));
  }
  return fmt::format("{}", value);
}

} // namespace

MetricFamily& MetricFamily::add(double value, std::vector<std::pair<std::string, std::string>> labels)
{
  samples.push_back({std::move(labels), value});
  return *this;
}

std::string to_prometheus_text(const std::vector<MetricFamily>& families)
{
  std::string out;
  for (const MetricFamily& family : families) {
    if (!is_valid_name(family.name, true)) {
      throw Error(fmt::format("invalid metric name \"{}\"", family.name));
    }
    out += fmt::format("# HELP {} {}\n", family.name, escape(family.help, false));
    out += fmt::format("# TYPE {} {}\n", family.name, family.type);
    for (const MetricSample& sample : family.samples) {
      out += family.name;
      if (!sample.labels.empty()) {
        out += '{';
        bool first = true;
        for (const auto& [name, value] : sample.labels) {
          if (!is_valid_name(name, false) || name.starts_with("__")) {
            throw Error(fmt::format("invalid label name \"{}\" on metric {}", name, family.name));
          }
          if (!first) {
            out += ',';
          }
          first = false;
          out += fmt::format("{}=\"{}\"", name, escape(value, true));
        }
        out += '}';
      }
      out += ' ';
      out += format_value(sample.value);
      out += '\n';
    }
  }
  return out;
}

} // namespace dirsync::daemon
