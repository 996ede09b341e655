#include "sync/intake.hpp"

#include "storage/hr_store.hpp"

#include <spdlog/spdlog.h>

namespace dirsync::sync {

hr::IntakeContext intake_context(const storage::HrStore& store)
{
  hr::IntakeContext context;
  // The shrink gate compares a full export with the last accepted full export.
  if (auto previous = store.find_latest_accepted("full")) {
    context.previous_present = static_cast<std::size_t>(previous->present);
  }
  // Before the first refresh the mirror knows no departments: the check is then skipped (the
  // report says so) rather than failing every row.
  if (auto known = store.load_known_departments(); !known.paths.empty() || !known.ids.empty()) {
    context.known_departments = std::move(known);
  }
  context.is_known_employee = [&store](const std::string& employee_no) {
    return store.has_employee(employee_no);
  };
  return context;
}

IntakeOutcome intake_file(storage::Database& db, const config::Config& config,
                          const std::filesystem::path& file)
{
  storage::HrStore store(db);
  IntakeOutcome outcome;
  outcome.result = hr::read_export_file(file, config.hr, config.sync.safety, intake_context(store));
  outcome.hr_file_id = store.record(file, outcome.result);

  const hr::Report& report = outcome.result.report;
  if (report.accepted) {
    spdlog::info("HR file {} accepted (id {}): {} people, {} rows with errors, {} warnings",
                 report.file_name, outcome.hr_file_id, report.counts.accepted_rows,
                 report.counts.invalid_rows, report.counts.warnings);
  } else {
    spdlog::warn("HR file {} rejected (id {}): {}", report.file_name, outcome.hr_file_id,
                 report.rejection_reasons.empty() ? std::string("see its report")
                                                  : report.rejection_reasons.front());
  }
  return outcome;
}

} // namespace dirsync::sync
