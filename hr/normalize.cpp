#include "hr/normalize.hpp"

#include "common/text.hpp"

#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace dirsync::hr {

namespace {

// Length of a white-space code point at the start (or end, with `at_end`) of s; 0 when none.
std::size_t space_at(std::string_view s, bool at_end)
{
  static constexpr std::array<std::string_view, 4> k_wide_spaces{
    "\xC2\xA0",     // U+00A0 NO-BREAK SPACE
    "\xE2\x80\x8B", // U+200B ZERO WIDTH SPACE
    "\xE3\x80\x80", // U+3000 IDEOGRAPHIC SPACE
    "\xEF\xBB\xBF", // U+FEFF BOM / ZERO WIDTH NO-BREAK SPACE
  };
  if (s.empty()) {
    return 0;
  }
  const char c = at_end ? s.back() : s.front();
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
    return 1;
  }
  // Cheap refusal of most text (ASCII, and CJK characters that end in other bytes): the wide
  // spaces start with C2, E2, E3 or EF and end with A0, 8B, 80 or BF.
  const auto b = static_cast<unsigned char>(c);
  if (at_end ? (b != 0xA0 && b != 0x8B && b != 0x80 && b != 0xBF)
             : (b != 0xC2 && b != 0xE2 && b != 0xE3 && b != 0xEF)) {
    return 0;
  }
  for (auto w : k_wide_spaces) {
    if (at_end ? s.ends_with(w) : s.starts_with(w)) {
      return w.size();
    }
  }
  return 0;
}

bool is_digit(char c)
{
  return c >= '0' && c <= '9';
}

bool is_alpha(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Reads 1..max_digits digits at s[pos]; advances pos.
std::optional<int> read_number(std::string_view s, std::size_t& pos, std::size_t max_digits)
{
  std::size_t start = pos;
  while (pos < s.size() && pos - start < max_digits && is_digit(s[pos])) {
    ++pos;
  }
  if (pos == start) {
    return std::nullopt;
  }
  int v = 0;
  std::from_chars(s.data() + start, s.data() + pos, v);
  return v;
}

bool consume(std::string_view s, std::size_t& pos, std::string_view token)
{
  if (s.substr(pos).starts_with(token)) {
    pos += token.size();
    return true;
  }
  return false;
}

int days_in_month(int y, int m)
{
  static constexpr std::array<int, 12> k_days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : k_days[static_cast<std::size_t>(m - 1)];
}

// The memo of MobileNormalizer, and why it gives libphonenumber's answers exactly.
//
// It covers one shape only: under the default region CN, a text of digits, spaces and dashes (and
// a leading "+"), ending in a digit, whose digits are N, 86N, 0086N or (after the "+") 86N, where
// N is an 11-digit national number starting with 1. Anything else goes to libphonenumber as before.
// For such a text, libphonenumber 8.12's Parse() (checked against the metadata of the installed
// 8.12.57) yields country code 86 and national number N, whatever N's last digits are:
// - Spaces and dashes are punctuation it drops (and it skips whatever precedes the first digit or
//   "+"); without letters, "#", ";" or "," no extension pattern can match.
// - CN's international prefix "00|1(?:[12]\d|79)\d\d00" and national prefix for parsing
//   "0|(1(?:[12]\d|79)\d\d)" can match the start of N only when N starts with 11, 12 or 179;
//   then what is stripped depends on N's 5th to 8th digits, so those numbers are left out of the
//   memo. "0086" is the international prefix 00 (followed by 8, not 0), and 86N without "+" is
//   13 digits, too long for CN (at most 12), so libphonenumber strips the 86.
// GetNumberType() then matches N against CN's patterns. For 11 digits starting with 1, only these
// can match: the general pattern ("1[127]\d{8,9}|(?:1[03-689]\d|6)\d{7,9}|..." - decided by the
// 2nd digit) and the mobile pattern ("1740[0-5]\d{6}|1(?:[38]\d|4[57]|[59][0-35-9]|6[25-7]|
// 7[0-35-8])\d{8}" - decided by the first 5 digits). The fixed-line, shared-cost, toll-free and
// premium patterns allow at most 10 digits for numbers starting with 1, or other lengths; the other
// types are empty for CN. So the verdict is a function of N's first 5 digits, and Format(E164) is
// "+86" followed by N. The memo keys on those 5 digits, records libphonenumber's own verdict for the
// first number it sees with them, and keeps a usable verdict only when libphonenumber's E.164 was
// "+86" + N. tests/hr/test_normalize.cpp compares memo and libphonenumber over every 5-digit prefix
// with several endings and spellings, so a libphonenumber upgrade that breaks this reasoning fails
// the tests.
constexpr std::size_t k_cn_national_length = 11;
constexpr std::size_t k_cn_memo_prefix_length = 5;
constexpr std::size_t k_cn_memo_first_prefix = 10000; // 5-digit prefixes of N run 10000..19999
constexpr std::size_t k_cn_memo_size = 10000;

// N (see above) when `text` has the shape the memo covers; nullopt otherwise.
std::optional<std::string> find_memo_cn_national_number(std::string_view text)
{
  if (text.empty() || !is_digit(text.back())) {
    return std::nullopt;
  }
  const bool plus = text.front() == '+';
  if (plus && (text.size() < 2 || !is_digit(text[1]))) {
    return std::nullopt;
  }
  std::string digits; // at most 15: no allocation
  for (std::size_t i = plus ? 1 : 0; i < text.size(); ++i) {
    const char c = text[i];
    if (is_digit(c)) {
      if (digits.size() == 15) {
        return std::nullopt;
      }
      digits += c;
    } else if (c != ' ' && c != '-') {
      return std::nullopt;
    }
  }
  std::string_view national = digits;
  if (plus) {
    if (!national.starts_with("86")) {
      return std::nullopt;
    }
    national.remove_prefix(2);
  } else if (national.size() == k_cn_national_length + 2 && national.starts_with("86")) {
    national.remove_prefix(2);
  } else if (national.size() == k_cn_national_length + 4 && national.starts_with("0086")) {
    national.remove_prefix(4);
  }
  if (national.size() != k_cn_national_length || national[0] != '1' || national[1] == '1' ||
      national[1] == '2' || national.starts_with("179")) {
    return std::nullopt;
  }
  return std::string(national);
}

} // namespace

