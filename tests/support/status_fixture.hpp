// A small database with one of everything `dirsync status` reports: refresh runs, departments,
// users in each mirror state, a link, HR files accepted and rejected, a done plan with a failed
// operation and a held plan. Written with SQL directly (the stores that write these rows belong to
// other modules and need not exist for status to be tested).
#pragma once

#include <filesystem>

namespace dirsync::testing {

// Creates `database` (read-write, current schema) and fills it as described above.
void write_status_fixture(const std::filesystem::path& database);

} // namespace dirsync::testing
