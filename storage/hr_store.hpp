// What HR sent, as stored: the hr_files and hr_rows tables (DESIGN.md §7 source gate, §11).
//
// Every HR file dirsync reads is recorded, accepted or rejected, with its report; an accepted
// file's valid rows are the roster plans are made from (and its invalid rows are kept, marked,
// so admins can see them in v_rejected_rows).
#pragma once

#include "hr/intake.hpp"
#include "storage/database.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace dirsync::storage {

struct HrFileRecord
{
  std::int64_t id = 0;
  std::string path;
  std::string name;
  std::string moved_to;   // empty while in place
  std::string sha256;
  std::string mode;       // "full" | "delta"
  std::int64_t received_at = 0;
  bool accepted = false;
  std::string reason;     // why it was rejected
  std::int64_t rows_total = 0;
  std::int64_t rows_valid = 0;
  std::int64_t rows_invalid = 0;
  std::int64_t present = 0; // people the file lists (the shrink gate's measure)
};

class HrStore
{
public:
  explicit HrStore(Database& db);

  // Records one read file: its report, and for an accepted file its rows (valid and invalid), in
  // one transaction. Returns the new hr_files id.
  std::int64_t record(const std::filesystem::path& file, const hr::IntakeResult& result);
  // Notes where the file was moved (archive/ or rejected/).
  void set_moved_to(std::int64_t hr_file_id, const std::filesystem::path& moved_to);

  std::optional<HrFileRecord> find_file(std::int64_t hr_file_id) const;
  // The newest accepted file of the given mode ("full" or "delta"), or of any mode when empty.
  std::optional<HrFileRecord> find_latest_accepted(const std::string& mode = {}) const;
  // The roster of an accepted file: its valid rows as Persons, and the employee numbers of its
  // invalid rows (held). Throws StorageError if the file is unknown or was rejected.
  hr::Roster load_roster(std::int64_t hr_file_id) const;
  // The departments of the mirror, as the HR department check wants them (paths of names, and the
  // tenant's department ids).
  hr::KnownDepartments load_known_departments() const;
  // Whether the mirror has a user with this employee number (for delta files' leaders).
  bool has_employee(const std::string& employee_no) const;

private:
  Database& m_db;
};

} // namespace dirsync::storage
