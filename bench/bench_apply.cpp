// Benchmark of an apply (sync/apply): a stored plan of N creates applied to feishu-emulator with
// injected latency, through the real client, journal and mirror (StoredMirror on a SQLite file).
//
//   bench_apply [--creates N] [--latency-ms N] [--create-limit N] [--rate-limit-scale F]
//               [--max-in-flight N]
//
// The client enforces `--create-limit` creates per second (the platform's published tier is 50/s);
// the emulator is started with `--rate-limit-scale` (default 4, so that its own windows, including
// the 1000/min one, stay above the client's and the client's limit is the one measured against).
// Prints wall time, the create rate achieved, its fraction of the limit, 429s and retries. Results
// go in docs/benchmarks.md with the machine and the commit.
#include "feishu/client.hpp"
#include "feishu/cpprest_transport.hpp"
#include "storage/database.hpp"
#include "storage/plan.hpp"
#include "support/emulator_process.hpp"
#include "support/journal_fixtures.hpp"
#include "support/scratch_dir.hpp"
#include "support/tenant_generator.hpp"
#include "sync/apply.hpp"
#include "sync/stored_mirror.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

namespace {

using namespace dirsync;

struct Settings
{
  int creates = 5000;
  int latency_ms = 20;
  int create_limit = 50;
  double rate_limit_scale = 4;
  int max_in_flight = 8;
};

Settings parse(int argc, char** argv)
{
  Settings s;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const char* value = argv[i + 1];
    if (key == "--creates") {
      s.creates = std::atoi(value);
    } else if (key == "--latency-ms") {
      s.latency_ms = std::atoi(value);
    } else if (key == "--create-limit") {
      s.create_limit = std::atoi(value);
    } else if (key == "--rate-limit-scale") {
      s.rate_limit_scale = std::atof(value);
    } else if (key == "--max-in-flight") {
      s.max_in_flight = std::atoi(value);
    } else {
      throw std::runtime_error("unknown option " + key);
    }
  }
  return s;
}

} // namespace

int main(int argc, char** argv)
{
  try {
    const Settings s = parse(argc, argv);
    spdlog::set_level(spdlog::level::warn);

    testing::TenantShape shape;
    shape.users = 10;
    shape.departments = 4;
    testing::EmulatorProcess emulator(
      testing::generate_tenant(shape),
      {"--latency-ms", std::to_string(s.latency_ms), "--rate-limit-scale", fmt::format("{}", s.rate_limit_scale)});
    auto state = emulator.state();
    std::vector<std::string> departments;
    for (const auto& d : state["departments"].as_array()) {
      departments.push_back(d.get_string("open_department_id"));
    }

    testing::ScratchDir dir;
    storage::Database db(dir / "mirror.db");
    storage::Plan plan;
    plan.status = storage::PlanStatus::approved;
    for (int i = 1; i <= s.creates; ++i) {
      storage::Operation op;
      op.seq = i;
      op.kind = storage::OperationKind::create;
      op.employee_no = fmt::format("B{:06d}", i);
      op.client_token = fmt::format("00000000-0000-4000-8000-{:012d}", i);
      op.reason = "benchmark";
      op.payload = json::Value::object({{"name", fmt::format("压测{}", i)},
                                        {"department_ids", json::Value::string_array({departments[i % departments.size()]})},
                                        {"employee_type", 1},
                                        {"mobile", fmt::format("+86136{:08d}", i)},
                                        {"email", fmt::format("b{:06d}@example.com", i)},
                                        {"employee_no", op.employee_no}});
      plan.operations.push_back(std::move(op));
    }
    const auto plan_id = testing::insert_plan(db, plan);

    config::FeishuConfig feishu;
    feishu.base_url = emulator.base_url();
    feishu.app_id = shape.app_id;
    feishu.app_secret = shape.app_secret;
    feishu.max_in_flight = s.max_in_flight;
    feishu.rate_limits["user_create"] = {config::RateWindow{s.create_limit, std::chrono::seconds(1)}};
    feishu::Client client(feishu, feishu::make_cpprest_transport(feishu.base_url));
    sync::StoredMirror mirror(db);
    sync::ApplyOptions options;
    options.max_in_flight = s.max_in_flight;

    const auto started = std::chrono::steady_clock::now();
    const auto summary = sync::apply_plan(db, client, mirror, plan_id, options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    const auto metrics = client.metrics();
    std::uint64_t throttled = 0;
    for (const auto& [key, n] : metrics.requests) {
      if (key.second == "99991400" || key.second == "http_429") {
        throttled += n;
      }
    }
    std::uint64_t retries = 0;
    for (const auto& [endpoint, n] : metrics.retries) {
      retries += n;
    }
    const double rate = summary.tally.done / seconds;
    std::cout << fmt::format("creates          {} ({} done, {} failed)\n", s.creates, summary.tally.done,
                             summary.tally.failed);
    std::cout << fmt::format("latency          {} ms per request (emulator)\n", s.latency_ms);
    std::cout << fmt::format("max_in_flight    {}\n", s.max_in_flight);
    std::cout << fmt::format("wall time        {:.1f} s\n", seconds);
    std::cout << fmt::format("create rate      {:.1f}/s of a limit of {}/s: {:.1f}%\n", rate, s.create_limit,
                             100.0 * rate / s.create_limit);
    std::cout << fmt::format("429 answers      {}\nretries          {}\n", throttled, retries);
    return summary.status == storage::PlanStatus::done ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "bench_apply: " << e.what() << '\n';
    return 1;
  }
}
