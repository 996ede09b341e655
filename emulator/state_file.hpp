// The --state file: the tenant in seed format, read at start and rewritten after changes.
//
// Writes are atomic: the JSON goes to a temporary file beside the target, is flushed to disk, and
// then renamed over the target, so a crash leaves either the old state or the new one, never half.
#pragma once

#include "common/json.hpp"

#include <filesystem>
#include <optional>

namespace dirsync::emulator {

// The JSON in `path`, or nullopt when the file does not exist. Throws InputError when it exists but
// cannot be read or parsed (the message names the file and, for JSON errors, line and column).
std::optional<json::Value> try_load_json_file(const std::filesystem::path& path);

// Writes `value` to `path` atomically (temporary file, fsync, rename). Throws Error on failure.
void save_json_file_atomically(const std::filesystem::path& path, const json::Value& value);

} // namespace dirsync::emulator