std::string_view trim(std::string_view s)
{
  while (std::size_t n = space_at(s, false)) {
    s.remove_prefix(n);
  }
  while (std::size_t n = space_at(s, true)) {
    s.remove_suffix(n);
  }
  return s;
}

std::string fullwidth_to_ascii(std::string_view s)
{
  // The common case: nothing full-width (U+3000 is E3 80 80, U+FF01..U+FF5E are EF BC/BD ..).
  if (std::none_of(s.begin(), s.end(), [](char c) { return c == '\xE3' || c == '\xEF'; })) {
    return std::string(s);
  }
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c0 = static_cast<unsigned char>(s[i]);
    if (c0 == 0xEF && i + 2 < s.size()) {
      // U+FF01..U+FF5E is EF BC 81..EF BC BF, EF BD 80..EF BD 9E.
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      const auto c2 = static_cast<unsigned char>(s[i + 2]);
      const unsigned cp = ((c0 & 0x0Fu) << 12) | ((c1 & 0x3Fu) << 6) | (c2 & 0x3Fu);
      if (cp >= 0xFF01 && cp <= 0xFF5E) {
        out += static_cast<char>(cp - 0xFF01 + 0x21);
        i += 2;
        continue;
      }
    } else if (c0 == 0xE3 && s.substr(i).starts_with("\xE3\x80\x80")) {
      out += ' ';
      i += 2;
      continue;
    }
    out += s[i];
  }
  return out;
}

