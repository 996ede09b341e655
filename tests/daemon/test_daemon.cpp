// Integration tests of `dirsync daemon`: the real binary as a child process, against the emulator,
// with a configuration in a scratch directory.
#include "support/daemon_process.hpp"
#include "support/emulator_process.hpp"
#include "support/http_get.hpp"
#include "support/scratch_dir.hpp"

#include "common/json.hpp"
#include "storage/database.hpp"
#include "storage/sqlite_access.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <regex>
#include <set>
#include <sstream>

using namespace dirsync;
using namespace dirsync::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const fs::path k_tenant = fs::path(DIRSYNC_SOURCE_DIR) / "examples" / "tenant.json";

constexpr const char* k_good_csv =
  "工号,姓名,邮箱,手机,部门,职务,直属上级工号,员工类型,入职日期,状态\n"
  "E0001,王建国,wangjianguo@example.com,13800000001,总经办,总经理,,正式,2015-03-01,在职\n"
  "E0002,李明,liming@example.com,13800000002,技术部,技术总监,E0001,正式,2016-05-10,在职\n"
  "E0003,张伟,zhangwei@example.com,13800000003,技术部/后端组,高级工程师,E0002,正式,2018-07-01,在职\n";

// Two rows with one employee number: the whole file is rejected.
constexpr const char* k_bad_csv =
  "工号,姓名,邮箱,手机,部门,职务,直属上级工号,员工类型,入职日期,状态\n"
  "E0001,王建国,wangjianguo@example.com,13800000001,总经办,总经理,,正式,2015-03-01,在职\n"
  "E0001,李明,liming@example.com,13800000002,技术部,技术总监,,正式,2016-05-10,在职\n";

std::string config_yaml(const std::string& base_url, const ScratchDir& dir, int port, const std::string& interval,
                        const std::string& extra_sync = "", int max_in_flight = 8)
{
  return fmt::format(R"(feishu:
  base_url: {}
  app_id: cli_demo
  max_in_flight: {}
storage:
  database: {}
sync:
  refresh_interval: {}
{}hr:
  inbox: {}
  archive: {}
  rejected: {}
server:
  listen: 127.0.0.1:{}
logging:
  level: debug
)",
                     base_url, max_in_flight, (dir / "state/mirror.db").string(), interval, extra_sync,
                     (dir / "state/inbox").string(),
                     (dir / "state/archive").string(), (dir / "state/rejected").string(), port);
}

// A daemon against a fresh emulator, with its own folders and a free status port.
struct Installation
{
  explicit Installation(std::vector<std::string> emulator_args = {})
    : emulator(k_tenant, std::move(emulator_args))
  {
    write_config("30s");
  }
  ScratchDir dir;
  EmulatorProcess emulator;
  int port = find_free_loopback_port();
  fs::path config = dir / "dirsync.yaml";
  fs::path inbox = dir / "state/inbox";
  fs::path archive = dir / "state/archive";
  fs::path rejected = dir / "state/rejected";

  void write_config(const std::string& interval, const std::string& extra_sync = "", int max_in_flight = 8) const
  {
    dir.write("dirsync.yaml", config_yaml(emulator.base_url(), dir, port, interval, extra_sync, max_in_flight));
  }
  std::unique_ptr<DaemonProcess> start(std::map<std::string, std::string> env = {},
                                       const std::string& log_name = "daemon.log") const
  {
    env.emplace("DIRSYNC_APP_SECRET", "demo-secret");
    return std::make_unique<DaemonProcess>(config, env, dir / log_name);
  }
  // Ready: the status server answers.
  bool serving() const
  {
    return eventually([&] {
      try {
        return http_get(port, "/healthz", 2s).status != 0;
      } catch (const std::exception&) {
        return false;
      }
    });
  }
  // Delivers a file the safe way: written under a temporary name, then renamed into the inbox.
  void drop(const std::string& name, const std::string& content) const
  {
    const fs::path temporary = dir.write("upload/" + name + ".part", content);
    fs::rename(temporary, inbox / name);
  }
};

// Checks the Prometheus text exposition format line by line; returns the first bad line.
std::optional<std::string> first_invalid_exposition_line(const std::string& text)
{
  static const std::regex help(R"(^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$)");
  static const std::regex type(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
  static const std::regex sample(
    R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$)");
  std::istringstream in(text);
  std::string line;
  std::set<std::string> typed;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, type)) {
      if (!typed.insert(m[1]).second) {
        return "TYPE twice: " + line;
      }
    } else if (std::regex_match(line, help)) {
      continue;
    } else if (std::regex_match(line, m, sample)) {
      if (typed.count(m[1]) == 0) {
        return "sample before its TYPE: " + line;
      }
    } else {
      return line;
    }
  }
  return std::nullopt;
}

} // namespace

