// Helpers for tests of hr/: a configuration with the column names of DESIGN.md §5, and HR files
// made on the fly (nothing is committed: every file a test reads, the test writes).
#pragma once

#include "config/config.hpp"
#include "hr/intake.hpp"

#include <string>
#include <string_view>

namespace dirsync::testing {

// The header of DESIGN.md §5's mapping, in its order, as a CSV line without line end.
inline constexpr std::string_view k_hr_header =
  "工号,姓名,邮箱,手机,部门,职务,直属上级工号,员工类型,入职日期,状态";

// HrConfig with the defaults of config.hpp (the mapping of DESIGN.md §5) and `mode`.
config::HrConfig hr_config(config::HrMode mode = config::HrMode::full);

// A valid CSV row for employee `no` with leader `leader` (may be empty); email and mobile are
// derived from `n` so that rows made with different n never clash.
std::string hr_row(std::string_view no, int n, std::string_view leader = "",
                   std::string_view status = "在职");

// HrConfig that maps only employee_no (工号), name (姓名), email (邮箱) and department (部门).
config::HrConfig hr_config_minimal(config::HrMode mode = config::HrMode::full);

// Reads `content` as the file `name` with default safety settings.
hr::IntakeResult intake(std::string_view name, std::string content,
                        const config::HrConfig& hr = hr_config(),
                        const hr::IntakeContext& context = {});

// UTF-8 → GB18030 with iconv, as Excel in China would write the bytes.
std::string to_gb18030(std::string_view utf8);

// Whether the report has a problem with this code (and, when row != 0, on this row).
bool has_problem(const hr::Report& report, std::string_view code, std::size_t row = 0);
const hr::Problem* find_problem(const hr::Report& report, std::string_view code, std::size_t row = 0);

} // namespace dirsync::testing
