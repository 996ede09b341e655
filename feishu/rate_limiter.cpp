#include "feishu/rate_limiter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace dirsync::feishu {

namespace {

using std::chrono::seconds;

config::RateWindow per_second(int n)
{
  return {n, seconds(1)};
}

config::RateWindow per_minute(int n)
{
  return {n, seconds(60)};
}

std::string window_problem(const config::RateWindow& w)
{
  if (w.requests < 1) {
    return fmt::format("a window must allow at least 1 request (got {})", w.requests);
  }
  if (w.per.count() <= 0) {
    return fmt::format("a window must last at least 1s (got {}s)", w.per.count());
  }
  return {};
}

} // namespace

RateLimiter::RateLimiter(const std::vector<config::RateWindow>& windows)
  : m_config(windows)
{
  for (const auto& w : windows) {
    if (auto problem = window_problem(w); !problem.empty()) {
      throw ConfigError(problem);
    }
    const auto per = std::chrono::duration_cast<std::chrono::nanoseconds>(w.per);
    m_windows.push_back({w.requests, per + margin(per), {}});
  }
}

std::chrono::nanoseconds RateLimiter::wait_needed(SteadyTime now) const
{
  std::chrono::nanoseconds wait = std::max(std::chrono::nanoseconds{0}, m_paused_until - now);
  for (const auto& w : m_windows) {
    if (static_cast<int>(w.sent.size()) < w.requests) {
      continue;
    }
    // The request N back must leave the window (t - per - margin, t] before another may go.
    const SteadyTime free_at = w.sent[w.sent.size() - static_cast<std::size_t>(w.requests)] + w.held;
    wait = std::max(wait, free_at - now);
  }
  return wait;
}

std::chrono::nanoseconds RateLimiter::margin(std::chrono::nanoseconds per)
{
  return std::min<std::chrono::nanoseconds>(per / 10, std::chrono::milliseconds(250));
}

void RateLimiter::record(SteadyTime now)
{
  for (auto& w : m_windows) {
    w.sent.push_back(now);
    while (static_cast<int>(w.sent.size()) > w.requests) {
      w.sent.pop_front();
    }
  }
}

void RateLimiter::pause_until(SteadyTime until)
{
  m_paused_until = std::max(m_paused_until, until);
}

std::chrono::nanoseconds RateLimiter::try_acquire(SteadyTime now)
{
  auto wait = wait_needed(now);
  if (wait.count() <= 0) {
    record(now);
    return std::chrono::nanoseconds{0};
  }
  return wait;
}

const std::vector<EndpointLimit>& default_rate_limits()
{
  // The platform's published tiers (feishu-contact-api.md §7). Tier 4 is "1000/min and 50/s".
  static const std::vector<EndpointLimit> k_defaults = [] {
    const std::vector<config::RateWindow> tier4{per_second(50), per_minute(1000)};
    const std::vector<config::RateWindow> twenty_per_second{per_second(20)};
    const std::vector<config::RateWindow> ten_per_minute{per_minute(10)};
    const std::vector<config::RateWindow> unlimited;
    return std::vector<EndpointLimit>{
      {"tenant_access_token", unlimited},
      {"user_create", tier4},
      {"user_patch", tier4},
      {"user_patch_department", {per_second(1)}},
      {"user_update_user_id", twenty_per_second},
      {"user_get", tier4},
      {"user_batch", tier4},
      {"user_find_by_department", tier4},
      {"user_batch_get_id", tier4},
      {"user_delete", tier4},
      {"user_resurrect", ten_per_minute},
      {"user_search", unlimited},
      {"user_info", unlimited},
      {"logout", unlimited},
      {"jssdk_ticket", unlimited},
      {"job_title_list", ten_per_minute},
      {"job_title_get", ten_per_minute},
      {"unit_create", twenty_per_second},
      {"unit_patch", twenty_per_second},
      {"unit_bind_department", twenty_per_second},
      {"unit_unbind_department", twenty_per_second},
      {"unit_list_department", tier4},
      {"unit_get", tier4},
      {"unit_list", tier4},
      {"unit_delete", twenty_per_second},
      {"department_children", tier4},
      {"department_get", unlimited},
      {"department_create", tier4},
    };
  }();
  return k_defaults;
}

RateLimits::RateLimits(const std::map<std::string, std::vector<config::RateWindow>>& overrides)
{
  std::vector<std::string> problems;
  for (const auto& [name, windows] : overrides) {
    const auto& defaults = default_rate_limits();
    const bool known = std::any_of(defaults.begin(), defaults.end(),
                                   [&](const EndpointLimit& e) { return e.name == name; });
    if (!known) {
      std::string names;
      for (const auto& e : defaults) {
        names += names.empty() ? "" : ", ";
        names += e.name;
      }
      problems.push_back(fmt::format(
        "feishu.rate_limits.{}: unknown endpoint name; known names are: {}", name, names));
      continue;
    }
    for (const auto& w : windows) {
      if (auto problem = window_problem(w); !problem.empty()) {
        problems.push_back(fmt::format("feishu.rate_limits.{}: {}", name, problem));
      }
    }
  }
  if (!problems.empty()) {
    throw ConfigError(problems);
  }
  for (const auto& e : default_rate_limits()) {
    auto it = overrides.find(std::string(e.name));
    m_limiters.emplace(std::string(e.name), RateLimiter(it != overrides.end() ? it->second : e.windows));
  }
}

std::chrono::nanoseconds RateLimits::try_acquire(std::initializer_list<std::string_view> names,
                                                 SteadyTime now)
{
  std::lock_guard lock(m_mutex);
  std::chrono::nanoseconds wait{0};
  std::vector<RateLimiter*> limiters;
  for (auto name : names) {
    auto it = m_limiters.find(name);
    if (it == m_limiters.end()) {
      continue;
    }
    limiters.push_back(&it->second);
    wait = std::max(wait, it->second.wait_needed(now));
  }
  if (wait.count() > 0) {
    return wait;
  }
  for (auto* limiter : limiters) {
    limiter->record(now);
  }
  return std::chrono::nanoseconds{0};
}

void RateLimits::pause(std::string_view name, SteadyTime until)
{
  std::lock_guard lock(m_mutex);
  if (auto it = m_limiters.find(name); it != m_limiters.end()) {
    it->second.pause_until(until);
  }
}

const std::vector<config::RateWindow>& RateLimits::windows(std::string_view name) const
{
  auto it = m_limiters.find(name);
  if (it == m_limiters.end()) {
    throw std::out_of_range(fmt::format("no rate limit named \"{}\"", name));
  }
  return it->second.windows();
}

void validate_rate_limits(const std::map<std::string, std::vector<config::RateWindow>>& overrides)
{
  RateLimits check(overrides);
}

std::string describe(const std::vector<config::RateWindow>& windows)
{
  if (windows.empty()) {
    return "unlimited";
  }
  std::string out;
  for (const auto& w : windows) {
    if (!out.empty()) {
      out += " + ";
    }
    if (w.per == seconds(1)) {
      out += fmt::format("{}/s", w.requests);
    } else if (w.per == seconds(60)) {
      out += fmt::format("{}/min", w.requests);
    } else {
      out += fmt::format("{}/{}s", w.requests, w.per.count());
    }
  }
  return out;
}

} // namespace dirsync::feishu
