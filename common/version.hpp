#pragma once

#include <string_view>

namespace dirsync {

// The version of this build, from CMake's project(VERSION ...).
std::string_view version();

} // namespace dirsync
