// Small helpers shared by the tenant's source files: reading request bodies the way the real
// service validates them (a field of the wrong JSON type is 40001), throwing ApiFailure, and the
// string rules (UTF-8 length, case folding, email and mobile shape) the checks need.
#pragma once

#include "common/json.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dirsync::emulator {

// Throws ApiFailure(http, code, msg).
[[noreturn]] void fail(int http, long long code, std::string msg);
// Throws ApiFailure 400/40001 "invalid param: <what>".
[[noreturn]] void bad_param(const std::string& what);

// The member `key` of `body`, or nullptr when absent or null.
const json::Value* field(const json::Value& body, std::string_view key);
// Typed optional members; present with another type: 40001 naming the key.
std::optional<std::string> find_string(const json::Value& body, std::string_view key);
std::optional<std::int64_t> find_int(const json::Value& body, std::string_view key);
std::optional<bool> find_bool(const json::Value& body, std::string_view key);
std::optional<std::vector<std::string>> find_strings(const json::Value& body, std::string_view key);
// 40001 unless `body` is a JSON object.
void require_object_body(const json::Value& body);

// Characters (code points) in a UTF-8 string.
std::size_t utf8_length(std::string_view s);
// ASCII lower case (emails compare case-insensitively).
std::string lower(std::string_view s);
bool valid_email(std::string_view email);
// "+" and 5 to 15 digits, or 5 to 15 digits.
bool valid_mobile(std::string_view mobile);
// The text of a JSON value with object keys sorted, for comparing two requests.
std::string canonical(const json::Value& v);
// A sort key for an `order` string holding a non-negative integer.
std::string order_key(const std::string& order);
// The number in a cursor written by std::to_string (0 when it is not one).
std::uint64_t cursor_number(const std::string& cursor);

} // namespace dirsync::emulator
