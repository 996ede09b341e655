// `dirsync plan`, `approve` and `explain` end to end: the emulator with examples/tenant.json, a real
// refresh, then plans from HR files written on the fly.
#include "support/cli.hpp"
#include "support/emulator_process.hpp"
#include "support/scratch_dir.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace dirsync;
using dirsync::testing::ScratchDir;

using dirsync::testing::CliResult;

namespace {

dirsync::testing::CliResult run(const std::filesystem::path& config, std::vector<std::string> args)
{
  args.insert(args.begin(), {"--config", config.string()});
  return dirsync::testing::run_dirsync(args);
}


const std::filesystem::path k_seed = std::filesystem::path(DIRSYNC_SOURCE_DIR) / "examples" / "tenant.json";

std::filesystem::path write_config(const ScratchDir& dir, const std::string& base_url, const std::string& extra = "")
{
  const auto secret = dir.write("app_secret", "demo-secret");
  std::filesystem::permissions(secret, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::replace);
  return dir.write("dirsync.yaml",
                   fmt::format("feishu:\n"
                               "  base_url: {}\n"
                               "  app_id: cli_demo\n"
                               "  app_secret_file: app_secret\n"
                               "  max_attempts: 1\n"
                               "storage:\n"
                               "  database: mirror.db\n"
                               "hr:\n"
                               "  columns: {{employee_no: 工号, name: 姓名, email: 邮箱, mobile: 手机, department: 部门, "
                               "job_title: 职务, leader: 直属上级工号}}\n"
                               "{}",
                               base_url, extra));
}

// examples/tenant.json's active people as HR rows (department paths from its departments), with
// `changes` applied: employee_no → replacement row ("" drops the person).
std::string hr_file(const std::map<std::string, std::string>& changes = {}, const std::string& extra_rows = "")
{
  const json::Value seed = json::parse(dirsync::testing::read_file(k_seed));
  std::map<std::string, std::pair<std::string, std::string>> departments; // id -> (parent, name)
  for (const json::Value& d : seed.find("departments")->as_array()) {
    departments[d.get_string("department_id")] = {d.get_string("parent_department_id"), d.get_string("name")};
  }
  auto path = [&](std::string id) {
    std::string p;
    while (id != "0" && departments.count(id) != 0) {
      p = departments[id].second + (p.empty() ? "" : "/" + p);
      id = departments[id].first;
    }
    return p;
  };
  std::string csv = "工号,姓名,邮箱,手机,部门,职务,直属上级工号\n";
  for (const json::Value& u : seed.find("users")->as_array()) {
    const json::Value* resigned = u.find("resigned_at");
    if (resigned != nullptr && !resigned->is_null()) {
      continue;
    }
    const std::string no = u.get_string("employee_no");
    if (auto it = changes.find(no); it != changes.end()) {
      csv += it->second.empty() ? "" : it->second + "\n";
      continue;
    }
    csv += fmt::format("{},{},{},{},{},{},{}\n", no, u.get_string("name"), u.get_string("email"),
                       u.get_string("mobile"), path(u.find("department_ids")->as_array()[0].as_string()),
                       u.get_string("job_title"), u.get_string("leader_user_id"));
  }
  return csv + extra_rows;
}

} // namespace