TEST_CASE("dirsync daemon archives an HR file dropped into the inbox with its reports, and rejects a bad one",
          "[daemon][integration]")
{
  Installation inst;
  auto daemon = inst.start();
  REQUIRE(inst.serving());

  inst.drop("employees-2026-11-21.csv", k_good_csv);
  // The reports are written first and the file moved last (hr/inbox.cpp): wait for the file.
  CHECK(eventually([&] { return fs::exists(inst.archive / "employees-2026-11-21.csv"); }));
  CHECK(fs::exists(inst.archive / "employees-2026-11-21.csv.report.txt"));
  CHECK(fs::exists(inst.archive / "employees-2026-11-21.csv.report.json"));
  CHECK_FALSE(fs::exists(inst.inbox / "employees-2026-11-21.csv"));
  const json::Value report = json::parse(read_file(inst.archive / "employees-2026-11-21.csv.report.json"));
  CHECK(report.get_bool("accepted"));

  inst.drop("broken.csv", k_bad_csv);
  CHECK(eventually([&] { return fs::exists(inst.rejected / "broken.csv"); }));
  CHECK(fs::exists(inst.rejected / "broken.csv.report.txt"));
  CHECK_THAT(read_file(inst.rejected / "broken.csv.report.txt"), Catch::Contains("E0001"));
  CHECK(daemon->wait_for_log("HR file broken.csv rejected"));

  const auto status = json::parse(http_get(inst.port, "/status").body);
  CHECK(status.find("hr_files")->get_int("accepted") == 1);
  CHECK(status.find("hr_files")->get_int("rejected") == 1);
  const std::string metrics = http_get(inst.port, "/metrics").body;
  CHECK_THAT(metrics, Catch::Contains("dirsync_hr_files_processed_total{result=\"accepted\"} 1\n"));
  CHECK_THAT(metrics, Catch::Contains("dirsync_hr_files_processed_total{result=\"rejected\"} 1\n"));
  CHECK_THAT(metrics, Catch::Contains("dirsync_hr_files{status=\"rejected\"} 1\n"));
}

TEST_CASE("dirsync daemon processes files already in the inbox at start-up, oldest first", "[daemon][integration]")
{
  Installation inst;
  fs::create_directories(inst.inbox);
  inst.dir.write("state/inbox/old.csv", k_good_csv);
  inst.dir.write("state/inbox/new.csv", k_bad_csv);
  fs::last_write_time(inst.inbox / "old.csv", fs::file_time_type::clock::now() - 1h);
  auto daemon = inst.start();
  CHECK(eventually([&] { return fs::exists(inst.archive / "old.csv.report.json"); }));
  CHECK(eventually([&] { return fs::exists(inst.rejected / "new.csv.report.json"); }));
  const std::string log = daemon->log();
  CHECK(log.find("HR file old.csv accepted") < log.find("HR file new.csv rejected"));
}

TEST_CASE("dirsync daemon serves /metrics, /healthz and /status with the right content", "[daemon][integration]")
{
  Installation inst;
  auto daemon = inst.start();
  REQUIRE(inst.serving());
  REQUIRE(daemon->wait_for_log("cycle done"));

  const auto health = http_get(inst.port, "/healthz");
  CHECK(health.status == 200);
  CHECK_THAT(health.body, Catch::StartsWith("ok: the last cycle succeeded"));

  const auto metrics = http_get(inst.port, "/metrics");
  CHECK(metrics.status == 200);
  CHECK_THAT(metrics.content_type, Catch::StartsWith("text/plain; version=0.0.4"));
  const auto bad_line = first_invalid_exposition_line(metrics.body);
  INFO(metrics.body);
  CHECK_FALSE(bad_line.has_value());
  for (const char* name : {"dirsync_cycles_total", "dirsync_seconds_since_last_successful_cycle", "dirsync_held_plans",
                           "dirsync_mirror_users", "dirsync_operations", "dirsync_api_requests_total",
                           "dirsync_api_rate_limit_waits_total", "dirsync_hr_files_processed_total"}) {
    CHECK_THAT(metrics.body, Catch::Contains(fmt::format("# TYPE {} ", name)));
  }
  CHECK_THAT(metrics.body, Catch::Contains("dirsync_cycles_total{result=\"ok\"} 1\n"));
  CHECK_THAT(metrics.body, Catch::Contains("dirsync_database_readable 1\n"));

  const auto status = http_get(inst.port, "/status");
  CHECK(status.status == 200);
  const json::Value s = json::parse(status.body);
  CHECK(s.find("daemon")->get_bool("running"));
  CHECK(s.find("daemon")->get_int("pid") == daemon->pid());
  CHECK(s.find("database")->get_int("schema_version") >= 1);
  CHECK(s.contains("mirror"));
  CHECK(s.contains("held_plans"));

  CHECK(http_get(inst.port, "/nothing").status == 404);
}

