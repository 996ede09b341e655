// Intake: one HR file in, recorded in the database with its report, and its roster out
// (DESIGN.md §2 "intake", §7 source gate, §11).
//
// It gives hr/ what it needs from the database (the size of the last accepted full export for the
// shrink gate, the mirror's departments for the department check, the mirror's employee numbers for
// delta files), reads and checks the file, and records the result. It never moves or deletes the
// file: the inbox moves it afterwards, with its reports (hr::Inbox::file_away, then
// storage::HrStore::set_moved_to).
#pragma once

#include "config/config.hpp"
#include "hr/intake.hpp"
#include "storage/database.hpp"
#include "storage/hr_store.hpp"

#include <cstdint>
#include <filesystem>

namespace dirsync::sync {

struct IntakeOutcome
{
  std::int64_t hr_file_id = 0;
  hr::IntakeResult result; // result.report.accepted says whether a plan may be made from it
};

// What the database tells intake: the size of the last accepted full export (shrink gate), the
// mirror's departments (none before the first refresh: the check is then skipped), and whether an
// employee number is known (delta files' leaders). The result refers to `store`: keep it alive.
hr::IntakeContext intake_context(const storage::HrStore& store);

// Reads, checks and records `file`. Throws InputError when the file cannot be read at all (it is
// then not recorded), StorageError when the database fails.
IntakeOutcome intake_file(storage::Database& db, const config::Config& config,
                          const std::filesystem::path& file);

} // namespace dirsync::sync