std::optional<std::string> try_normalize_email(std::string_view raw)
{
  std::string email = fullwidth_to_ascii(trim(raw));
  const auto at = email.find('@');
  if (at == std::string::npos || at == 0 || at > 64 || email.find('@', at + 1) != std::string::npos ||
      email.size() > 254) {
    return std::nullopt;
  }
  for (char& c : email) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  const std::string_view local = std::string_view(email).substr(0, at);
  const std::string_view domain = std::string_view(email).substr(at + 1);
  static constexpr std::string_view k_local_specials = "!#$%&'*+/=?^_`{|}~.-";
  for (char c : local) {
    if (!is_alpha(c) && !is_digit(c) && k_local_specials.find(c) == std::string_view::npos) {
      return std::nullopt;
    }
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return std::nullopt;
  }
  // Domain: labels of [a-z0-9-], not starting or ending with '-', at least two, TLD letters.
  std::size_t labels = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = domain.find('.', start);
    const std::string_view label = domain.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return std::nullopt;
    }
    for (char c : label) {
      if (!is_alpha(c) && !is_digit(c) && c != '-') {
        return std::nullopt;
      }
    }
    ++labels;
    if (dot == std::string_view::npos) {
      if (labels < 2 || label.size() < 2) {
        return std::nullopt;
      }
      for (char c : label) {
        if (!is_alpha(c)) {
          return std::nullopt;
        }
      }
      break;
    }
    start = dot + 1;
  }
  return email;
}

bool looks_like_scientific_notation(std::string_view s)
{
  // d.dddE+dd, as spreadsheets print large numbers.
  const auto e = s.find_first_of("eE");
  if (e == std::string_view::npos || e == 0 || e + 2 > s.size()) {
    return false;
  }
  std::size_t i = 0;
  while (i < e && (is_digit(s[i]) || s[i] == '.')) {
    ++i;
  }
  if (i != e) {
    return false;
  }
  std::size_t j = e + 1;
  if (s[j] == '+' || s[j] == '-') {
    ++j;
  }
  if (j == s.size()) {
    return false;
  }
  for (; j < s.size(); ++j) {
    if (!is_digit(s[j])) {
      return false;
    }
  }
  return true;
}

std::optional<std::int64_t> try_parse_date(std::string_view raw)
{
  const std::string text = fullwidth_to_ascii(trim(raw));
  const std::string_view s = text;
  std::size_t pos = 0;
  std::optional<int> year;
  std::optional<int> month;
  std::optional<int> day;

  if (s.size() >= 8 && s.find_first_not_of("0123456789") >= 8 &&
      (s.size() == 8 || s[8] == ' ' || s[8] == 'T')) {
    // 20240301
    year = read_number(s, pos, 4);
    month = read_number(s, pos, 2);
    day = read_number(s, pos, 2);
  } else {
    year = read_number(s, pos, 4);
    if (!year || pos != 4) {
      return std::nullopt; // needs a four-digit year first: 3/1/2024 is ambiguous
    }
    if (consume(s, pos, "年")) {
      month = read_number(s, pos, 2);
      if (!consume(s, pos, "月")) {
        return std::nullopt;
      }
      day = read_number(s, pos, 2);
      if (!consume(s, pos, "日")) {
        consume(s, pos, "号");
      }
    } else {
      if (pos >= s.size()) {
        return std::nullopt;
      }
      const char sep = s[pos];
      if (sep != '-' && sep != '/' && sep != '.') {
        return std::nullopt;
      }
      ++pos;
      month = read_number(s, pos, 2);
      if (pos >= s.size() || s[pos] != sep) {
        return std::nullopt;
      }
      ++pos;
      day = read_number(s, pos, 2);
    }
  }
  if (!year || !month || !day || *year < 1900 || *year > 2199 || *month < 1 || *month > 12 ||
      *day < 1 || *day > days_in_month(*year, *month)) {
    return std::nullopt;
  }

  int hour = 0;
  int minute = 0;
  int second = 0;
  if (pos < s.size()) {
    if (s[pos] != ' ' && s[pos] != 'T') {
      return std::nullopt;
    }
    ++pos;
    while (pos < s.size() && s[pos] == ' ') {
      ++pos;
    }
    auto h = read_number(s, pos, 2);
    if (!h || !consume(s, pos, ":")) {
      return std::nullopt;
    }
    auto m = read_number(s, pos, 2);
    if (!m) {
      return std::nullopt;
    }
    std::optional<int> sec = 0;
    if (consume(s, pos, ":")) {
      sec = read_number(s, pos, 2);
    }
    if (!sec || pos != s.size() || *h > 23 || *m > 59 || *sec > 59) {
      return std::nullopt;
    }
    hour = *h;
    minute = *m;
    second = *sec;
  }
  return days_from_civil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day)) * 86400 +
         hour * 3600 + minute * 60 + second - k_hr_date_utc_offset;
}