TEST_CASE("dirsync plan refuses without a trusted refresh, then plans, holds, and approve releases",
          "[daemon][plan][emulator]")
{
  ScratchDir dir;
  testing::EmulatorProcess emu(k_seed);
  const auto config = write_config(dir, emu.base_url());
  const auto first_file = dir.write(
    "employees-1.csv",
    hr_file({{"E0006", "E0006,杨帆,yangfan@example.com,+8613800000006,技术部/后端组,工程师,E0004"}},
            "E0016,林小雨,linxiaoyu@example.com,+8613800000016,技术部/前端组,工程师,E0007\n"));

  const CliResult early = run(config, {"plan", first_file.string()});
  CHECK(early.code == 1);
  CHECK_THAT(early.err, Catch::Contains("run `dirsync refresh` first"));

  REQUIRE(run(config, {"refresh"}).code == 0);

  // The first plan against the tenant is held (safety.hold_first_plan defaults to true).
  const CliResult first = run(config, {"plan", first_file.string()});
  INFO(first.out << first.err);
  CHECK(first.code == 3);
  CHECK_THAT(first.out, Catch::Contains("plan 1 (held): 1 creates, 1 updates, 0 deletes"));
  CHECK_THAT(first.out, Catch::Contains("safety.hold_first_plan"));
  CHECK_THAT(first.out, Catch::Contains("release it with: dirsync approve 1"));
  CHECK_THAT(first.out, Catch::Contains("job_title: \"实习工程师\" -> \"工程师\""));
  CHECK_THAT(first.out, Catch::Contains("E0016 林小雨: new in HR"));

  const CliResult approved = run(config, {"approve", "1", "--by", "alice"});
  CHECK(approved.code == 0);
  CHECK_THAT(approved.out, Catch::Contains("plan 1 approved by alice"));
  CHECK(run(config, {"approve", "1"}).code == 1);

  // One leaver of 14 managed users is over max_deletes_percent (5%): held; approve releases it.
  const auto second_file = dir.write(
    "employees-2.csv", hr_file({{"E0014", ""}}, "E0016,林小雨,linxiaoyu@example.com,+8613800000016,技术部/前端组,工程师,E0007\n"));
  const CliResult second = run(config, {"plan", second_file.string(), "--json"});
  INFO(second.out << second.err);
  REQUIRE(second.code == 3);
  const json::Value plan = json::parse(second.out);
  REQUIRE(plan.find("plan") != nullptr);
  CHECK(plan.find("plan")->get_string("status") == "held");
  CHECK(plan.find("plan")->find("counts")->get_int("deletes") == 1);
  REQUIRE(plan.find("plan")->find("held_reasons")->size() == 1);
  CHECK_THAT(plan.find("plan")->find("held_reasons")->as_array()[0].as_string(),
             Catch::Contains("safety.max_deletes_percent: 1 deletes and freezes in this plan are 7.1% of 14"));
  const json::Value& del = plan.find("operations")->as_array().back();
  CHECK(del.get_string("kind") == "delete");
  CHECK(del.get_string("employee_no") == "E0014");
  CHECK(run(config, {"approve", "2"}).code == 0);

  // explain: the link, both sides, and the decision with its rule.
  const CliResult explained = run(config, {"explain", "E0014"});
  INFO(explained.out << explained.err);
  CHECK(explained.code == 0);
  CHECK_THAT(explained.out, Catch::Contains("link: ou_"));
  CHECK_THAT(explained.out, Catch::Contains("by employee_no"));
  CHECK_THAT(explained.out, Catch::Contains("delete: absent from the full HR export"));
  CHECK_THAT(explained.out, Catch::Contains("[rule leaver.absent_from_full_export]"));
}

TEST_CASE("dirsync plan rejects a bad file with exit 1 and refuses an untrusted mirror", "[daemon][plan][emulator]")
{
  ScratchDir dir;
  testing::EmulatorProcess emu(k_seed);
  const auto config = write_config(dir, emu.base_url());
  REQUIRE(run(config, {"refresh"}).code == 0);

  const auto bad = dir.write("bad.csv", "工号,姓名\nE1,x\n");
  const CliResult rejected = run(config, {"plan", bad.string()});
  CHECK(rejected.code == 1);
  CHECK_THAT(rejected.out, Catch::Contains("HR file bad.csv: REJECTED"));

  // The app's scope narrowed to one department: the refresh is not trusted, and nothing is planned.
  json::Value narrowed = emu.state();
  narrowed["apps"].as_array()[0].set("scope", json::Value::string_array({"D07"}));
  emu.seed(narrowed);
  CHECK(run(config, {"refresh"}).code == 3);
  const auto file = dir.write("employees.csv", hr_file());
  const CliResult refused = run(config, {"plan", file.string()});
  CHECK(refused.code == 1);
  CHECK_THAT(refused.err, Catch::Contains("is not trusted"));
}

