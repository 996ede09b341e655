// The text of schema.sql, embedded into the binary at build time (cmake/embed_text.cmake turns the
// file into a generated source in the build directory). Database uses it to create a new mirror.db.
#pragma once

#include <string_view>

namespace dirsync::storage {

// The whole of schema.sql, byte for byte.
std::string_view schema_sql();

} // namespace dirsync::storage
