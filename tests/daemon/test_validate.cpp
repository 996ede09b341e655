#include "common/json.hpp"
#include "config/loader.hpp"
#include "support/cli.hpp"
#include "storage/hr_store.hpp"
#include "sync/intake.hpp"
#include "support/hr_fixtures.hpp"
#include "support/scratch_dir.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <vector>

using namespace dirsync::testing;

namespace {


// A configuration in `dir` with DESIGN.md §5's HR mapping and its database beside it; no secret
// (validate does not talk to Feishu).
std::filesystem::path write_config(const ScratchDir& dir)
{
  return dir.write("dirsync.yaml", "feishu:\n  app_id: cli_test\n  base_url: http://127.0.0.1:1\n"
                                   "storage:\n  database: mirror.db\n");
}

CliResult run(std::vector<std::string> args)
{
  args.insert(args.begin(), {"--log-level", "error"});
  return run_dirsync(args);
}

} // namespace

TEST_CASE("dirsync validate prints the report and exits 0 for an acceptable file", "[cli][validate]")
{
  ScratchDir dir;
  const std::string content = std::string(k_hr_header) + "\n" + hr_row("001", 1) + "\n";
  auto file = dir.write("employees.csv", content);
  auto r = run({"validate", "--config", write_config(dir).string(), file.string()});
  CHECK(r.code == 0);
  CHECK(r.out.rfind("HR file employees.csv: ACCEPTED", 0) == 0);
  // Honest about what it could not check without a database.
  CHECK(r.out.find("shrink check") != std::string::npos);
  CHECK(r.out.find("departments were not checked") != std::string::npos);
  CHECK(read_file(file) == content); // changes nothing
}

TEST_CASE("dirsync validate exits 1 for a file that would be rejected", "[cli][validate]")
{
  ScratchDir dir;
  auto file = dir.write("employees.csv", std::string(k_hr_header) + "\n");
  auto r = run({"validate", "--config", write_config(dir).string(), file.string()});
  CHECK(r.code == 1);
  CHECK(r.out.rfind("HR file employees.csv: REJECTED", 0) == 0);
  CHECK(dirsync::testing::read_file(file) == std::string(k_hr_header) + "\n");
}

TEST_CASE("dirsync validate --json prints the machine report only", "[cli][validate]")
{
  ScratchDir dir;
  auto file = dir.write("e.csv", std::string(k_hr_header) + "\n" + hr_row("001", 1) + "\n" +
                                   "002,李四,bad,,总部,,,,,在职\n" + hr_row("003", 3) + "\n");
  auto r = run({"validate", "--config", write_config(dir).string(), "--json", file.string()});
  CHECK(r.code == 0);
  auto j = dirsync::json::parse(r.out);
  CHECK(j.get_bool("accepted"));
  CHECK(j.find("counts")->get_int("invalid_rows") == 1);
}

TEST_CASE("dirsync validate names a file it cannot read", "[cli][validate]")
{
  ScratchDir dir;
  auto r = run({"validate", "--config", write_config(dir).string(), "/nonexistent/employees.csv"});
  CHECK(r.code == 1);
  CHECK(r.err.find("cannot open HR file /nonexistent/employees.csv") != std::string::npos);
  CHECK(run({"validate"}).code == 2);
}

TEST_CASE("dirsync validate consults the database read-only: the shrink gate, nothing recorded",
          "[cli][validate]")
{
  ScratchDir dir;
  const auto config_file = write_config(dir);
  const auto config = dirsync::config::load_config(config_file, dirsync::config::SecretUse::optional);
  std::string big(k_hr_header);
  std::string small(k_hr_header);
  for (int i = 1; i <= 40; ++i) {
    big += "\n" + hr_row("E" + std::to_string(i), i);
    if (i <= 20) {
      small += "\n" + hr_row("E" + std::to_string(i), i);
    }
  }
  {
    dirsync::storage::Database db(config.storage.database);
    REQUIRE(dirsync::sync::intake_file(db, config, dir.write("big.csv", big + "\n")).result.report.accepted);
  }

  auto r = run({"validate", "--config", config_file.string(), dir.write("small.csv", small + "\n").string()});
  CHECK(r.code == 1);
  CHECK(r.out.find("50.0% fewer") != std::string::npos);

  dirsync::storage::Database db(config.storage.database, dirsync::storage::OpenMode::read_only);
  auto latest = dirsync::storage::HrStore(db).find_latest_accepted();
  REQUIRE(latest);
  CHECK(latest->name == "big.csv"); // validate recorded nothing
}

TEST_CASE("dirsync validate reads the hr settings of --config", "[cli][validate]")
{
  ScratchDir dir;
  auto config = dir.write("conf/dirsync.yaml", "feishu:\n"
                                               "  app_id: cli_test\n"
                                               "storage:\n"
                                               "  database: mirror.db\n"
                                               "hr:\n"
                                               "  mode: delta\n"
                                               "  columns: { employee_no: EmpNo, name: Name, email: Email, department: Dept }\n");
  auto file = dir.write("delta.csv", "EmpNo,Name,Email,Dept\n007,Bond,James.Bond@Example.com,MI6/00\n");
  auto r = run({"--config", config.string(), "validate", "--json", file.string()});
  REQUIRE(r.code == 0);
  auto j = dirsync::json::parse(r.out);
  CHECK(j.get_string("mode") == "delta");
  CHECK(j.find("counts")->get_int("accepted_rows") == 1);

  // The mapping of DESIGN.md §5 would have rejected the file for its columns.
  auto builtin = run({"validate", "--config", write_config(dir).string(), file.string()});
  CHECK(builtin.code == 1);
  CHECK(builtin.out.find("the file lacks the column(s)") != std::string::npos);

  auto bad = dir.write("conf/bad.yaml", "hr:\n  colums: {}\n");
  CHECK(run({"--config", bad.string(), "validate", file.string()}).code == 78);
}
