// `dirsync apply` and `dirsync sync` end to end against the real feishu-emulator: HR files in, the
// emulator's final state (/_emulator/state) checked, not only exit codes. The crash test runs the
// real `dirsync` binary as a child and kills it with SIGKILL at many points of a large plan.
#include "config/loader.hpp"
#include "daemon/cli.hpp"
#include "feishu/client.hpp"
#include "feishu/cpprest_transport.hpp"
#include "storage/database.hpp"
#include "storage/sqlite_access.hpp"
#include "sync/cycle.hpp"
#include "support/emulator_process.hpp"
#include "support/scratch_dir.hpp"
#include "support/tenant_generator.hpp"

#include <SQLiteCpp/Statement.h>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <csignal>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace dirsync;
using namespace dirsync::testing;
using namespace std::chrono_literals;

namespace {

// One HR row, in the columns of DESIGN.md §5.
struct HrPerson
{
  std::string name;
  std::string email;
  std::string mobile;
  std::string department; // the tenant's department_id (hr.department_key: department_id)
  std::string job_title;
  std::string leader;     // employee number
  std::string status = "在职";
};

// An emulator with a generated tenant, a configuration, and the HR roster that matches the tenant.
class SyncRig
{
public:
  explicit SyncRig(std::size_t users = 40, std::vector<std::string> emulator_args = {}, bool hold_first_plan = false,
                   const std::function<void(json::Value&)>& edit_seed = {})
    : m_emulator(seed(users, edit_seed), std::move(emulator_args))
  {
    std::filesystem::permissions(m_dir.write("secret", "test-secret"), std::filesystem::perms::owner_read |
                                                                         std::filesystem::perms::owner_write);
    m_config = m_dir.write("dirsync.yaml", fmt::format(R"(feishu:
  base_url: {}
  app_id: cli_test
  app_secret_file: secret
  timeout: 5s
  max_in_flight: 8
  max_attempts: 6
storage:
  database: mirror.db
sync:
  leaver: {{ action: delete, acceptor: leader }}
  safety:
    max_deletes: 5
    max_deletes_percent: 50
    max_source_shrink_percent: 20
    hold_first_plan: {}
hr:
  inbox: inbox
  archive: archive
  rejected: rejected
  department_key: department_id
logging:
  level: warn
)", m_emulator.base_url(), hold_first_plan ? "true" : "false"));
    auto state = m_emulator.state();
    for (auto& u : state["users"].as_array()) {
      if (!u["resigned_at"].is_null()) {
        continue;
      }
      HrPerson p;
      p.name = u.get_string("name");
      p.email = u.get_string("email");
      p.mobile = u.get_string("mobile");
      p.department = u["department_ids"].as_array().at(0).as_string();
      p.job_title = u.get_string("job_title");
      p.leader = u.get_string("leader_user_id"); // user_id = employee_no in generated tenants
      roster[u.get_string("employee_no")] = p;
    }
  }

  static json::Value seed(std::size_t users, const std::function<void(json::Value&)>& edit = {})
  {
    TenantShape shape;
    shape.users = users;
    shape.departments = 4;
    json::Value tenant = generate_tenant(shape);
    if (edit) {
      edit(tenant);
    }
    return tenant;
  }

  // Edits the seed user with this employee number.
  static void edit_user(json::Value& seed, const std::string& employee_no, const std::function<void(json::Value&)>& edit)
  {
    for (auto& u : seed["users"].as_array()) {
      if (u.get_string("employee_no") == employee_no) {
        edit(u);
        return;
      }
    }
    FAIL("no seed user " << employee_no);
  }

  // The HR row of a seed user, as the emulator has them now (resigned ones included).
  HrPerson person_of(const std::string& employee_no) const
  {
    json::Value u = user(employee_no);
    HrPerson p;
    p.name = u.get_string("name");
    p.email = u.get_string("email");
    p.mobile = u.get_string("mobile");
    p.department = u["department_ids"].as_array().at(0).as_string();
    p.job_title = u.get_string("job_title");
    p.leader = u.get_string("leader_user_id");
    return p;
  }

  // Runs `dirsync --config ... ARGS` in this process; returns the exit code, output in `out`.
  int dirsync(std::vector<std::string> args)
  {
    std::vector<std::string> all{"dirsync", "--config", m_config.string()};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<const char*> argv;
    for (const auto& a : all) {
      argv.push_back(a.c_str());
    }
    std::ostringstream o;
    std::ostringstream e;
    const int code = daemon::run_cli(static_cast<int>(argv.size()), argv.data(), o, e);
    out = o.str() + e.str();
    return code;
  }

  // Writes the roster as a CSV file and returns its path.
  std::filesystem::path write_roster(const std::string& name) const
  {
    std::string csv = "工号,姓名,邮箱,手机,部门,职务,直属上级工号,员工类型,入职日期,状态\n";
    for (const auto& [no, p] : roster) {
      csv += fmt::format("{},{},{},{},{},{},{},正式,,{}\n", no, p.name, p.email, p.mobile, p.department, p.job_title,
                         p.leader, p.status);
    }
    return m_dir.write(name, csv);
  }

  void hire(int n, const std::string& department, const std::string& leader)
  {
    roster[fmt::format("N{:05d}", n)] =
      HrPerson{fmt::format("新人{}", n), fmt::format("n{:05d}@example.com", n), fmt::format("+86137{:08d}", n),
               department, "工程师", leader, "在职"};
  }

  // The emulator's users by employee number, resigned ones included.
  std::multimap<std::string, json::Value> users() const
  {
    std::multimap<std::string, json::Value> out_users;
    auto state = m_emulator.state();
    for (auto& u : state["users"].as_array()) {
      out_users.emplace(u.get_string("employee_no"), u);
    }
    return out_users;
  }

  json::Value user(const std::string& employee_no) const
  {
    auto all = users();
    REQUIRE(all.count(employee_no) >= 1);
    // The active account, if any, else the newest.
    json::Value found;
    for (auto [it, end] = all.equal_range(employee_no); it != end; ++it) {
      if (found.is_null() || it->second["resigned_at"].is_null()) {
        found = it->second;
      }
    }
    return found;
  }

  static bool resigned(const json::Value& u) { return u.find("resigned_at") != nullptr && !u.find("resigned_at")->is_null(); }

  // Every active user has a unique employee number, email and mobile, and the active users are
  // exactly the active roster.
  void check_matches_roster() const
  {
    std::set<std::string> numbers;
    std::set<std::string> emails;
    std::set<std::string> mobiles;
    for (const auto& [no, u] : users()) {
      if (resigned(u)) {
        continue;
      }
      CHECK(numbers.insert(no).second);
      CHECK(emails.insert(u.get_string("email")).second);
      CHECK(mobiles.insert(u.get_string("mobile")).second);
    }
    std::set<std::string> expected;
    for (const auto& [no, p] : roster) {
      if (p.status == "在职") {
        expected.insert(no);
      }
    }
    CHECK(numbers == expected);
  }

  std::int64_t query_int(const std::string& sql) const
  {
    storage::Database db(m_dir / "mirror.db", storage::OpenMode::read_only);
    return storage::SqliteAccess::connection(db).execAndGet(sql).getInt64();
  }

  const ScratchDir& dir() const { return m_dir; }
  const EmulatorProcess& emulator() const { return m_emulator; }
  const std::filesystem::path& config() const { return m_config; }

  std::map<std::string, HrPerson> roster;
  std::string out;

private:
  ScratchDir m_dir;
  EmulatorProcess m_emulator;
  std::filesystem::path m_config;
};

// Starts `dirsync --config CONFIG ARGS` as a child process; returns its pid.
pid_t spawn_dirsync(const std::filesystem::path& config, const std::vector<std::string>& args,
                    const std::filesystem::path& log)
{
  std::vector<std::string> all{DIRSYNC_BINARY_PATH, "--config", config.string()};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  const std::string log_path = log.string();
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Both streams go to the log: the test's output stays readable, the log keeps the evidence.
    if (std::freopen(log_path.c_str(), "a", stderr) == nullptr || ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
      ::_exit(126);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// Waits for the child; returns its exit code, or -signal.
int wait_for(pid_t pid)
{
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

} // namespace

TEST_CASE("dirsync apply FILE hires, moves, retitles and removes people, and the tenant matches HR",
          "[daemon][apply][emulator]")
{
  SyncRig rig;
  REQUIRE(rig.dirsync({"refresh"}) == 0);
  // Hires (one leads another hire), a mover, a title change, a leaver whose docs go to their leader.
  rig.hire(1, "D0002", "E000002");
  rig.hire(2, "D0002", "N00001");
  rig.roster["E000009"].department = "D0003";
  rig.roster["E000009"].leader = "E000003";
  rig.roster["E000010"].job_title = "架构师";
  rig.roster["E000011"].status = "离职";

  const auto code = rig.dirsync({"apply", rig.write_roster("hr-1.csv").string()});
  INFO(rig.out);
  REQUIRE(code == 0);

  rig.roster.erase("E000011");
  rig.check_matches_roster();
  auto n1 = rig.user("N00001");
  auto n2 = rig.user("N00002");
  CHECK(n1["department_ids"].as_array().at(0).as_string() == "D0002");
  CHECK(n2.get_string("leader_user_id") == n1.get_string("user_id"));
  auto mover = rig.user("E000009");
  CHECK(mover["department_ids"].as_array().at(0).as_string() == "D0003");
  CHECK(mover.get_string("leader_user_id") == "E000003");
  CHECK(rig.user("E000010").get_string("job_title") == "架构师");
  CHECK(SyncRig::resigned(rig.user("E000011")));
  // The leaver's documents went to their leader (E000011 is in D0003, led by E000003).
  CHECK(rig.query_int("SELECT count(*) FROM operations WHERE kind = 'delete' AND state = 'done' AND "
                      "json_extract(payload, '$.docs_acceptor_user_id') = "
                      "(SELECT open_id FROM users WHERE employee_no = 'E000003')") == 1);
  // The journal and the mirror agree with Feishu.
  CHECK(rig.query_int("SELECT count(*) FROM v_failed_operations") == 0);
  CHECK(rig.query_int("SELECT count(*) FROM links WHERE method = 'created' AND unlinked_at IS NULL") == 2);
  CHECK(rig.query_int("SELECT count(*) FROM users WHERE employee_no = 'E000011' AND mirror_state = 'resigned'") == 1);

  // The same file again changes nothing.
  REQUIRE(rig.dirsync({"apply", rig.write_roster("hr-2.csv").string()}) == 0);
  CHECK(rig.query_int("SELECT count(*) FROM operations WHERE plan_id = (SELECT max(id) FROM plans)") == 0);
}

TEST_CASE("dirsync apply resurrects a rehire within 30 days and creates anew after", "[daemon][apply][emulator]")
{
  SyncRig rig;
  REQUIRE(rig.dirsync({"refresh"}) == 0);
  auto original_12 = rig.user("E000012");
  auto original_13 = rig.user("E000013");
  rig.roster["E000012"].status = "离职";
  rig.roster["E000013"].status = "离职";
  REQUIRE(rig.dirsync({"apply", rig.write_roster("hr-1.csv").string()}) == 0);
  REQUIRE(SyncRig::resigned(rig.user("E000012")));

  SECTION("within 30 days: the old account comes back, in its departments")
  {
    rig.roster["E000012"].status = "在职";
    const auto code = rig.dirsync({"apply", rig.write_roster("hr-2.csv").string()});
    INFO(rig.out);
    REQUIRE(code == 0);
    auto back = rig.user("E000012");
    CHECK(back.get_string("open_id") == original_12.get_string("open_id"));
    CHECK_FALSE(SyncRig::resigned(back));
    CHECK(back["department_ids"] == original_12["department_ids"]);
    CHECK(back.get_string("job_title") == original_12.get_string("job_title"));
    CHECK(rig.users().count("E000012") == 1);
    CHECK(rig.query_int("SELECT count(*) FROM operations WHERE kind = 'resurrect' AND state = 'done'") == 1);
  }
  SECTION("after 30 days: a new account, the old link kept as history")
  {
    // 40 days pass, for Feishu and for what dirsync saw.
    rig.emulator().advance_clock(40 * 86400);
    {
      storage::Database db(rig.dir() / "mirror.db");
      storage::SqliteAccess::connection(db).exec(
        "UPDATE users SET resigned_seen_at = resigned_seen_at - 40 * 86400 WHERE employee_no = 'E000013'");
    }
    rig.roster["E000013"].status = "在职";
    const auto code = rig.dirsync({"apply", rig.write_roster("hr-2.csv").string()});
    INFO(rig.out);
    REQUIRE(code == 0);
    auto fresh = rig.user("E000013");
    CHECK(fresh.get_string("open_id") != original_13.get_string("open_id"));
    CHECK_FALSE(SyncRig::resigned(fresh));
    CHECK(rig.users().count("E000013") == 2);
    CHECK(rig.query_int("SELECT count(*) FROM links WHERE employee_no = 'E000013' AND unlinked_at IS NOT NULL") == 1);
    CHECK(rig.query_int("SELECT count(*) FROM links WHERE employee_no = 'E000013' AND unlinked_at IS NULL "
                        "AND method = 'created'") == 1);
  }
}

TEST_CASE("dirsync apply rejects a truncated export and applies nothing", "[daemon][apply][emulator]")
{
  SyncRig rig;
  REQUIRE(rig.dirsync({"refresh"}) == 0);
  REQUIRE(rig.dirsync({"apply", rig.write_roster("hr-1.csv").string()}) == 0);
  auto before = rig.emulator().state();
  // The export stops half-way: 20 of 40 people "left".
  auto truncated = rig.roster;
  while (truncated.size() > 20) {
    truncated.erase(std::prev(truncated.end()));
  }
  rig.roster = truncated;
  const auto code = rig.dirsync({"apply", rig.write_roster("hr-2.csv").string()});
  INFO(rig.out);
  CHECK(code == 1);
  CHECK_THAT(rig.out, Catch::Contains("REJECTED"));
  CHECK(rig.emulator().state()["users"] == before["users"]);
  CHECK(rig.query_int("SELECT count(*) FROM hr_files WHERE status = 'rejected'") == 1);
}

TEST_CASE("dirsync apply holds a mass deletion until approved, then applies it", "[daemon][apply][emulator]")
{
  SyncRig rig;
  REQUIRE(rig.dirsync({"refresh"}) == 0);
  for (int i = 20; i < 28; ++i) {
    rig.roster[fmt::format("E{:06d}", i)].status = "离职"; // 8 leavers > max_deletes 5
  }
  const auto code = rig.dirsync({"apply", rig.write_roster("hr-1.csv").string()});
  INFO(rig.out);
  REQUIRE(code == 3);
  CHECK_THAT(rig.out, Catch::Contains("HELD"));
  CHECK_FALSE(SyncRig::resigned(rig.user("E000020")));
  const auto plan_id = rig.query_int("SELECT id FROM plans WHERE status = 'held'");

  CHECK(rig.dirsync({"apply", "--plan", std::to_string(plan_id)}) == 1);
  CHECK_THAT(rig.out, Catch::Contains(fmt::format("dirsync approve {}", plan_id)));

  REQUIRE(rig.dirsync({"approve", std::to_string(plan_id)}) == 0);
  const auto applied = rig.dirsync({"apply", "--plan", std::to_string(plan_id)});
  INFO(rig.out);
  REQUIRE(applied == 0);
  for (int i = 20; i < 28; ++i) {
    CHECK(SyncRig::resigned(rig.user(fmt::format("E{:06d}", i))));
    rig.roster.erase(fmt::format("E{:06d}", i));
  }
  rig.check_matches_roster();
}

TEST_CASE("dirsync apply killed with SIGKILL at many points resumes to exactly the plan, with no duplicate",
          "[daemon][apply][emulator][crash]")
{
  SyncRig rig(40, {"--latency-ms", "3"});
  REQUIRE(rig.dirsync({"refresh"}) == 0);
  const char* departments[] = {"D0001", "D0002", "D0003", "D0004"};
  for (int i = 1; i <= 300; ++i) {
    rig.hire(i, departments[i % 4], fmt::format("E{:06d}", i % 4 + 1));
  }
  for (int i = 5; i < 25; ++i) {
    rig.roster[fmt::format("E{:06d}", i)].job_title = "高级工程师";
  }
  const auto file = rig.write_roster("hr-big.csv");
  const auto log = rig.dir() / "children.log";

  // Kill after this many operations were started (committed in_flight or later), then resume.
  const std::vector<int> kill_points{1, 9, 40, 77, 120, 121, 180, 233, 290, 315};
  std::int64_t plan_id = 0;
  int kills = 0;
  for (const int point : kill_points) {
    const auto args = plan_id == 0 ? std::vector<std::string>{"apply", file.string()}
                                   : std::vector<std::string>{"apply", "--plan", std::to_string(plan_id)};
    const pid_t child = spawn_dirsync(rig.config(), args, log);
    bool exited = false;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(child, &status, WNOHANG) == child) {
        exited = true;
        break;
      }
      std::int64_t started = 0;
      try {
        started = rig.query_int("SELECT count(*) FROM operations WHERE attempts > 0 OR state <> 'pending'");
      } catch (const std::exception&) {
        // The database may not exist or be mid-creation yet.
      }
      if (started >= point) {
        ::kill(child, SIGKILL);
        CHECK(wait_for(child) == -SIGKILL);
        ++kills;
        exited = true;
        break;
      }
      std::this_thread::sleep_for(2ms);
    }
    REQUIRE(exited);
    if (plan_id == 0) {
      plan_id = rig.query_int("SELECT coalesce(max(id), 0) FROM plans");
      REQUIRE(plan_id != 0);
    }
  }
  CHECK(kills >= 6);

  // The last run is a whole cycle: it finishes the plan left applying, refreshes, and plans the
  // same HR file again, which must find nothing left to do.
  const pid_t last = spawn_dirsync(rig.config(), {"sync"}, log);
  CHECK(wait_for(last) == 0);
  CHECK(rig.query_int("SELECT max(id) FROM plans") == plan_id + 1);
  CHECK(rig.query_int(fmt::format("SELECT count(*) FROM operations WHERE plan_id = {}", plan_id + 1)) == 0);

  CHECK(rig.query_int(fmt::format("SELECT count(*) FROM operations WHERE plan_id = {} AND state <> 'done'", plan_id)) == 0);
  CHECK(rig.query_int(fmt::format("SELECT count(*) FROM operations WHERE plan_id = {}", plan_id)) == 320);
  CHECK(rig.query_int(fmt::format("SELECT status = 'done' FROM plans WHERE id = {}", plan_id)) == 1);
  const auto users = rig.users();
  CHECK(users.size() == 40 + 300);
  for (int i = 1; i <= 300; ++i) {
    CHECK(users.count(fmt::format("N{:05d}", i)) == 1);
  }
  rig.check_matches_roster();
  CHECK(rig.user("E000007").get_string("job_title") == "高级工程师");
  // The kills hit operations on the wire: resumed runs found them in flight, and looked creates up
  // before sending them again.
  const std::string children = read_file(log);
  int resumed_in_flight = 0;
  for (auto at = children.find(" were in flight when the last run stopped"); at != std::string::npos;
       at = children.find(" were in flight when the last run stopped", at + 1)) {
    const auto number_start = children.rfind(", ", at);
    resumed_in_flight += std::stoi(children.substr(number_start + 2, at - number_start - 2));
  }
  CHECK(resumed_in_flight > 0);
  std::size_t landed = 0;
  for (auto at = children.find("an earlier send had landed"); at != std::string::npos;
       at = children.find("an earlier send had landed", at + 1)) {
    ++landed;
  }
  WARN(fmt::format("{} kills; {} operations found in flight on resume, {} of them had landed", kills,
                   resumed_in_flight, landed));
  // Nothing was made twice.
  CHECK(rig.query_int("SELECT count(DISTINCT open_id) FROM operations WHERE kind = 'create'") == 300);
}

TEST_CASE("dirsync apply under 5xx, dropped connections, 429 bursts and expiring tokens ends as planned",
          "[daemon][apply][emulator][faults]")
{
  // Tokens live 8 s: the emulator hands back the current token while more than a quarter of its
  // lifetime remains, so a shorter one could be refused within the same second it was fetched.
  SyncRig rig(40, {"--fail-rate", "0.1", "--drop-rate", "0.1", "--token-ttl", "8", "--rate-limit-scale", "0.5",
                   "--random-seed", "9"});
  REQUIRE(rig.dirsync({"refresh"}) == 0);
  const char* departments[] = {"D0001", "D0002", "D0003", "D0004"};
  for (int i = 1; i <= 80; ++i) {
    rig.hire(i, departments[i % 4], fmt::format("E{:06d}", i % 4 + 1));
  }
  for (int i = 5; i < 9; ++i) {
    rig.roster[fmt::format("E{:06d}", i)].department = departments[(i + 1) % 4];
    rig.roster[fmt::format("E{:06d}", i)].leader = fmt::format("E{:06d}", (i + 1) % 4 + 1);
  }
  rig.roster["E000020"].job_title = "架构师";
  for (int i = 30; i < 34; ++i) {
    rig.roster[fmt::format("E{:06d}", i)].status = "离职";
  }

  const auto code = rig.dirsync({"apply", rig.write_roster("hr-1.csv").string()});
  INFO(rig.out);
  REQUIRE(code == 0);

  for (int i = 30; i < 34; ++i) {
    CHECK(SyncRig::resigned(rig.user(fmt::format("E{:06d}", i))));
    rig.roster.erase(fmt::format("E{:06d}", i));
  }
  rig.check_matches_roster();
  CHECK(rig.users().size() == 40 + 80);
  CHECK(rig.user("E000006")["department_ids"].as_array().at(0).as_string() == "D0004"); // moved to departments[(6 + 1) % 4]
  CHECK(rig.user("E000020").get_string("job_title") == "架构师");
  CHECK(rig.query_int("SELECT count(*) FROM operations WHERE state <> 'done'") == 0);
}

TEST_CASE("dirsync sync (the daemon's cycle) applies a plan released by dirsync approve instead of planning it away",
          "[daemon][sync][emulator]")
{
  SyncRig rig;
  REQUIRE(rig.dirsync({"refresh"}) == 0);
  for (int i = 20; i < 28; ++i) {
    rig.roster[fmt::format("E{:06d}", i)].status = "离职"; // 8 leavers > max_deletes 5
  }
  REQUIRE(rig.dirsync({"apply", rig.write_roster("hr-1.csv").string()}) == 3);
  const auto plan_id = rig.query_int("SELECT id FROM plans WHERE status = 'held'");
  REQUIRE(rig.dirsync({"approve", std::to_string(plan_id)}) == 0);

  // The next cycle, with no new file: it must apply the released plan, not supersede it with a new
  // plan that the delete limit holds again.
  const auto code = rig.dirsync({"sync"});
  INFO(rig.out);
  CHECK(code == 0);
  CHECK(rig.query_int(fmt::format("SELECT count(*) FROM plans WHERE id = {} AND status = 'done'", plan_id)) == 1);
  CHECK(rig.query_int("SELECT count(*) FROM plans WHERE status = 'held'") == 0);
  for (int i = 20; i < 28; ++i) {
    CHECK(SyncRig::resigned(rig.user(fmt::format("E{:06d}", i))));
  }
}

TEST_CASE("dirsync sync refreshes, plans and applies; without FILE it re-plans the last accepted HR file",
          "[daemon][sync][emulator]")
{
  SyncRig rig;
  rig.hire(1, "D0001", "E000001");
  auto code = rig.dirsync({"sync", rig.write_roster("hr-1.csv").string()});
  INFO(rig.out);
  REQUIRE(code == 0);
  rig.check_matches_roster();

  // Someone edits an HR-owned field in Feishu; the next cycle (no new file) reverts it.
  config::FeishuConfig feishu;
  feishu.base_url = rig.emulator().base_url();
  feishu.app_id = "cli_test";
  feishu.app_secret = "test-secret";
  feishu::Client client(feishu, feishu::make_cpprest_transport(feishu.base_url));
  feishu::UserPatch patch;
  patch.job_title = "篡改";
  client.patch_user(rig.user("E000010").get_string("open_id"), patch);

  code = rig.dirsync({"sync"});
  INFO(rig.out);
  REQUIRE(code == 0);
  CHECK(rig.user("E000010").get_string("job_title") == rig.roster["E000010"].job_title);
  CHECK(rig.query_int("SELECT count(*) FROM plans WHERE status = 'done'") == 2);
  CHECK(rig.query_int("SELECT count(*) FROM hr_files") == 1);
}

TEST_CASE("run_cycle hands the intake to on_intake before planning, and reports the applied plan",
          "[sync][cycle][emulator]")
{
  SyncRig rig;
  rig.hire(1, "D0003", "E000003");
  const auto file = rig.write_roster("hr-1.csv");
  const config::Config config = config::load_config(rig.config());
  storage::Database db(config.storage.database);
  feishu::Client client(config.feishu);

  std::int64_t plans_at_intake = -1;
  std::int64_t intake_id = 0;
  sync::CycleOptions options;
  options.file = file;
  options.on_intake = [&](const sync::IntakeOutcome& intake) {
    intake_id = intake.hr_file_id;
    CHECK(intake.result.report.accepted);
    plans_at_intake = rig.query_int("SELECT count(*) FROM plans");
  };
  const auto summary = sync::run_cycle(db, client, config, options);

  INFO(summary.outcome);
  CHECK(summary.ok);
  CHECK(summary.refresh_trusted);
  CHECK(plans_at_intake == 0);
  CHECK(summary.hr_file_id == intake_id);
  REQUIRE(summary.apply);
  CHECK(summary.apply->status == storage::PlanStatus::done);
  CHECK(summary.apply->tally.done == 1);
  CHECK(summary.outcome == fmt::format("plan {} done: 1 done, 0 failed, 0 skipped", summary.plan_id));
  CHECK(rig.users().count("N00001") == 1);
}

// Rehires of people who resigned before dirsync's first refresh: Feishu's listings leave resigned
// users out, so the mirror never saw their accounts (DESIGN.md §6, sync/rehire_lookup.hpp).
namespace {

// A seed whose E000020 resigned `days` ago, before any refresh; the rig's roster leaves them out.
std::function<void(json::Value&)> resigned_before_load(const std::string& employee_no, std::int64_t days)
{
  return [employee_no, days](json::Value& seed) {
    SyncRig::edit_user(seed, employee_no, [days](json::Value& u) { u.set("resigned_at", -days * 86400); });
  };
}

std::int64_t count_users(const SyncRig& rig, const std::string& employee_no, bool active_only)
{
  std::int64_t n = 0;
  const auto users = rig.users();
  for (auto [it, end] = users.equal_range(employee_no); it != end; ++it) {
    n += !active_only || !SyncRig::resigned(it->second);
  }
  return n;
}

} // namespace

TEST_CASE("dirsync sync resurrects a rehire who resigned 11 days before the first refresh",
          "[daemon][apply][emulator][rehire]")
{
  SyncRig rig(40, {}, false, resigned_before_load("E000020", 11));
  json::Value old = rig.user("E000020");
  REQUIRE(SyncRig::resigned(old));
  REQUIRE(rig.dirsync({"refresh"}) == 0);
  REQUIRE(rig.query_int("SELECT count(*) FROM users WHERE employee_no = 'E000020'") == 0); // not listed

  rig.roster["E000020"] = rig.person_of("E000020");
  rig.roster["E000020"].job_title = "架构师"; // and HR's fields are patched after the resurrect
  const auto code = rig.dirsync({"sync", rig.write_roster("hr-1.csv").string()});
  INFO(rig.out);
  REQUIRE(code == 0);

  json::Value back = rig.user("E000020");
  CHECK(back.get_string("open_id") == old.get_string("open_id"));
  CHECK_FALSE(SyncRig::resigned(back));
  CHECK(back["department_ids"] == old["department_ids"]);
  CHECK(back.get_string("job_title") == "架构师");
  CHECK(count_users(rig, "E000020", false) == 1);
  rig.check_matches_roster();
  CHECK(rig.query_int("SELECT count(*) FROM operations WHERE kind = 'resurrect' AND state = 'done'") == 1);
  CHECK(rig.query_int("SELECT count(*) FROM operations WHERE kind = 'create'") == 0);
  CHECK(rig.query_int(fmt::format("SELECT count(*) FROM links WHERE employee_no = 'E000020' AND unlinked_at IS NULL "
                                  "AND method = 'resurrected' AND open_id = '{}'",
                                  old.get_string("open_id"))) == 1);
  // The look-up stored the account with a history row before it was resurrected.
  CHECK(rig.query_int("SELECT count(*) FROM user_history WHERE employee_no = 'E000020' AND is_resigned = 1") == 1);

  // Nothing is left to do, and no request looks anyone up any more.
  REQUIRE(rig.dirsync({"sync", rig.write_roster("hr-2.csv").string()}) == 0);
  CHECK(rig.query_int("SELECT count(*) FROM operations WHERE plan_id = (SELECT max(id) FROM plans)") == 0);
}

TEST_CASE("dirsync sync tries to resurrect a rehire who resigned 40 days before, and after 44028 creates anew",
          "[daemon][apply][emulator][rehire]")
{
  SyncRig rig(40, {}, false, resigned_before_load("E000021", 40));
  json::Value old = rig.user("E000021");
  REQUIRE(rig.dirsync({"refresh"}) == 0);
  rig.roster["E000021"] = rig.person_of("E000021");

  // First cycle: Feishu decides, and refuses.
  rig.dirsync({"sync", rig.write_roster("hr-1.csv").string()});
  INFO(rig.out);
  CHECK(rig.query_int("SELECT count(*) FROM operations WHERE kind = 'resurrect' AND state = 'failed' AND code = 44028") ==
        1);
  CHECK(rig.query_int("SELECT resurrect_refused FROM users WHERE employee_no = 'E000021'") == 44028);
  // The follow-up patch of the resigned user is skipped, not sent to fail.
  CHECK(rig.query_int("SELECT count(*) FROM operations WHERE kind = 'update' AND state = 'skipped' AND "
                      "employee_no = 'E000021'") == 1);
  CHECK(count_users(rig, "E000021", false) == 1);

  // Next cycle: a new account, exactly one.
  const auto code = rig.dirsync({"sync", rig.write_roster("hr-2.csv").string()});
  INFO(rig.out);
  REQUIRE(code == 0);
  CHECK(count_users(rig, "E000021", false) == 2);
  CHECK(count_users(rig, "E000021", true) == 1);
  json::Value fresh = rig.user("E000021");
  CHECK(fresh.get_string("open_id") != old.get_string("open_id"));
  CHECK(fresh["department_ids"] == old["department_ids"]);
  rig.check_matches_roster();
  CHECK(rig.query_int("SELECT count(*) FROM operations WHERE kind = 'create' AND state = 'done' AND "
                      "reason LIKE '%44028%'") == 1);
  CHECK(rig.query_int("SELECT count(*) FROM links WHERE employee_no = 'E000021' AND unlinked_at IS NULL "
                      "AND method = 'created'") == 1);
  // The old account is still in the mirror, resigned, for the record.
  CHECK(rig.query_int(fmt::format("SELECT count(*) FROM users WHERE open_id = '{}' AND mirror_state = 'resigned'",
                                  old.get_string("open_id"))) == 1);

  // And no third account, nor another resurrect.
  REQUIRE(rig.dirsync({"sync", rig.write_roster("hr-3.csv").string()}) == 0);
  CHECK(rig.query_int("SELECT count(*) FROM operations WHERE plan_id = (SELECT max(id) FROM plans)") == 0);
  CHECK(count_users(rig, "E000021", false) == 2);
}

TEST_CASE("a rehire whose email another user took is reported as a conflict after 44031, not retried",
          "[daemon][apply][emulator][rehire]")
{
  SyncRig rig(40, {}, false, resigned_before_load("E000022", 5));
  REQUIRE(rig.dirsync({"refresh"}) == 0);
  rig.roster["E000022"] = rig.person_of("E000022");
  const std::string email = rig.roster["E000022"].email;

  // Someone takes their email after the refresh, so the mirror cannot know it yet.
  config::FeishuConfig feishu;
  feishu.base_url = rig.emulator().base_url();
  feishu.app_id = "cli_test";
  feishu.app_secret = "test-secret";
  feishu::Client client(feishu);
  feishu::UserCreate holder;
  holder.name = "占用者";
  holder.email = email;
  holder.mobile = "+8613999999999";
  holder.department_ids = {"0"};
  holder.employee_type = 1;
  const std::string holder_id = client.create_user(holder).open_id;

  rig.dirsync({"apply", rig.write_roster("hr-1.csv").string()});
  INFO(rig.out);
  CHECK(rig.query_int("SELECT count(*) FROM operations WHERE kind = 'resurrect' AND state = 'failed' AND code = 44031") ==
        1);
  CHECK(rig.query_int("SELECT resurrect_refused FROM users WHERE employee_no = 'E000022'") == 44031);

  // The same file again: no resurrect, no create, a conflict that names both sides.
  rig.dirsync({"apply", rig.write_roster("hr-2.csv").string()});
  INFO(rig.out);
  CHECK(rig.query_int("SELECT count(*) FROM operations WHERE plan_id = (SELECT max(id) FROM plans)") == 0);
  CHECK(rig.query_int("SELECT count(*) FROM plan_decisions WHERE plan_id = (SELECT max(id) FROM plans) AND "
                      "employee_no = 'E000022' AND decision = 'conflict'") == 1);
  CHECK(count_users(rig, "E000022", false) == 1);
  CHECK(count_users(rig, "E000022", true) == 0);

  // After a refresh the mirror knows the holder: still a conflict, with the holder named.
  rig.dirsync({"sync", rig.write_roster("hr-3.csv").string()});
  INFO(rig.out);
  CHECK(rig.query_int("SELECT count(*) FROM operations WHERE plan_id = (SELECT max(id) FROM plans)") == 0);
  CHECK(rig.query_int(fmt::format("SELECT count(*) FROM plan_decisions WHERE plan_id = (SELECT max(id) FROM plans) "
                                  "AND employee_no = 'E000022' AND decision = 'conflict' AND detail LIKE '%{}%'",
                                  holder_id)) == 1);
  CHECK(count_users(rig, "E000022", false) == 1);
}
