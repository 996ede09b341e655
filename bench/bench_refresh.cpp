// Benchmark of a refresh (sync/refresh): a generated tenant served by feishu-emulator with injected
// latency and the platform's real rate limits, paged into a new mirror by the real client.
//
//   bench_refresh [--users N] [--departments N] [--latency-ms N] [--rate-limit-scale F] [--keep DIR]
//
// Prints wall time, requests sent (per endpoint), the request rate achieved on find_by_department
// against its limit, time spent writing SQLite, and the peak memory of the refresh (VmHWM, reset
// just before the refresh starts, so the generated seed does not count). Results go in
// docs/benchmarks.md with the machine and the commit.
#include "config/config.hpp"
#include "feishu/client.hpp"
#include "feishu/rate_limiter.hpp"
#include "storage/database.hpp"
#include "storage/mirror_store.hpp"
#include "support/emulator_process.hpp"
#include "support/scratch_dir.hpp"
#include "support/tenant_generator.hpp"
#include "sync/refresh.hpp"

#include <fmt/format.h>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <string>

namespace {

using Clock = std::chrono::steady_clock;

long status_kib(const std::string& key)
{
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(key + ":")) {
      return std::strtol(line.c_str() + key.size() + 1, nullptr, 10);
    }
  }
  return -1;
}

void reset_peak_memory()
{
  malloc_trim(0);
  std::ofstream("/proc/self/clear_refs") << "5";
}

double seconds(Clock::duration d)
{
  return std::chrono::duration<double>(d).count();
}

} // namespace

