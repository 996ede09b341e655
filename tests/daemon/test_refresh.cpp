#include "support/cli.hpp"
#include "support/emulator_process.hpp"
#include "support/scratch_dir.hpp"
#include "sync/refresh_fixtures.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

using dirsync::testing::CliResult;

namespace {

dirsync::testing::CliResult run_refresh(const std::filesystem::path& config)
{
  return dirsync::testing::run_dirsync({"refresh", "--config", config.string()});
}


std::filesystem::path write_config(const dirsync::testing::ScratchDir& dir, const std::string& base_url)
{
  const auto secret = dir.write("app_secret", "test-secret");
  std::filesystem::permissions(secret, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::replace);
  return dir.write("dirsync.yaml", fmt::format("feishu:\n"
                                               "  base_url: {}\n"
                                               "  app_id: cli_test\n"
                                               "  app_secret_file: app_secret\n"
                                               "  max_attempts: 1\n"
                                               "storage:\n"
                                               "  database: mirror.db\n",
                                               base_url));
}

} // namespace

TEST_CASE("dirsync refresh exits 0 with a summary, 3 when the mirror gate refuses, 1 when it fails",
          "[daemon][refresh][emulator]")
{
  dirsync::testing::ScratchDir dir;
  dirsync::testing::EmulatorProcess emu(dirsync::testing::refresh_test_tenant(300, 30), {"--rate-limit-scale", "50"});
  const auto config = write_config(dir, emu.base_url());

  const auto ok = run_refresh(config);
  CHECK(ok.code == 0);
  CHECK_THAT(ok.out, Catch::Contains("refresh 1: ok"));
  CHECK_THAT(ok.out, Catch::Contains("270 listed: 270 added, 0 changed, 0 resigned, 0 out of scope"));

  auto narrowed = emu.state();
  narrowed["apps"].as_array()[0].set("scope", dirsync::json::Value::string_array({"D0001"}));
  emu.seed(narrowed);
  const auto refused = run_refresh(config);
  CHECK(refused.code == 3);
  CHECK_THAT(refused.out, Catch::Contains("refresh 2: NOT TRUSTED, the mirror was left as it was"));

  const auto unreachable = run_refresh(
    write_config(dir, fmt::format("http://127.0.0.1:{}", dirsync::testing::find_free_loopback_port())));
  CHECK(unreachable.code == 1);
  CHECK_THAT(unreachable.out, Catch::Contains("refresh 3: FAILED"));
}
