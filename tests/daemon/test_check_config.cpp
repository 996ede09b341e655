#include "support/cli.hpp"
#include "support/scratch_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using dirsync::testing::CliResult;
using dirsync::testing::EnvGuard;

namespace {

auto run(const std::vector<std::string>& args)
{
  return dirsync::testing::run_dirsync(args);
}


const std::string k_example = std::string(DIRSYNC_SOURCE_DIR) + "/examples/dirsync.yaml";

} // namespace

TEST_CASE("dirsync check-config accepts the example and prints a summary without the secret", "[cli][config]")
{
  EnvGuard credentials("CREDENTIALS_DIRECTORY", std::nullopt);
  EnvGuard secret("DIRSYNC_APP_SECRET", "demo-secret");
  EnvGuard config("DIRSYNC_CONFIG", std::nullopt);

  const auto r = run({"check-config", "--config", k_example.c_str()});
  INFO(r.err);
  CHECK(r.code == 0);
  CHECK(r.out.rfind(k_example + ": OK\n", 0) == 0);
  CHECK(r.out.find("cli_demo at http://127.0.0.1:18080") != std::string::npos);
  CHECK(r.out.find("from environment variable DIRSYNC_APP_SECRET") != std::string::npos);
  CHECK(r.out.find(std::string(DIRSYNC_SOURCE_DIR) + "/examples/demo-state/mirror.db") != std::string::npos);
  CHECK(r.out.find("demo-secret") == std::string::npos);
  CHECK(r.err.empty());

  // --config before the command works too.
  CHECK(run({"--config", k_example.c_str(), "check-config"}).code == 0);
}

TEST_CASE("dirsync check-config exits 78 with file:line:col for a misspelled key", "[cli][config]")
{
  EnvGuard credentials("CREDENTIALS_DIRECTORY", std::nullopt);
  EnvGuard secret("DIRSYNC_APP_SECRET", "demo-secret");
  dirsync::testing::ScratchDir dir;
  const auto file = dir.write("dirsync.yaml", "feishu:\n  app_id: cli_demo\nsync:\n  apply_mod: manual\n");

  const auto r = run({"check-config", "--config", file.c_str()});
  CHECK(r.code == 78);
  CHECK(r.out.empty());
  CHECK(r.err == file.string() + ":4:3: sync.apply_mod: unknown key (did you mean `apply_mode`?)\n");
}

TEST_CASE("dirsync check-config exits 78 for a rate limit of an unknown Feishu endpoint", "[cli][config]")
{
  EnvGuard credentials("CREDENTIALS_DIRECTORY", std::nullopt);
  EnvGuard secret("DIRSYNC_APP_SECRET", "demo-secret");
  dirsync::testing::ScratchDir dir;
  const auto good = dir.write("good.yaml", "feishu:\n  app_id: cli_demo\n  rate_limits:\n    user_create: [5/s]\n");
  CHECK(run({"check-config", "--config", good.c_str()}).code == 0);

  const auto file = dir.write("dirsync.yaml", "feishu:\n  app_id: cli_demo\n  rate_limits:\n    user_creat: [5/s]\n");
  const auto r = run({"check-config", "--config", file.c_str()});
  CHECK(r.code == 78);
  CHECK(r.out.empty());
  CHECK(r.err.rfind(file.string() + ": feishu.rate_limits.user_creat: unknown endpoint name; known names are: "
                                    "tenant_access_token, user_create, ",
                    0) == 0);
}

TEST_CASE("dirsync check-config lists every problem and never the secret", "[cli][config]")
{
  EnvGuard credentials("CREDENTIALS_DIRECTORY", std::nullopt);
  EnvGuard secret("DIRSYNC_APP_SECRET", "very-secret-value");
  dirsync::testing::ScratchDir dir;
  const auto file = dir.write("dirsync.yaml", "feishu:\n  app_id: cli_demo\n  app_secret: very-secret-value\n"
                                              "sync:\n  refresh_interval: 1s\n");

  const auto r = run({"check-config", "--config", file.c_str()});
  CHECK(r.code == 78);
  CHECK(r.err.find(file.string() + ":3:3: feishu.app_secret: ") != std::string::npos);
  CHECK(r.err.find(file.string() + ":5:3: sync.refresh_interval: must be at least 30s (got \"1s\")\n") !=
        std::string::npos);
  CHECK(r.err.find("very-secret-value") == std::string::npos);
}

TEST_CASE("dirsync takes the default configuration path from DIRSYNC_CONFIG", "[cli][config]")
{
  EnvGuard credentials("CREDENTIALS_DIRECTORY", std::nullopt);
  EnvGuard secret("DIRSYNC_APP_SECRET", "demo-secret");
  dirsync::testing::ScratchDir dir;

  {
    EnvGuard config("DIRSYNC_CONFIG", k_example);
    const auto r = run({"check-config"});
    CHECK(r.code == 0);
    CHECK(r.out.rfind(k_example + ": OK\n", 0) == 0);

    // --config still wins over the variable.
    const auto missing = (dir / "missing.yaml").string();
    const auto given = run({"check-config", "--config", missing.c_str()});
    CHECK(given.code == 78);
    CHECK(given.err == missing + ": cannot read the configuration file: No such file or directory\n");
  }
  {
    EnvGuard config("DIRSYNC_CONFIG", std::nullopt);
    const auto help = run({"--help"});
    CHECK(help.out.find("/etc/dirsync/dirsync.yaml") != std::string::npos);
  }
}
