// Benchmark of the planner (DESIGN.md §14): plan time and peak memory for N people.
//
//   dirsync_bench_plan [N ...]      (default: 10000 100000 1000000)
//
// For each N it generates, in memory, a tenant of N users in N/40 departments (three levels) with
// every user linked, and an HR roster that differs from it the way a busy day does: 0.5% new
// hires (some reporting to new leaders), 0.5% leavers, 1% job title changes, 0.5% moves. It then
// times sync::Planner::plan() alone, in wall-clock and CPU seconds (on a shared machine the CPU
// time is the fair measure). Peak memory is the process's maximum resident set
// (getrusage), printed before and after planning, so the planner's own share can be read off.
// Then it stores the plan (PlanStore::save: the plan, its operations and decisions in one
// transaction) into a fresh database in the system temp directory, and times that too. Nothing
// touches the network. Last, it times sync::find_unmatched_contacts (the pure part of the rehire
// look-up that runs before every plan) and prints how many rows it would look up (the new hires).
#include "hr/intake.hpp"
#include "storage/hr_store.hpp"
#include "storage/mirror_store.hpp"
#include "storage/plan_store.hpp"
#include "sync/planner.hpp"
#include "sync/rehire_lookup.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>
#include <string>
#include <ctime>
#include <sys/resource.h>
#include <vector>

using namespace dirsync;

