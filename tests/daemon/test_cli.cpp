#include "common/version.hpp"
#include "support/cli.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <vector>


using dirsync::testing::run_dirsync;

namespace {

auto run(const std::vector<std::string>& args)
{
  return run_dirsync(args);
}

} // namespace

TEST_CASE("dirsync --version and dirsync version print the version", "[cli]")
{
  const std::string expected = "dirsync " + std::string(dirsync::version()) + "\n";
  CHECK(run({"--version"}).out == expected);
  auto r = run({"version"});
  CHECK(r.code == 0);
  CHECK(r.out == expected);
}

TEST_CASE("dirsync without a command or with an unknown one is a usage error", "[cli]")
{
  CHECK(run({}).code == 2);
  auto r = run({"frobnicate"});
  CHECK(r.code == 2);
  CHECK(r.err.find("frobnicate") != std::string::npos);
}

TEST_CASE("dirsync refuses an unknown log level", "[cli]")
{
  auto r = run({"--log-level", "loud", "version"});
  CHECK(r.code == 2);
  CHECK(r.err.find("unknown log level \"loud\"") != std::string::npos);
}

TEST_CASE("dirsync --help lists the commands", "[cli]")
{
  auto r = run({"--help"});
  CHECK(r.code == 0);
  CHECK(r.out.find("version") != std::string::npos);
}
