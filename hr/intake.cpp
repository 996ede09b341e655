#include "hr/intake.hpp"

#include "common/error.hpp"
#include "hr/csv_reader.hpp"
#include "hr/decode.hpp"
#include "hr/json_reader.hpp"
#include "hr/roster_checks.hpp"
#include "hr/row_mapper.hpp"
#include "hr/sha256.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_set>

namespace dirsync::hr {

namespace {

// Feeds the records of a reader through the RowMapper, keeping every mapped row for the checks
// that span rows.
//
// Rows are mapped one after the other. (Mapping on several threads was tried when libphonenumber,
// at ~12 µs per mobile, took most of the time: it serializes its callers on an internal lock, so
// two threads were no faster than one. MobileNormalizer's memo has since removed that cost; see
// docs/benchmarks.md.)
class MappingSink : public TableSink
{
public:
  MappingSink(RowMapper& mapper, Report& report) : m_mapper(mapper), m_report(report) {}

  void on_header(std::size_t, std::vector<std::string> columns) override
  {
    m_bound = m_mapper.bind(columns, m_report);
    if (m_bound && !m_csv_text.empty()) {
      // Reserve once for the rows to come, so that a million rows are not moved around while the
      // vector grows. The estimate: lines with as many commas as a row needs, which real rows
      // have and junk (blank lines, a stray column) does not.
      const std::size_t commas_needed = columns.empty() ? 0 : columns.size() - 1;
      std::size_t estimate = 0;
      std::string_view text = m_csv_text;
      while (true) {
        const std::size_t line_end = text.find('\n');
        const std::string_view line = text.substr(0, line_end);
        const auto commas = static_cast<std::size_t>(std::count(line.begin(), line.end(), ','));
        if (line_end == std::string_view::npos) {
          estimate += commas >= commas_needed && commas > 0 ? 1 : 0;
          break;
        }
        estimate += commas >= commas_needed ? 1 : 0;
        text.remove_prefix(line_end + 1);
      }
      m_rows.people.reserve(estimate);
      m_rows.ok.reserve(estimate);
    }
    m_report.columns = std::move(columns);
  }

  // For a CSV file: lets on_header() estimate how many rows will come.
  void estimate_rows_from(std::string_view csv_text) { m_csv_text = csv_text; }

  void on_record(std::size_t row, std::vector<Cell>& cells) override
  {
    ++m_data_rows;
    if (!m_bound) {
      return;
    }
    auto mapped = m_mapper.map(row, cells, m_report);
    m_rows.people.push_back(std::move(mapped.person));
    m_rows.ok.push_back(mapped.ok ? 1 : 0);
  }

  void on_unreadable_record(std::size_t) override { ++m_data_rows; }