namespace {

double cpu_seconds()
{
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

long peak_rss_mib()
{
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

struct World
{
  storage::MirrorSnapshot mirror;
  hr::Roster roster;
  std::vector<storage::Link> links;
};

World generate(int n)
{
  World w;
  w.mirror.refresh.id = 1;
  w.mirror.refresh.result = storage::RefreshResult::ok;
  const int departments = std::max(3, n / 40);
  // Level 1: 10 divisions; level 2: 10 groups each; the rest teams under the groups.
  for (int d = 0; d < departments; ++d) {
    storage::MirrorDepartment md;
    md.department.open_department_id = fmt::format("od-{}", d);
    md.department.name = fmt::format("Dept {}", d);
    if (d < 10) {
      md.department.parent_department_id = "0";
      md.path = {md.department.name};
    } else if (d < 110) {
      const int parent = (d - 10) / 10;
      md.department.parent_department_id = fmt::format("od-{}", parent);
      md.path = {fmt::format("Dept {}", parent), md.department.name};
    } else {
      const int parent = 10 + (d - 110) % 100;
      const int grand = (parent - 10) / 10;
      md.department.parent_department_id = fmt::format("od-{}", parent);
      md.path = {fmt::format("Dept {}", grand), fmt::format("Dept {}", parent), md.department.name};
    }
    w.mirror.departments.push_back(std::move(md));
  }
  auto path_of = [&w](int d) { return w.mirror.departments[static_cast<std::size_t>(d)].path; };

  w.mirror.users.reserve(static_cast<std::size_t>(n));
  w.roster.people.reserve(static_cast<std::size_t>(n));
  w.links.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const int dept = i % departments;
    const std::string no = fmt::format("E{:07}", i);
    const std::string leader = i < 10 ? std::string() : fmt::format("E{:07}", i / 10);
    storage::MirrorUser u;
    u.user.open_id = fmt::format("ou_{:07}", i);
    u.user.name = fmt::format("Person {}", i);
    u.user.email = fmt::format("p{}@example.com", i);
    u.user.mobile = fmt::format("+86138{:08}", i);
    u.user.employee_no = no;
    u.user.department_ids = {fmt::format("od-{}", dept)};
    u.user.job_title = "Engineer";
    u.user.employee_type = 1;
    u.user.leader_user_id = i < 10 ? std::string() : fmt::format("ou_{:07}", i / 10);
    u.primary_department = u.user.department_ids.front();

    storage::Link l;
    l.employee_no = no;
    l.open_id = u.user.open_id;
    w.links.push_back(std::move(l));

    const bool leaver = i % 200 == 7 && i >= 10;
    if (!leaver) {
      hr::Person p;
      p.row = static_cast<std::size_t>(i) + 2;
      p.employee_no = no;
      p.name = u.user.name;
      p.email = u.user.email;
      p.mobile = u.user.mobile;
      p.department_path = path_of(i % 200 == 3 ? (dept + 1) % departments : dept);
      p.job_title = i % 100 == 5 ? "Senior Engineer" : "Engineer";
      p.employee_type = 1;
      p.leader_employee_no = leader;
      w.roster.people.push_back(std::move(p));
    }
    w.mirror.users.push_back(std::move(u));
  }
  const int hires = std::max(1, n / 200);
  for (int h = 0; h < hires; ++h) {
    hr::Person p;
    p.row = static_cast<std::size_t>(n + h) + 2;
    p.employee_no = fmt::format("N{:07}", h);
    p.name = fmt::format("New {}", h);
    p.email = fmt::format("new{}@example.com", h);
    p.department_path = path_of(h % departments);
    p.job_title = "Engineer";
    // Every tenth new hire leads the next nine: chains of new leaders.
    p.leader_employee_no = h % 10 == 0 ? "E0000001" : fmt::format("N{:07}", h - h % 10);
    w.roster.people.push_back(std::move(p));
  }
  return w;
}

// Seconds to save `plan` into a new database (which gets an HR file and a refresh row to refer to).
double time_store(storage::Plan plan)
{
  const std::filesystem::path file =
    std::filesystem::temp_directory_path() / fmt::format("dirsync-bench-plan-{}.db", ::getpid());
  std::filesystem::remove(file);
  double seconds = 0;
  {
    storage::Database db(file);
    const config::Config config;
    hr::IntakeContext context;
    context.history_available = false;
    const hr::IntakeResult intake =
      hr::read_export("bench.csv", "工号,姓名,邮箱,手机,部门,职务,直属上级工号,员工类型,入职日期,状态\n"
                                   "E1,A,a@example.com,+8613800000001,Dept 0,Engineer,,正式,2024-03-01,在职\n",
                      config.hr, config.sync.safety, context);
    plan.hr_file_id = storage::HrStore(db).record("bench.csv", intake);
    plan.refresh_run_id = storage::MirrorStore(db).begin_refresh(1, "http://127.0.0.1:1", "cli_bench");
    const auto start = std::chrono::steady_clock::now();
    storage::PlanStore(db).save(plan);
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(file.string() + suffix);
  }
  return seconds;
}

} // namespace

int main(int argc, char** argv)
{
  std::vector<int> sizes;
  for (int i = 1; i < argc; ++i) {
    sizes.push_back(std::atoi(argv[i]));
  }
  if (sizes.empty()) {
    sizes = {10000, 100000, 1000000};
  }
  config::SyncConfig sync;
  sync.safety.max_deletes = 1 << 30;
  sync::Planner planner(sync, config::DepartmentKey::path, "cli_bench");
  fmt::print("{:>9} {:>9} {:>10} {:>10} {:>10} {:>12} {:>12} {:>9} {:>9} {:>8}\n", "people", "ops", "decisions",
             "wall s", "cpu s", "rss before", "rss after", "store s", "lookup s", "unmatched");
  for (int n : sizes) {
    const World w = generate(n);
    const long before = peak_rss_mib();
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = cpu_seconds();
    const storage::Plan plan = planner.plan({w.roster, config::HrMode::full, w.mirror, w.links, nullptr, 1795219200, 1});
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    const double cpu = cpu_seconds() - cpu_start;
    const long after = peak_rss_mib();
    const double store = time_store(plan);
    const auto lookup_start = std::chrono::steady_clock::now();
    const sync::RehireQuery unmatched = sync::find_unmatched_contacts(w.roster, w.mirror, w.links);
    const std::chrono::duration<double> lookup = std::chrono::steady_clock::now() - lookup_start;
    fmt::print("{:>9} {:>9} {:>10} {:>10.3f} {:>10.3f} {:>8} MiB {:>8} MiB {:>9.3f} {:>9.3f} {:>8}\n", n,
               plan.operations.size(), plan.decisions.size(), took.count(), cpu, before, after, store,
               lookup.count(), unmatched.rows);
    std::fflush(stdout);
  }
  return 0;
}