TEST_CASE("dirsync daemon keeps its configuration when SIGHUP brings an invalid one, and takes a valid one",
          "[daemon][integration]")
{
  Installation inst;
  auto daemon = inst.start();
  REQUIRE(inst.serving());
  REQUIRE(daemon->wait_for_log("cycle done"));

  inst.write_config("5s"); // below the 30 s minimum
  daemon->signal(SIGHUP);
  CHECK(daemon->wait_for_log("configuration reload refused, the previous configuration stays in use"));
  CHECK(daemon->wait_for_log("sync.refresh_interval"));

  // Still working: it serves, and it still processes files.
  CHECK(http_get(inst.port, "/healthz").status == 200);
  inst.drop("after-bad-reload.csv", k_good_csv);
  CHECK(eventually([&] { return fs::exists(inst.archive / "after-bad-reload.csv.report.json"); }));

  inst.write_config("45s");
  daemon->signal(SIGHUP);
  CHECK(daemon->wait_for_log("configuration reloaded from"));
  CHECK_THAT(http_get(inst.port, "/metrics").body,
             Catch::Contains("dirsync_config_reloads_total{result=\"refused\"} 1\n"));
  CHECK_THAT(http_get(inst.port, "/metrics").body, Catch::Contains("dirsync_config_reloads_total{result=\"ok\"} 1\n"));
}

TEST_CASE("dirsync daemon exits 0 promptly on SIGTERM and on SIGINT", "[daemon][integration]")
{
  const int signal = GENERATE(SIGTERM, SIGINT);
  Installation inst;
  auto daemon = inst.start();
  REQUIRE(inst.serving());
  REQUIRE(daemon->wait_for_log("cycle done"));
  const auto before = std::chrono::steady_clock::now();
  daemon->signal(signal);
  const auto code = daemon->wait_exit(5s);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK(std::chrono::steady_clock::now() - before < 2s);
  CHECK_THAT(daemon->log(), Catch::Contains("stopped"));
}

TEST_CASE("a second dirsync daemon on the same database refuses to start and names the first", "[daemon][integration]")
{
  Installation inst;
  auto first = inst.start();
  REQUIRE(inst.serving());
  auto second = inst.start({}, "second.log");
  const auto code = second->wait_exit(10s);
  REQUIRE(code.has_value());
  CHECK(*code == 1);
  CHECK_THAT(second->log(), Catch::Contains(fmt::format("dirsync daemon (pid {}) is already working on this database", first->pid())));
  // The first one is unharmed.
  CHECK(http_get(inst.port, "/healthz").status == 200);
}

TEST_CASE("dirsync daemon exits 78 on an invalid configuration", "[daemon][integration]")
{
  Installation inst;
  inst.write_config("5s");
  auto daemon = inst.start();
  const auto code = daemon->wait_exit(10s);
  REQUIRE(code.has_value());
  CHECK(*code == 78);
  CHECK_THAT(daemon->log(), Catch::Contains("sync.refresh_interval"));
}

TEST_CASE("dirsync daemon tells systemd READY=1, STATUS=, WATCHDOG=1 and STOPPING=1", "[daemon][integration]")
{
  Installation inst;
  // The service manager's end: a datagram socket the daemon sends its notifications to.
  const fs::path socket_path = inst.dir / "notify.sock";
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  REQUIRE(socket_path.string().size() < sizeof addr.sun_path);
  std::strcpy(addr.sun_path, socket_path.c_str());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  std::vector<std::pair<std::chrono::steady_clock::time_point, std::string>> received;
  const auto receive_for = [&](std::chrono::milliseconds span) {
    const auto end = std::chrono::steady_clock::now() + span;
    while (std::chrono::steady_clock::now() < end) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) {
        char buffer[4096];
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n > 0) {
          received.emplace_back(std::chrono::steady_clock::now(), std::string(buffer, static_cast<std::size_t>(n)));
        }
      }
    }
  };
  const auto count = [&](const std::string& prefix) {
    std::size_t n = 0;
    for (const auto& [at, text] : received) {
      std::istringstream lines(text);
      std::string line;
      while (std::getline(lines, line)) {
        n += line.starts_with(prefix) ? 1 : 0;
      }
    }
    return n;
  };

  // WATCHDOG_USEC=1 s: a ping at least every 0.5 s.
  auto daemon = inst.start({{"NOTIFY_SOCKET", socket_path.string()}, {"WATCHDOG_USEC", "1000000"}});
  receive_for(2500ms);
  CHECK(count("READY=1") >= 1);
  CHECK(count("STATUS=Last cycle OK") >= 1);
  CHECK(count("WATCHDOG=1") >= 4);
  // READY=1 comes only once the status server answers.
  CHECK(http_get(inst.port, "/healthz").status == 200);

  daemon->signal(SIGTERM);
  const auto code = daemon->wait_exit(5s);
  receive_for(200ms);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK(count("STOPPING=1") == 1);
  ::close(fd);
}

