#include "common/version.hpp"
#include "daemon/cli.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <vector>

namespace {

struct CliResult
{
  int code;
  std::string out;
  std::string err;
};

CliResult run(std::vector<const char*> args)
{
  args.insert(args.begin(), "dirsync");
  std::ostringstream out;
  std::ostringstream err;
  int code = dirsync::daemon::run_cli(static_cast<int>(args.size()), args.data(), out, err);
  return {code, out.str(), err.str()};
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
