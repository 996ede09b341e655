// Normalization of single HR values: whitespace, full-width characters, emails, mobile numbers and
// dates. Each function takes one raw value and returns its canonical form, or nothing (with the
// reason, where there are several) when the value cannot be used.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dirsync::hr {

// Removes surrounding white space: ASCII white space, NO-BREAK SPACE (U+00A0), ZERO WIDTH SPACE
// (U+200B), IDEOGRAPHIC SPACE (U+3000, the "full-width space" of Chinese input methods) and a
// stray BOM (U+FEFF). Inner white space is kept.
std::string_view trim(std::string_view s);

// Replaces full-width ASCII forms (U+FF01..U+FF5E, e.g. "０１２３", "＠") by their ASCII
// equivalents and U+3000 by a space. Used for codes, emails, mobiles and dates, which Chinese input
// methods sometimes type full-width; never for names.
std::string fullwidth_to_ascii(std::string_view s);

// "John.Doe@Example.COM " → "john.doe@example.com"; nullopt when it is not a plain address
// (one "@", a local part of allowed characters without leading, trailing or double dots, a domain
// of at least two labels of letters, digits and inner hyphens, and a top-level label of letters).
// Addresses with non-ASCII characters are refused: Feishu accounts use ASCII addresses.
std::optional<std::string> try_normalize_email(std::string_view raw);

// True for what a spreadsheet makes of a long number in a cell formatted as "General":
// "1.38123E+10". The digits are lost; the fix is to format the column as text.
bool looks_like_scientific_notation(std::string_view s);

// Dates as HR exports write them, read as a calendar date (and time, when one is given) in China
// Standard Time (UTC+8, no daylight saving) and returned as unix seconds:
// 2024-03-01, 2024/3/1, 2024.3.1, 20240301, 2024年3月1日, each optionally followed by a time
// "09:00" or "09:00:00" (after a space or "T"). Day-first or month-first forms (3/1/2024) are
// refused because they are ambiguous. Years outside 1900..2199 are refused.
std::optional<std::int64_t> try_parse_date(std::string_view raw);

// The UTC offset try_parse_date() applies, in seconds.
inline constexpr std::int64_t k_hr_date_utc_offset = 8 * 3600;

// Mobile numbers to E.164 with libphonenumber. A number without a country code is read in the
// default region (hr.default_region, e.g. "CN"). Only numbers libphonenumber knows as valid and
// mobile (or "fixed line or mobile", where a region cannot tell) are accepted.
//
// libphonenumber takes ~12 µs per number, so for the common case, a Chinese mobile written as
// 11 digits (with or without +86, 86 or 0086, spaces or dashes) under the default region CN, the
// normalizer remembers libphonenumber's verdict per leading digits and reuses it; the results are
// the same as libphonenumber's for every input (normalize.cpp explains why). The memo makes one
// normalizer unsuitable for sharing between threads: use one per intake.
class MobileNormalizer
{
public:
  struct Result
  {
    std::string e164;    // "+8613812345678" when the number is usable
    std::string problem; // otherwise: why not, for people ("is not a valid number for region CN")
  };

  explicit MobileNormalizer(std::string default_region);
  Result normalize(std::string_view raw);

private:
  Result normalize_with_libphonenumber(const std::string& text) const;

  std::string m_region;
  // Under region CN: per 5-digit prefix of an 11-digit national number (index prefix - 10000),
  // 0 while unknown, 1 when such numbers are usable mobiles, k + 2 when they are refused with
  // m_prefix_problems[k]. Allocated on first use.
  std::vector<std::uint8_t> m_prefix_verdicts;
  std::vector<std::string> m_prefix_problems;
};

} // namespace dirsync::hr
