// libFuzzer target for HR intake of CSV files: arbitrary bytes go through decoding (UTF-8, BOM,
// GB18030 detection), the libcsv reader, mapping, normalization, the checks and both report
// forms. Besides crashes and sanitizer findings, it traps when an invariant breaks:
//  - the CSV reader hands out records exactly as wide as the header;
//  - a rejected file has an empty roster and a reason; an accepted one has rows, each with an
//    employee number, and counts that add up;
//  - the JSON report parses back to what was written.
#include "common/json.hpp"
#include "hr/csv_reader.hpp"
#include "hr/intake.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

using namespace dirsync;

void check(bool ok)
{
  if (!ok) {
    __builtin_trap();
  }
}

struct WidthSink : hr::TableSink
{
  std::size_t width = 0;
  bool header = false;
  void on_header(std::size_t, std::vector<std::string> columns) override
  {
    check(!header);
    header = true;
    width = columns.size();
  }
  void on_record(std::size_t row, std::vector<hr::Cell>& cells) override
  {
    check(header && row >= 2 && cells.size() == width);
  }
  void on_unreadable_record(std::size_t row) override { check(header && row >= 2); }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  const std::string bytes(reinterpret_cast<const char*>(data), size);

  {
    WidthSink sink;
    hr::Report report;
    hr::read_csv(bytes, sink, report);
  }

  static const config::HrConfig hr_config = [] {
    config::HrConfig c;
    c.format = config::HrFormat::csv;
    return c;
  }();
  static const config::SafetyConfig safety;
  hr::IntakeContext context;
  context.now = 1;
  context.previous_present = 3;

  auto result = hr::read_export("fuzz.csv", bytes, hr_config, safety, context);
  const auto& report = result.report;
  const auto& counts = report.counts;
  if (report.accepted) {
    check(report.rejection_reasons.empty());
    check(!result.roster.people.empty());
    check(result.roster.people.size() == counts.accepted_rows);
    check(counts.accepted_rows + counts.invalid_rows == counts.data_rows);
    check(counts.active + counts.terminated == counts.accepted_rows);
    for (const auto& p : result.roster.people) {
      check(!p.employee_no.empty() && p.row >= 2);
    }
  } else {
    check(!report.rejection_reasons.empty());
    check(result.roster.people.empty() && result.roster.held_employee_nos.empty());
  }
  const auto j = hr::to_json(report);
  check(json::parse(j.dump()) == j);
  check(!hr::to_text(report).empty());
  return 0;
}
