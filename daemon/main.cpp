// The dirsync executable: everything is in dirsync_core; this only forwards to the CLI.
#include "daemon/cli.hpp"

#include <iostream>

int main(int argc, char** argv)
{
  return dirsync::daemon::run_cli(argc, argv, std::cout, std::cerr);
}