TEST_CASE("dirsync plan resurrects a rehire the mirror saw resign", "[daemon][plan][emulator]")
{
  ScratchDir dir;
  // E0015 starts active, so that the mirror knows them; then they leave in Feishu.
  json::Value seed = json::parse(dirsync::testing::read_file(k_seed));
  for (json::Value& u : seed["users"].as_array()) {
    if (u.get_string("employee_no") == "E0015") {
      u.set("resigned_at", nullptr);
    }
  }
  testing::EmulatorProcess emu(seed);
  const auto config = write_config(dir, emu.base_url(), "sync:\n  safety:\n    hold_first_plan: false\n");
  REQUIRE(run(config, {"refresh"}).code == 0);
  const std::string token = emu.tenant_token("cli_demo", "demo-secret");
  const auto deleted = emu.request("DELETE", "/open-apis/contact/v3/users/E0015?user_id_type=user_id", "{}",
                                   {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
  REQUIRE(deleted.status == 200);
  REQUIRE(run(config, {"refresh"}).code == 0);

  const auto file = dir.write(
    "employees.csv", hr_file({}, "E0015,胡雪,huxue@example.com,+8613800000015,技术部/后端组,工程师,E0004\n"));
  const CliResult r = run(config, {"plan", file.string()});
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("0 creates, 1 updates, 0 deletes, 1 resurrects"));
  CHECK_THAT(r.out, Catch::Contains("E0015 (ou_"));
  CHECK_THAT(r.out, Catch::Contains("rehired (row 16)"));
  CHECK_THAT(r.out, Catch::Contains("restore HR's fields after the resurrect"));
}

TEST_CASE("dirsync plan looks up a rehire who left before the first refresh when it has the secret, and says so "
          "when it has none",
          "[daemon][plan][emulator][rehire]")
{
  ScratchDir dir;
  testing::EmulatorProcess emu(k_seed); // E0015 resigned 11 days before: never in the mirror
  const auto config = write_config(dir, emu.base_url(), "sync:\n  safety:\n    hold_first_plan: false\n");
  REQUIRE(run(config, {"refresh"}).code == 0);
  const auto file = dir.write(
    "employees.csv", hr_file({}, "E0015,胡雪,huxue@example.com,+8613800000015,技术部/后端组,工程师,E0004\n"));

  SECTION("without a secret: offline, a create, and a note saying why")
  {
    std::string yaml = dirsync::testing::read_file(config);
    yaml.erase(yaml.find("  app_secret_file: app_secret\n"), std::string("  app_secret_file: app_secret\n").size());
    dir.write("dirsync.yaml", yaml);
    const CliResult r = run(config, {"plan", file.string()});
    INFO(r.out << r.err);
    CHECK(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("1 creates, 0 updates, 0 deletes, 0 resurrects"));
    CHECK_THAT(r.out, Catch::Contains("note: no app secret, so Feishu was not asked about the 1 HR rows"));
    CHECK(emu.stats().dump().find("batch_get_id") == std::string::npos);

    // That plan (approved: no gate held it) is never applied as it is: with the secret back,
    // `dirsync apply --plan` refuses it and the daemon's cycle plans the file again.
    write_config(dir, emu.base_url(), "sync:\n  safety:\n    hold_first_plan: false\n");
    const CliResult refused = run(config, {"apply", "--plan", "1"});
    INFO(refused.out << refused.err);
    CHECK(refused.code == 1);
    CHECK_THAT(refused.out, Catch::Contains("plan 1 was made without knowing the resigned Feishu accounts"));
    const CliResult synced = run(config, {"sync"});
    INFO(synced.out << synced.err);
    CHECK(synced.code == 0);
    int accounts = 0;
    const json::Value state = emu.state();
    for (const json::Value& u : state.find("users")->as_array()) {
      if (u.get_string("employee_no") == "E0015") {
        ++accounts;
        CHECK(u.get_string("user_id") == "E0015"); // the old account
        CHECK(u.find("resigned_at")->is_null());
      }
    }
    CHECK(accounts == 1);
  }
  SECTION("with the secret: found resigned, stored, and planned as a resurrect")
  {
    const CliResult r = run(config, {"plan", file.string()});
    INFO(r.out << r.err);
    CHECK(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("0 creates, 1 updates, 0 deletes, 1 resurrects"));
    CHECK_THAT(r.out, Catch::Contains("E0015 (ou_"));
  }
}
