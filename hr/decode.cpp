#include "hr/decode.hpp"

#include "common/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <iconv.h>
#include <optional>

namespace dirsync::hr {

namespace {

constexpr std::string_view k_utf8_bom = "\xEF\xBB\xBF";

std::size_t line_of(std::string_view text, std::size_t offset)
{
  return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + offset, '\n'));
}

// GB18030 → UTF-8 with glibc's iconv. Returns the offset of the first byte that is not valid
// GB18030 (or a truncated sequence at the end), or nullopt on success.
std::optional<std::size_t> convert_gb18030(std::string_view in, std::string& out)
{
  iconv_t cd = iconv_open("UTF-8", "GB18030");
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    throw Error("iconv cannot convert from GB18030 on this system (glibc's gconv modules missing?)");
  }
  out.assign(in.size() * 2 + 16, '\0'); // a GB18030 character never grows beyond 2x in UTF-8
  char* src = const_cast<char*>(in.data());
  std::size_t src_left = in.size();
  char* dst = out.data();
  std::size_t dst_left = out.size();
  std::optional<std::size_t> bad;
  if (iconv(cd, &src, &src_left, &dst, &dst_left) == static_cast<std::size_t>(-1)) {
    bad = static_cast<std::size_t>(src - in.data());
  }
  iconv_close(cd);
  out.resize(out.size() - dst_left);
  return bad;
}

// Whether the eight bytes at p are all ASCII.
bool all_ascii8(const unsigned char* p)
{
  std::uint64_t word = 0;
  std::memcpy(&word, p, sizeof word);
  return (word & 0x8080808080808080u) == 0;
}

} // namespace

std::size_t find_invalid_utf8(std::string_view text)
{
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      while (i + 8 <= n && all_ascii8(s + i)) {
        i += 8; // runs of ASCII, eight bytes at a time
      }
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) {
      return i;
    }
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) {
        return i;
      }
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return i;
    }
    i += len;
  }
  return n;
}

DecodedText decode_text(std::string bytes, config::HrEncoding wanted)
{
  DecodedText result;
  if (bytes.size() >= 2 && ((bytes[0] == '\xFF' && bytes[1] == '\xFE') ||
                            (bytes[0] == '\xFE' && bytes[1] == '\xFF'))) {
    result.note = "the file is UTF-16 (Excel's \"Unicode Text\"); save it as \"CSV UTF-8\" "
                  "(or CSV) instead";
    return result;
  }

  if (std::string_view(bytes).starts_with(k_utf8_bom)) {
    bytes.erase(0, k_utf8_bom.size());
    const std::size_t bad = find_invalid_utf8(bytes);
    if (bad != bytes.size()) {
      result.note = fmt::format("line {}: the file starts with a UTF-8 byte-order mark but is not "
                                "valid UTF-8 at byte {}; re-export it as \"CSV UTF-8\"",
                                line_of(bytes, bad), bad + k_utf8_bom.size());
      return result;
    }
    result.encoding = "utf-8 (BOM)";
    if (wanted == config::HrEncoding::gb18030) {
      result.note = "hr.encoding is gb18030, but the file starts with a UTF-8 byte-order mark; "
                    "it was read as UTF-8";
    }
    result.text = std::move(bytes);
  } else if (wanted == config::HrEncoding::gb18030) {
    std::string out;
    if (auto bad = convert_gb18030(bytes, out)) {
      result.note = fmt::format("line {}: byte {} is not valid GB18030 (hr.encoding is gb18030); "
                                "check the file's encoding or set hr.encoding: auto",
                                line_of(bytes, *bad), *bad);
      return result;
    }
    result.encoding = "gb18030";
    result.text = std::move(out);
  } else {
    const std::size_t bad = find_invalid_utf8(bytes);
    if (bad == bytes.size()) {
      result.encoding = "utf-8";
      result.text = std::move(bytes);
    } else if (wanted == config::HrEncoding::utf8) {
      result.note = fmt::format("line {}: byte {} is not valid UTF-8 (hr.encoding is utf-8); a file "
                                "saved by Excel in China is usually GB18030: set hr.encoding: auto",
                                line_of(bytes, bad), bad);
      return result;
    } else {
      std::string out;
      if (auto gb_bad = convert_gb18030(bytes, out)) {
        result.note = fmt::format(
          "the file is neither UTF-8 (invalid at line {}, byte {}) nor GB18030 (invalid at line "
          "{}, byte {}); save it as \"CSV UTF-8\"",
          line_of(bytes, bad), bad, line_of(bytes, *gb_bad), *gb_bad);
        return result;
      }
      result.encoding = "gb18030";
      result.text = std::move(out);
    }
  }

  if (const auto nul = result.text.find('\0'); nul != std::string::npos) {
    result.note = fmt::format("line {}: the file contains NUL bytes, so it is not a text export; "
                              "save it as CSV or JSON",
                              line_of(result.text, nul));
    result.text.clear();
    result.encoding.clear();
    return result;
  }
  result.ok = true;
  return result;
}

} // namespace dirsync::hr