int main(int argc, char** argv)
{
  std::size_t users = 100'000;
  std::size_t departments = 2'000;
  int latency_ms = 20;
  std::string rate_limit_scale = "1";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--users") {
      users = std::stoul(value);
    } else if (flag == "--departments") {
      departments = std::stoul(value);
    } else if (flag == "--latency-ms") {
      latency_ms = std::stoi(value);
    } else if (flag == "--rate-limit-scale") {
      rate_limit_scale = value;
    } else {
      std::cerr << "usage: bench_refresh [--users N] [--departments N] [--latency-ms N] [--rate-limit-scale F]\n";
      return 2;
    }
  }
  spdlog::set_level(spdlog::level::warn);

  dirsync::testing::ScratchDir dir;
  std::unique_ptr<dirsync::testing::EmulatorProcess> emu;
  {
    dirsync::testing::TenantShape shape;
    shape.users = users;
    shape.departments = departments;
    shape.branching = 8;
    std::cerr << fmt::format("generating a tenant of {} users in {} departments and starting the emulator...\n",
                             users, departments);
    emu = std::make_unique<dirsync::testing::EmulatorProcess>(
      dirsync::testing::generate_tenant(shape),
      std::vector<std::string>{"--latency-ms", std::to_string(latency_ms), "--rate-limit-scale", rate_limit_scale},
      std::chrono::seconds(300));
  }

  dirsync::config::Config config;
  config.feishu.base_url = emu->base_url();
  config.feishu.app_id = "cli_test";
  config.feishu.app_secret = "test-secret";
  config.storage.database = dir / "mirror.db";
  dirsync::feishu::Client client(config.feishu);
  dirsync::storage::Database db(config.storage.database);

  std::mutex mutex;
  std::map<std::string, Clock::time_point> stage_start;
  dirsync::sync::RefreshOptions options;
  options.on_progress = [&](const dirsync::sync::RefreshProgress& p) {
    std::lock_guard lock(mutex);
    stage_start.emplace(p.stage, Clock::now());
  };

  reset_peak_memory();
  const long rss_before = status_kib("VmRSS");
  const auto start = Clock::now();
  const auto outcome = dirsync::sync::refresh_mirror(client, db, config, options);
  const auto wall = Clock::now() - start;
  const long peak = status_kib("VmHWM");

  const auto metrics = client.metrics();
  std::map<std::string, std::uint64_t> per_endpoint;
  for (const auto& [key, n] : metrics.requests) {
    per_endpoint[key.first] += n;
  }
  const auto users_start = stage_start.count("users") != 0U ? stage_start["users"] : start;
  const auto users_end = stage_start.count("leavers") != 0U  ? stage_start["leavers"]
                         : stage_start.count("job titles") != 0U ? stage_start["job titles"]
                                                                  : start + wall;
  const double users_seconds = seconds(users_end - users_start);
  const double find_rate = static_cast<double>(per_endpoint["user_find_by_department"]) / users_seconds;
  const dirsync::feishu::RateLimits limits(config.feishu.rate_limits);
  const auto& find_windows = limits.windows("user_find_by_department");
  const std::string find_limit = dirsync::feishu::describe(find_windows);
  // The shortest time the windows allow for that many requests (each window sliding: request i
  // may go no earlier than `per` after request i - `requests`), against the time the stage took.
  const std::uint64_t sent = per_endpoint["user_find_by_department"];
  std::vector<double> at(sent, 0.0);
  for (std::size_t i = 0; i < at.size(); ++i) {
    at[i] = i == 0 ? 0.0 : at[i - 1];
    for (const auto& w : find_windows) {
      const auto n = static_cast<std::size_t>(w.requests);
      if (i >= n) {
        at[i] = std::max(at[i], at[i - n] + static_cast<double>(w.per.count()));
      }
    }
  }
  const double ideal_seconds = at.empty() ? 0.0 : at.back();
  std::cout << fmt::format("result            {}\n", dirsync::storage::to_string(outcome.run.result));
  std::cout << fmt::format("tenant            {} users in {} departments; emulator --latency-ms {} --rate-limit-scale {}\n",
                           outcome.run.users_seen, outcome.run.departments_seen, latency_ms, rate_limit_scale);
  std::cout << fmt::format("wall time         {:.1f} s (paging {:.1f} s, writing SQLite {:.1f} s)\n", seconds(wall),
                           static_cast<double>(outcome.paging_time.count()) / 1000.0,
                           static_cast<double>(outcome.writing_time.count()) / 1000.0);
  std::cout << fmt::format("requests          {} ({} rate-limit waits)\n", outcome.run.api_requests,
                           outcome.run.rate_limit_waits);
  for (const auto& [endpoint, n] : per_endpoint) {
    std::cout << fmt::format("  {:<26}{}\n", endpoint, n);
  }
  std::cout << fmt::format("find_by_department {} requests in {:.1f} s ({:.1f}/s); the limit ({}) allows them in "
                           "{:.1f} s at best: {:.0f}% of the limit\n",
                           sent, users_seconds, find_rate, find_limit, ideal_seconds,
                           users_seconds > 0 ? 100.0 * ideal_seconds / users_seconds : 0.0);
  std::cout << fmt::format("peak memory       {} MiB (RSS before the refresh {} MiB)\n", peak / 1024,
                           rss_before / 1024);
  if (outcome.run.result != dirsync::storage::RefreshResult::ok) {
    return 1;
  }

  // The steady state: the same tenant again, compared user by user with the mirror (no changes).
  options.on_progress = {};
  reset_peak_memory();
  const long rss_again = status_kib("VmRSS");
  const auto again_start = Clock::now();
  const auto again = dirsync::sync::refresh_mirror(client, db, config, options);
  std::cout << fmt::format("second refresh    {}: {:.1f} s (writing SQLite {:.1f} s), {} changed; peak memory {} MiB "
                           "(RSS before {} MiB)\n",
                           dirsync::storage::to_string(again.run.result), seconds(Clock::now() - again_start),
                           static_cast<double>(again.writing_time.count()) / 1000.0, again.run.users_changed,
                           status_kib("VmHWM") / 1024, rss_again / 1024);
  std::cout << fmt::format("database          {} MiB\n", std::filesystem::file_size(config.storage.database) / (1024 * 1024));
  return again.run.result == dirsync::storage::RefreshResult::ok ? 0 : 1;
}