  MappedRows& rows() { return m_rows; }
  std::size_t data_rows() const { return m_data_rows; }

private:
  RowMapper& m_mapper;
  Report& m_report;
  MappedRows m_rows;
  std::string_view m_csv_text;
  std::size_t m_data_rows = 0;
  bool m_bound = false;
};

void fatal(Report& report, std::string code, std::string message)
{
  report.add({0, {}, {}, Severity::fatal, std::move(code), std::move(message)});
}

// The file-level gates, once the rows are known.
void apply_gates(Report& report, const config::SafetyConfig& safety, const IntakeContext& context)
{
  const auto& c = report.counts;
  const std::string_view word = row_word(report.format);
  if (c.data_rows == 0) {
    fatal(report, "no_rows",
          fmt::format("the file has a header but no data {}s; an empty export is never taken to "
                      "mean that everyone left",
                      word));
    return;
  }
  if (c.accepted_rows == 0) {
    fatal(report, "no_valid_rows",
          fmt::format("none of the {} {}s can be used; see the problems below", c.data_rows, word));
    return;
  }
  if (c.invalid_rows * 2 > c.data_rows) {
    fatal(report, "too_many_invalid",
          fmt::format("{} of {} {}s have errors, more than half: a file this broken is more "
                      "likely a wrong export or a wrong hr.columns/hr.values than a few bad rows",
                      c.invalid_rows, c.data_rows, word));
  }
  if (report.mode != config::HrMode::full) {
    return;
  }
  if (!context.history_available) {
    report.add({0, {}, {}, Severity::info, "check_skipped",
                "the shrink check (sync.safety.max_source_shrink_percent) was skipped: there is no "
                "record of the last accepted export to compare with"});
    return;
  }
  if (!context.previous_present || *context.previous_present == 0) {
    return;
  }
  const double previous = static_cast<double>(*context.previous_present);
  const double shrink = (previous - static_cast<double>(c.present)) * 100.0 / previous;
  if (shrink > safety.max_source_shrink_percent) {
    fatal(report, "source_shrink",
          fmt::format("the file lists {} people (active rows and rows held for errors) but the last "
                      "accepted export listed {}: {:.1f}% fewer, more than "
                      "sync.safety.max_source_shrink_percent ({}%). A cut-off or partial export must "
                      "not turn into mass departures. If this many people really left, raise the "
                      "limit for this one file, or send the leavers as rows with status terminated",
                      c.present, *context.previous_present, shrink, safety.max_source_shrink_percent));
  }
}

} // namespace

std::optional<config::HrFormat> find_format(std::string_view file_name, config::HrFormat configured)
{
  if (configured != config::HrFormat::auto_detect) {
    return configured;
  }
  std::string ext = std::filesystem::path(file_name).extension().string();
  for (char& ch : ext) {
    if (ch >= 'A' && ch <= 'Z') {
      ch = static_cast<char>(ch - 'A' + 'a');
    }
  }
  if (ext == ".csv") {
    return config::HrFormat::csv;
  }
  if (ext == ".json") {
    return config::HrFormat::json;
  }
  if (ext == ".jsonl" || ext == ".ndjson") {
    return config::HrFormat::jsonl;
  }
  return std::nullopt;
}

IntakeResult read_export(std::string_view file_name, std::string bytes, const config::HrConfig& hr,
                         const config::SafetyConfig& safety, const IntakeContext& context)
{
  IntakeResult result;
  Report& report = result.report;
  report.file_name = std::string(file_name);
  report.sha256 = sha256_hex(bytes);
  report.size = bytes.size();
  report.mode = hr.mode;
  report.checked_at = context.now != 0 ? context.now : static_cast<std::int64_t>(std::time(nullptr));

  RowMapper mapper(hr); // throws ConfigError for a config the loader should have refused
  const auto format = find_format(file_name, hr.format);
  if (!format) {
    fatal(report, "unknown_format",
          fmt::format("cannot tell the format of \"{}\" from its name; name it .csv, .json, .jsonl "
                      "or .ndjson, or set hr.format",
                      file_name));
  } else {
    report.format = *format;
  }

  if (format) {
    DecodedText decoded = decode_text(std::move(bytes), hr.encoding);
    if (!decoded.ok) {
      fatal(report, "decode_error", decoded.note);
    } else {
      report.encoding = decoded.encoding;
      if (!decoded.note.empty()) {
        report.add({0, {}, {}, Severity::info, "encoding", decoded.note});
      }
      MappingSink sink(mapper, report);
      if (*format == config::HrFormat::csv) {
        sink.estimate_rows_from(decoded.text);
      }
      switch (*format) {
      case config::HrFormat::json:
        read_json_array(decoded.text, sink, report);
        break;
      case config::HrFormat::jsonl:
        read_json_lines(decoded.text, sink, report);
        break;
      default:
        read_csv(decoded.text, sink, report);
        break;
      }
      // Free the text before the checks that span rows. (Assigning an empty string would not:
      // libstdc++ keeps the capacity, which held a copy of the file's size through the peak.)
      std::string().swap(decoded.text);

      auto& rows = sink.rows();
      auto& counts = report.counts;
      counts.data_rows = sink.data_rows();
      if (!report.has_fatal()) {
        check_rows(rows, {hr.mode, hr.department_key, &mapper, &context}, report);
        if (mapper.numeric_employee_numbers() > 0) {
          report.add({0, mapper.column_of(Field::employee_no), {}, Severity::warning, "numeric_employee_no",
                      fmt::format("{} employee number(s) are JSON numbers, not strings. A JSON number "
                                  "cannot keep leading zeros: if HR's numbers have them (00123), these "
                                  "rows will not match anyone. Export employee numbers as strings",
                                  mapper.numeric_employee_numbers())});
        }
      }
      {
        std::unordered_set<std::string_view> employees;
        employees.reserve(rows.people.size());
        for (std::size_t i = 0; i < rows.people.size(); ++i) {
          const Person& p = rows.people[i];
          if (!p.employee_no.empty()) {
            employees.insert(p.employee_no);
          }
          if (rows.ok[i] != 0) {
            ++counts.accepted_rows;
            ++(p.status == EmploymentStatus::active ? counts.active : counts.terminated);
          } else if (!p.employee_no.empty()) {
            result.roster.held_employee_nos.push_back(p.employee_no);
          }
        }
        counts.employees = employees.size();
      }
      counts.invalid_rows = counts.data_rows - counts.accepted_rows;
      counts.present = counts.active + result.roster.held_employee_nos.size();
      if (!report.has_fatal()) {
        apply_gates(report, safety, context);
      }
      if (!report.has_fatal()) {
        // The accepted people become the roster in place: no second copy of a large file's rows.
        std::size_t kept = 0;
        for (std::size_t i = 0; i < rows.people.size(); ++i) {
          if (rows.ok[i] != 0) {
            if (kept != i) {
              rows.people[kept] = std::move(rows.people[i]);
            }
            ++kept;
          }
        }
        rows.people.resize(kept);
        result.roster.people = std::move(rows.people);
      }
    }
  }

  report.accepted = !report.has_fatal();
  if (!report.accepted) {
    result.roster = Roster{};
    for (const auto& p : report.problems) {
      if (p.severity == Severity::fatal) {
        report.rejection_reasons.push_back(p.message);
      }
    }
  }
  std::stable_sort(report.problems.begin(), report.problems.end(),
                   [](const Problem& a, const Problem& b) { return a.row < b.row; });
  return result;
}

IntakeResult read_export_file(const std::filesystem::path& file, const config::HrConfig& hr,
                              const config::SafetyConfig& safety, const IntakeContext& context)
{
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw InputError(fmt::format("cannot open HR file {}: {}", file.string(), std::strerror(errno)));
  }
  std::string bytes;
  struct stat st{};
  int error = 0;
  if (::fstat(fd, &st) != 0) {
    error = errno;
  } else if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw InputError(fmt::format("cannot read HR file {}: it is not a regular file", file.string()));
  } else {
    bytes.reserve(static_cast<std::size_t>(st.st_size));
    char buffer[1 << 16];
    while (true) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        error = errno;
        break;
      }
      if (n == 0) {
        break;
      }
      bytes.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  if (error != 0) {
    throw InputError(fmt::format("cannot read HR file {}: {}", file.string(), std::strerror(error)));
  }
  return read_export(file.filename().string(), std::move(bytes), hr, safety, context);
}

} // namespace dirsync::hr
