#include "hr/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <map>

namespace dirsync::hr {

namespace {

// At most this many problems are spelled out in the text report; the JSON report has them all.
constexpr std::size_t k_text_problem_limit = 2000;

// What a person can do about each kind of problem.
const std::map<std::string_view, std::string_view>& advice()
{
  static const std::map<std::string_view, std::string_view> k_advice{
    {"decode_error", "Save the export as \"CSV UTF-8\" (or plain CSV from Excel in China, which is "
                     "GB18030) and drop it in the inbox again."},
    {"unknown_format", "Name the file .csv, .json or .jsonl, or set hr.format in the configuration."},
    {"empty_file", "The export job produced nothing. Check the HR system's export and send the file "
                   "again."},
    {"truncated", "The file was cut off (an interrupted upload or a full disk?). Send the complete "
                  "file again; upload under a temporary name (.part/.tmp) and rename it when done."},
    {"csv_syntax", "A value contains a quote or comma that is not escaped. Export with a tool that "
                   "quotes values (Excel does), or fix the row named."},
    {"json_syntax", "Fix the JSON at the place named (a validator such as `jq . FILE` shows it)."},
    {"json_shape", "The file must be an array of objects, one per employee, or one object per line "
                   "(.jsonl)."},
    {"not_an_object", "Each item must be an object such as {\"工号\": \"00123\", ...}."},
    {"duplicate_key", "Remove the repeated key from the object."},
    {"missing_column", "Add the missing column(s) to the export, or change hr.columns to the names "
                       "the export uses. Every mapped column must be present: a missing column "
                       "would look like every value in it being erased."},
    {"duplicate_column", "Remove or rename the repeated column in the export."},
    {"field_count", "The row has more or fewer values than the header: usually a comma inside a "
                    "value that is not in quotes. Fix the row in HR (or quote the value)."},
    {"duplicate_employee_no", "Each employee number must be on one row only. Remove the extra rows "
                              "(or fix the numbers) in HR and export again."},
    {"duplicate_email", "Two active people cannot share an email in Feishu. Fix one of them in HR."},
    {"duplicate_mobile", "Two active people cannot share a mobile in Feishu. Fix one of them in HR."},
    {"missing_value", "Fill in the required value in HR."},
    {"missing_contact", "Give the person an email or a mobile in HR; Feishu needs one to create an "
                        "account."},
    {"bad_email", "Correct the address in HR (name@example.com)."},
    {"bad_mobile", "Correct the number in HR. Numbers outside the default region need their "
                   "country code (+852 ..., +1 ...)."},
    {"bad_date", "Write dates as YYYY-MM-DD (2024-03-01); in Excel, format the column as a date or "
                 "as text."},
    {"bad_employee_no", "Keep employee numbers as text: in Excel, format the column as text before "
                        "exporting; in JSON, write them as strings."},
    {"bad_type", "Use a plain text (or number) value here."},
    {"bad_department", "Write the department as its path from the top, levels separated by "
                       "hr.department_separator (总部/技术部/后端组)."},
    {"unknown_value", "Use one of the values listed, or add the HR value to hr.values in the "
                      "configuration."},
    {"unknown_department", "Create the department in Feishu first, or correct the department in HR."},
    {"self_leader", "Leave the person's leader empty or name their real leader."},
    {"leader_cycle", "Break the cycle in HR: someone at the top of the chain must have no leader "
                     "(or a leader outside the chain)."},
    {"leader_not_found", "Add the leader's row to the export, correct the leader's employee number, "
                         "or leave it empty."},
    {"leader_held", "Fix the leader's own row; this row is used meanwhile."},
    {"leader_left", "Give the person a new leader in HR."},
    {"leader_unchecked", "Nothing to do now; the leader is looked up when the file is planned."},
    {"numeric_employee_no", "Export employee numbers as JSON strings (\"00123\")."},
    {"no_rows", "The export has a header only. Check the HR system's export and send the file again."},
    {"no_valid_rows", "Fix the problems listed below and send the file again."},
    {"too_many_invalid", "Check hr.columns, hr.values and the export's format first: when most rows "
                         "are wrong, the cause is usually the file or the configuration, not the "
                         "rows."},
    {"source_shrink", "Check that the export is complete. If the people really left, send them as "
                      "rows with status terminated, or raise sync.safety.max_source_shrink_percent "
                      "for this one file."},
  };
  return k_advice;
}

std::string format_time(std::int64_t t)
{
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string capitalized(std::string_view word)
{
  std::string s(word);
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') {
    s[0] = static_cast<char>(s[0] - 'a' + 'A');
  }
  return s;
}

} // namespace

std::string_view to_string(Severity severity)
{
  switch (severity) {
  case Severity::info:
    return "info";
  case Severity::warning:
    return "warning";
  case Severity::error:
    return "error";
  case Severity::fatal:
    return "fatal";
  }
  return "error";
}

std::string_view to_string(config::HrFormat format)
{
  switch (format) {
  case config::HrFormat::auto_detect:
    return "auto";
  case config::HrFormat::csv:
    return "csv";
  case config::HrFormat::json:
    return "json";
  case config::HrFormat::jsonl:
    return "jsonl";
  }
  return "csv";
}

std::string_view to_string(config::HrMode mode)
{
  return mode == config::HrMode::full ? "full" : "delta";
}

std::string_view row_word(config::HrFormat format)
{
  switch (format) {
  case config::HrFormat::json:
    return "item";
  case config::HrFormat::jsonl:
    return "line";
  default:
    return "row";
  }
}

void Report::add(Problem problem)
{
  if (problem.severity == Severity::warning) {
    ++counts.warnings;
  } else if (problem.severity == Severity::error) {
    ++counts.errors;
  }
  problems.push_back(std::move(problem));
}

bool Report::has_fatal() const
{
  return std::any_of(problems.begin(), problems.end(),
                     [](const Problem& p) { return p.severity == Severity::fatal; });
}

json::Value to_json(const Report& report)
{
  json::Value counts = json::Value::object({
    {"data_rows", static_cast<long long>(report.counts.data_rows)},
    {"accepted_rows", static_cast<long long>(report.counts.accepted_rows)},
    {"invalid_rows", static_cast<long long>(report.counts.invalid_rows)},
    {"employees", static_cast<long long>(report.counts.employees)},
    {"present", static_cast<long long>(report.counts.present)},
    {"active", static_cast<long long>(report.counts.active)},
    {"terminated", static_cast<long long>(report.counts.terminated)},
    {"warnings", static_cast<long long>(report.counts.warnings)},
    {"errors", static_cast<long long>(report.counts.errors)},
  });
  json::Array problems;
  problems.reserve(report.problems.size());
  for (const auto& p : report.problems) {
    problems.push_back(json::Value::object({
      {"row", static_cast<long long>(p.row)},
      {"column", p.column},
      {"employee_no", p.employee_no},
      {"severity", to_string(p.severity)},
      {"code", p.code},
      {"message", p.message},
    }));
  }
  return json::Value::object({
    {"file", report.file_name},
    {"sha256", report.sha256},
    {"size", static_cast<long long>(report.size)},
    {"format", to_string(report.format)},
    {"encoding", report.encoding},
    {"mode", to_string(report.mode)},
    {"row_word", row_word(report.format)},
    {"checked_at", static_cast<long long>(report.checked_at)},
    {"accepted", report.accepted},
    {"rejection_reasons", json::Value::string_array(report.rejection_reasons)},
    {"columns", json::Value::string_array(report.columns)},
    {"counts", std::move(counts)},
    {"problems", json::Value(std::move(problems))},
  });
}

std::string to_text(const Report& report)
{
  const auto& c = report.counts;
  const std::string_view word = row_word(report.format);
  std::string out;
  auto line = [&out](std::string_view s = {}) {
    out += s;
    out += '\n';
  };

  line(fmt::format("HR file {}: {}", report.file_name, report.accepted ? "ACCEPTED" : "REJECTED"));
  line();
  if (!report.accepted) {
    line("The file was not used at all; nothing in Feishu was changed because of it. Why:");
    for (const auto& reason : report.rejection_reasons) {
      line(fmt::format("  - {}", reason));
    }
  } else if (c.invalid_rows > 0) {
    line(fmt::format("The file was used, except {} {}(s) with errors (listed below). Those people "
                     "are left as they are in Feishu until their {}s are fixed.",
                     c.invalid_rows, word, word));
  } else {
    line(fmt::format("All {} {}(s) can be used.", c.data_rows, word));
  }
  line();
  line(fmt::format("  File:     {} ({} bytes, sha256 {})", report.file_name, report.size, report.sha256));
  line(fmt::format("  Read as:  {}, {}, {} mode", to_string(report.format),
                   report.encoding.empty() ? "encoding unknown" : report.encoding, to_string(report.mode)));
  line(fmt::format("  Checked:  {}", format_time(report.checked_at)));
  line(fmt::format("  {}s:     {} in the file, {} without errors ({} active, {} left), {} with errors",
                   capitalized(word), c.data_rows, c.accepted_rows, c.active, c.terminated, c.invalid_rows));
  line(fmt::format("  Problems: {} error(s), {} warning(s)", c.errors, c.warnings));

  if (!report.problems.empty()) {
    line();
    line("Problems");
    std::size_t shown = 0;
    std::size_t current_row = static_cast<std::size_t>(-1);
    for (const auto& p : report.problems) {
      if (shown == k_text_problem_limit) {
        line();
        line(fmt::format("... and {} more problem(s): all of them are in the JSON report.",
                         report.problems.size() - shown));
        break;
      }
      ++shown;
      if (p.row != current_row) {
        current_row = p.row;
        line();
        if (p.row == 0) {
          line("  The file:");
        } else if (p.employee_no.empty()) {
          line(fmt::format("  {} {}:", capitalized(word), p.row));
        } else {
          line(fmt::format("  {} {} (employee {}):", capitalized(word), p.row, p.employee_no));
        }
      }
      line(fmt::format("    {:<8} {}", to_string(p.severity), p.message));
    }
  }

  // What to do, once per kind of problem present.
  std::vector<std::string_view> codes;
  for (const auto& p : report.problems) {
    if (std::find(codes.begin(), codes.end(), p.code) == codes.end()) {
      codes.push_back(p.code);
    }
  }
  bool heading = false;
  for (auto code : codes) {
    auto it = advice().find(code);
    if (it == advice().end()) {
      continue;
    }
    if (!heading) {
      line();
      line("What to do");
      heading = true;
    }
    line(fmt::format("  {}: {}", code, it->second));
  }
  return out;
}

} // namespace dirsync::hr
