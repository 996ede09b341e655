#include "daemon/cli.hpp"

#include "common/json.hpp"
#include "support/scratch_dir.hpp"
#include "support/status_fixture.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <sstream>

using namespace dirsync;
using namespace dirsync::testing;

namespace {

struct Run
{
  int code;
  std::string out;
  std::string err;
};

Run dirsync_status(const std::filesystem::path& config, bool json)
{
  std::vector<const char*> args{"dirsync", "status", "--config", config.c_str()};
  if (json) {
    args.push_back("--json");
  }
  std::ostringstream out;
  std::ostringstream err;
  const int code = daemon::run_cli(static_cast<int>(args.size()), args.data(), out, err);
  return {code, out.str(), err.str()};
}

} // namespace

TEST_CASE("dirsync status prints the configured database's status without needing the app secret", "[daemon]")
{
  ScratchDir dir;
  ::unsetenv("DIRSYNC_APP_SECRET");
  const auto config = dir.write("dirsync.yaml", "feishu:\n  app_id: cli_x\nstorage:\n  database: state/mirror.db\n"
                                                "hr:\n  inbox: state/inbox\n");
  std::filesystem::create_directories(dir / "state/inbox");
  write_status_fixture(dir / "state/mirror.db");

  const Run text = dirsync_status(config, false);
  INFO(text.err);
  REQUIRE(text.code == 0);
  CHECK_THAT(text.out, Catch::Contains("Daemon:    not running"));
  CHECK_THAT(text.out, Catch::Contains("dirsync approve 2"));

  const Run json_run = dirsync_status(config, true);
  REQUIRE(json_run.code == 0);
  const json::Value status = json::parse(json_run.out);
  CHECK(status.find("held_plans")->size() == 1);
  CHECK(status.find("database")->get_string("path") == (dir / "state/mirror.db").string());
}

TEST_CASE("dirsync status exits 78 on an invalid configuration", "[daemon]")
{
  ScratchDir dir;
  const auto config = dir.write("dirsync.yaml", "feishu:\n  app_id: cli_x\nsync:\n  refresh_interval: 5s\n");
  const Run run = dirsync_status(config, false);
  CHECK(run.code == 78);
  CHECK_THAT(run.err, Catch::Contains("sync.refresh_interval"));
}