MobileNormalizer::MobileNormalizer(std::string default_region)
  : m_region(std::move(default_region))
{
}

MobileNormalizer::Result MobileNormalizer::normalize(std::string_view raw)
{
  const std::string text = fullwidth_to_ascii(trim(raw));
  if (m_region != "CN") {
    return normalize_with_libphonenumber(text);
  }
  const auto national = find_memo_cn_national_number(text);
  if (!national) {
    return normalize_with_libphonenumber(text);
  }
  std::size_t prefix = 0;
  std::from_chars(national->data(), national->data() + k_cn_memo_prefix_length, prefix);
  if (m_prefix_verdicts.empty()) {
    m_prefix_verdicts.assign(k_cn_memo_size, 0);
  }
  std::uint8_t& verdict = m_prefix_verdicts[prefix - k_cn_memo_first_prefix];
  if (verdict == 1) {
    return {"+86" + *national, {}};
  }
  if (verdict >= 2) {
    return {{}, m_prefix_problems[verdict - 2]};
  }
  Result result = normalize_with_libphonenumber(text);
  if (!result.e164.empty()) {
    if (result.e164 == "+86" + *national) {
      verdict = 1;
    }
    return result;
  }
  // The refusals are a handful of fixed sentences; the bound only keeps the verdict in a byte.
  const auto k = static_cast<std::size_t>(
    std::find(m_prefix_problems.begin(), m_prefix_problems.end(), result.problem) - m_prefix_problems.begin());
  if (k == m_prefix_problems.size()) {
    if (k + 2 > UINT8_MAX) {
      return result;
    }
    m_prefix_problems.push_back(result.problem);
  }
  verdict = static_cast<std::uint8_t>(k + 2);
  return result;
}

MobileNormalizer::Result MobileNormalizer::normalize_with_libphonenumber(const std::string& text) const
{
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  if (looks_like_scientific_notation(text)) {
    return {{}, "was written by a spreadsheet in scientific notation, so its digits are lost; "
                "format the column as text and export again"};
  }
  const auto& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  const auto error = util.Parse(text, m_region, &number);
  if (error != PhoneNumberUtil::NO_PARSING_ERROR) {
    switch (error) {
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
      return {{}, "has no valid country code (and hr.default_region " + m_region +
                    " does not apply)"};
    case PhoneNumberUtil::TOO_SHORT_NSN:
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
      return {{}, "is too short to be a phone number"};
    case PhoneNumberUtil::TOO_LONG_NSN:
      return {{}, "is too long to be a phone number"};
    default:
      return {{}, "is not a phone number"};
    }
  }
  // GetNumberType() is UNKNOWN exactly when IsValidNumber() is false (both classify the national
  // number against the region's metadata), so one call does for both and halves the cost.
  const auto type = util.GetNumberType(number);
  if (type == PhoneNumberUtil::UNKNOWN) {
    std::string region;
    util.GetRegionCodeForCountryCode(number.country_code(), &region);
    return {{}, "is not a valid number for region " + (region.empty() || region == "ZZ" ? m_region : region)};
  }
  if (type != PhoneNumberUtil::MOBILE && type != PhoneNumberUtil::FIXED_LINE_OR_MOBILE) {
    return {{}, "is not a mobile number (it looks like a landline or service number)"};
  }
  Result result;
  util.Format(number, PhoneNumberUtil::E164, &result.e164);
  return result;
}

} // namespace dirsync::hr
