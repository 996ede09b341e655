#include "common/version.hpp"

namespace dirsync {

std::string_view version()
{
  return DIRSYNC_VERSION;
}

} // namespace dirsync
