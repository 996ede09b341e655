// Turning the bytes of an HR file into UTF-8 text.
//
// HR exports arrive as UTF-8 (with or without a byte-order mark) or, from Excel in China, as
// GB18030 (Excel's "CSV" there writes the ANSI code page, GBK, of which GB18030 is a superset).
// With hr.encoding "auto", bytes that are valid UTF-8 are UTF-8 (plain ASCII included), and
// anything else is tried as GB18030. A UTF-8 byte-order mark always wins: it cannot be anything
// else. UTF-16 (Excel's "Unicode text") and files with NUL bytes are refused with a hint.
#pragma once

#include "config/config.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace dirsync::hr {

struct DecodedText
{
  bool ok = false;
  std::string text;     // UTF-8 without a BOM, when ok
  std::string encoding; // "utf-8", "utf-8 (BOM)" or "gb18030", when ok
  std::string note;     // when ok: something the report should mention; otherwise: why it failed
};

// Decodes `bytes` as `wanted` says. Never throws for bad input: a failure is !ok with a message
// naming the line and the fix.
DecodedText decode_text(std::string bytes, config::HrEncoding wanted);

// The byte offset of the first invalid UTF-8 sequence in `text`, or text.size() when all is valid.
// Overlong forms, surrogates and code points above U+10FFFF are invalid.
std::size_t find_invalid_utf8(std::string_view text);

} // namespace dirsync::hr
