#include "daemon/instance_lock.hpp"

#include "common/error.hpp"
#include "support/scratch_dir.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

using namespace dirsync;
using namespace dirsync::daemon;
using namespace dirsync::testing;

TEST_CASE("lock_path_for puts the lock beside the database", "[daemon]")
{
  CHECK(lock_path_for("/var/lib/dirsync/mirror.db") == "/var/lib/dirsync/mirror.db.lock");
}

TEST_CASE("InstanceLock refuses a second holder and names the first one's pid", "[daemon]")
{
  ScratchDir dir;
  const auto path = dir / "mirror.db.lock";
  CHECK_FALSE(find_lock_holder(path).has_value()); // no file yet
  {
    InstanceLock first(path);
    const auto holder = find_lock_holder(path);
    REQUIRE(holder.has_value());
    REQUIRE(holder->pid.has_value());
    CHECK(*holder->pid == ::getpid());
    try {
      InstanceLock second(path);
      FAIL("a second lock was taken");
    } catch (const Error& e) {
      CHECK_THAT(e.what(), Catch::Contains("dirsync daemon (pid " + std::to_string(::getpid()) +
                                           ") is already working on this database"));
      CHECK_THAT(e.what(), Catch::Contains(path.string()));
    }
  }
  // Released with its holder: free again, and takeable.
  CHECK_FALSE(find_lock_holder(path).has_value());
  InstanceLock again(path);
  CHECK(find_lock_holder(path).has_value());
}

TEST_CASE("InstanceLock names the command holding it, for the refusal and for status", "[daemon]")
{
  ScratchDir dir;
  const auto path = dir / "mirror.db.lock";
  InstanceLock first(path, "dirsync apply");
  const auto holder = find_lock_holder(path);
  REQUIRE(holder.has_value());
  CHECK(holder->command == "dirsync apply");
  CHECK(holder->pid == ::getpid());
  CHECK_THROWS_WITH(InstanceLock(path, "dirsync refresh"),
                    Catch::Contains("dirsync apply (pid " + std::to_string(::getpid()) + ") is already working"));
}

TEST_CASE("InstanceLock names the folder when the lock cannot be created", "[daemon]")
{
  ScratchDir dir;
  CHECK_THROWS_WITH(InstanceLock(dir / "missing" / "mirror.db.lock"), Catch::Contains("cannot create the instance lock"));
}

TEST_CASE("find_lock_holder says so when it cannot read the lock instead of guessing", "[daemon]")
{
  ScratchDir dir;
  // A lock that cannot be opened (for anyone, root included): its folder is a file.
  const auto not_a_folder = dir.write("mirror.db", "");
  CHECK_THROWS_WITH(find_lock_holder(not_a_folder / "mirror.db.lock"),
                    Catch::Contains("cannot tell whether the daemon runs"));
}
