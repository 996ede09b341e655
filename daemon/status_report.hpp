// The status of a dirsync installation, as `dirsync status [--json]` prints it and the daemon's
// /status serves it: whether a daemon runs (its lock) and how its last cycle went, the last
// refresh runs and plans, held plans and how to release them, failed operations, files waiting
// in the inbox, HR files, and the mirror's counts.
//
// The daemon's own view (last cycle, counters) reaches other processes through a small state file
// beside the database (DATABASE.daemon.json) that the daemon rewrites after each cycle, atomically.
#pragma once

#include "common/json.hpp"
#include "config/config.hpp"

#include <cstdint>
#include <filesystem>
#include <string>

namespace dirsync::daemon {

struct ServiceStats;

// DATABASE.daemon.json beside the database.
std::filesystem::path daemon_state_path_for(const std::filesystem::path& database);

// Writes the loop's statistics to `path` (via a temporary file and rename). Throws Error.
void write_daemon_state(const std::filesystem::path& path, const ServiceStats& stats);

// The status as JSON (the schema is in docs/operations.md). Opens the database read-only; throws
// StorageError when it cannot (a database that does not exist yet is reported, not thrown).
json::Value build_status(const config::Config& config);

// The same for a person at a terminal. `now` is unix seconds.
std::string status_text(const json::Value& status, std::int64_t now);

} // namespace dirsync::daemon
