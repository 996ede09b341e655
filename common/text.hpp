// Small text and calendar helpers shared by several modules.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dirsync {

// Whether `a` and `b` are equal ignoring the case of ASCII letters (HTTP header names, HR value
// spellings). Other bytes must match exactly.
bool ascii_iequal(std::string_view a, std::string_view b);

// The items joined with `separator` between them.
std::string join(const std::vector<std::string>& items, std::string_view separator);

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil); month
// 1-12, day 1-31, not checked.
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day);

// "YYYY-MM-DD" of the day `unix_seconds` falls on at `utc_offset_seconds` east of UTC. HR dates
// are midnight China Standard Time (hr::k_hr_date_utc_offset): pass that offset to show them as
// HR wrote them; other timestamps are shown in UTC, as the database's views do.
std::string format_date(std::int64_t unix_seconds, std::int64_t utc_offset_seconds = 0);

} // namespace dirsync
