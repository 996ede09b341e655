// refresh, apply and sync change the mirror and the tenant: each takes the instance lock, so none
// of them runs beside the daemon or beside each other.
#include "daemon/instance_lock.hpp"
#include "storage/database.hpp"
#include "storage/mirror_store.hpp"
#include "support/cli.hpp"
#include "support/scratch_dir.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

using dirsync::testing::EnvGuard;
using dirsync::testing::run_dirsync;
using dirsync::testing::ScratchDir;

TEST_CASE("refresh, apply and sync refuse to run while another dirsync holds the database",
          "[daemon][lock]")
{
  ScratchDir dir;
  EnvGuard secret("DIRSYNC_APP_SECRET", "test-secret");
  // Nothing listens on port 1: had a command gone past the lock, it would fail differently.
  const auto config = dir.write("dirsync.yaml", "feishu:\n  app_id: cli_test\n  base_url: http://127.0.0.1:1\n"
                                                "storage:\n  database: mirror.db\n");
  const dirsync::daemon::InstanceLock daemon(dirsync::daemon::lock_path_for(dir / "mirror.db"), "dirsync daemon");
  const std::string expected = "dirsync daemon (pid " + std::to_string(::getpid()) + ") is already working on this database";

  auto args = GENERATE(as<std::vector<std::string>>{}, std::vector<std::string>{"refresh"},
                       std::vector<std::string>{"apply", "--plan", "1"}, std::vector<std::string>{"sync"});
  args.insert(args.end(), {"--config", config.string()});
  CAPTURE(args.front());
  const auto r = run_dirsync(args);
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Catch::Contains(expected));

  // Nothing was recorded: no refresh ran.
  dirsync::storage::Database db(dir / "mirror.db");
  CHECK_FALSE(dirsync::storage::MirrorStore(db).find_latest_refresh().has_value());
}