namespace {

// The people employed in examples/tenant.json as HR lists them, plus `hires` new people.
std::string tenant_export_with_hires(int hires)
{
  std::string csv = read_file(fs::path(DIRSYNC_SOURCE_DIR) / "examples/hr/02-employees-hires.csv");
  // Drop the demo's own two hires (E0016, E0017): only the tenant's people and ours remain.
  std::string kept;
  std::istringstream in(csv);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("E0016") && !line.starts_with("E0017")) {
      kept += line + "\n";
    }
  }
  for (int i = 1; i <= hires; ++i) {
    kept += fmt::format("H{0:04},新员工{0},hire{0}@example.com,139{0:08},技术部/后端组,工程师,E0004,正式,2026-11-16,在职\n", i);
  }
  return kept;
}

struct PlanState
{
  std::string status;
  std::int64_t done = 0;
  std::int64_t left = 0;
  std::int64_t failed = 0;
};

// The first plan made in `database`.
std::optional<PlanState> first_plan(const fs::path& database)
{
  if (!fs::exists(database)) {
    return std::nullopt;
  }
  storage::Database db(database, storage::OpenMode::read_only);
  auto& sql = storage::SqliteAccess::connection(db);
  SQLite::Statement st(sql, R"(
    SELECT p.status,
           (SELECT count(*) FROM operations o WHERE o.plan_id = p.id AND o.state = 'done'),
           (SELECT count(*) FROM operations o WHERE o.plan_id = p.id AND o.state IN ('pending', 'in_flight')),
           (SELECT count(*) FROM operations o WHERE o.plan_id = p.id AND o.state = 'failed')
      FROM plans p ORDER BY p.id LIMIT 1)");
  if (!st.executeStep()) {
    return std::nullopt;
  }
  return PlanState{st.getColumn(0).getString(), st.getColumn(1).getInt64(), st.getColumn(2).getInt64(),
                   st.getColumn(3).getInt64()};
}

} // namespace

TEST_CASE("dirsync daemon stopped part-way through an apply exits 0, and the next start finishes the plan",
          "[daemon][integration]")
{
  constexpr int k_hires = 40;
  // Slow answers and two requests at a time: the apply takes seconds, long enough to stop it.
  Installation inst({"--latency-ms", "150"});
  inst.write_config("30s", "  safety:\n    hold_first_plan: false\n", 2);
  const fs::path database = inst.dir / "state/mirror.db";
  {
    auto daemon = inst.start();
    REQUIRE(inst.serving());
    inst.drop("employees.csv", tenant_export_with_hires(k_hires));
    REQUIRE(eventually(
      [&] {
        const auto plan = first_plan(database);
        return plan && plan->done >= 5;
      },
      60s));
    const auto before = std::chrono::steady_clock::now();
    daemon->signal(SIGTERM);
    const auto code = daemon->wait_exit(20s);
    REQUIRE(code.has_value());
    CHECK(*code == 0);
    CHECK(std::chrono::steady_clock::now() - before < 10s);
    const auto plan = first_plan(database);
    REQUIRE(plan);
    CHECK(plan->status == "applying"); // stopped between operations, not finished, not failed
    CHECK(plan->left > 0);
    CHECK(plan->done >= 5);
    CHECK_THAT(daemon->log(), Catch::Contains("cycle done: plan 1 stopped"));
    CHECK_THAT(daemon->log(), !Catch::Contains("cycle failed"));
  }
  {
    auto daemon = inst.start({}, "daemon-2.log");
    CHECK(eventually(
      [&] {
        const auto plan = first_plan(database);
        return plan && plan->status == "done";
      },
      90s));
    const auto plan = first_plan(database);
    REQUIRE(plan);
    CHECK(plan->failed == 0);
    CHECK(plan->left == 0);
    CHECK(daemon->wait_for_log("plan 1: resuming"));
  }
  // Every hire exists in Feishu exactly once. The state is held by name: a range-for over
  // `state().find("users")->as_array()` would walk the users of a temporary already destroyed.
  const json::Value state = inst.emulator.state();
  std::set<std::string> hired;
  int hire_users = 0;
  for (const json::Value& user : state.find("users")->as_array()) {
    const std::string no = user.get_string("employee_no");
    if (no.starts_with("H")) {
      ++hire_users;
      hired.insert(no);
    }
  }
  CHECK(hire_users == k_hires);
  CHECK(hired.size() == static_cast<std::size_t>(k_hires));
}
