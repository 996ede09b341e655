#include "emulator/body_fields.hpp"

#include "emulator/tenant.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace dirsync::emulator {

[[noreturn]] void fail(int http, long long code, std::string msg)
{
  throw ApiFailure(http, code, std::move(msg));
}

[[noreturn]] void bad_param(const std::string& what)
{
  fail(400, 40001, "invalid param: " + what);
}

// Body accessors that answer 40001 when a field has the wrong JSON type.
const json::Value* field(const json::Value& body, std::string_view key)
{
  const json::Value* v = body.find(key);
  return (v == nullptr || v->is_null()) ? nullptr : v;
}

std::optional<std::string> find_string(const json::Value& body, std::string_view key)
{
  const auto* v = field(body, key);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (!v->is_string()) {
    bad_param(fmt::format("{} must be a string", key));
  }
  return v->as_string();
}

std::optional<std::int64_t> find_int(const json::Value& body, std::string_view key)
{
  const auto* v = field(body, key);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (!v->is_number()) {
    bad_param(fmt::format("{} must be a number", key));
  }
  try {
    return v->as_int();
  } catch (const json::JsonError&) {
    bad_param(fmt::format("{} must be an integer", key));
  }
}

std::optional<bool> find_bool(const json::Value& body, std::string_view key)
{
  const auto* v = field(body, key);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (!v->is_bool()) {
    bad_param(fmt::format("{} must be a boolean", key));
  }
  return v->as_bool();
}

std::optional<std::vector<std::string>> find_strings(const json::Value& body, std::string_view key)
{
  const auto* v = field(body, key);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (!v->is_array()) {
    bad_param(fmt::format("{} must be an array of strings", key));
  }
  std::vector<std::string> out;
  for (const auto& item : v->as_array()) {
    if (!item.is_string()) {
      bad_param(fmt::format("{} must be an array of strings", key));
    }
    out.push_back(item.as_string());
  }
  return out;
}

void require_object_body(const json::Value& body)
{
  if (!body.is_object()) {
    bad_param("the body must be a JSON object");
  }
}

std::size_t utf8_length(std::string_view s)
{
  std::size_t n = 0;
  for (const char c : s) {
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) {
      ++n;
    }
  }
  return n;
}

std::string lower(std::string_view s)
{
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

bool valid_email(std::string_view email)
{
  const auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 || email.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  const auto dot = email.find('.', at);
  if (dot == std::string_view::npos || dot == at + 1 || dot + 1 >= email.size()) {
    return false;
  }
  return std::none_of(email.begin(), email.end(), [](char c) { return c == ' ' || c == '\t'; });
}

bool valid_mobile(std::string_view mobile)
{
  std::string_view digits = mobile;
  if (!digits.empty() && digits.front() == '+') {
    digits.remove_prefix(1);
  }
  if (digits.size() < 5 || digits.size() > 15) {
    return false;
  }
  return std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The canonical text of a JSON value (object keys sorted), for comparing requests.
std::string canonical(const json::Value& v)
{
  if (v.is_object()) {
    std::vector<std::pair<std::string, std::string>> members;
    for (const auto& [k, m] : v.as_object()) {
      members.emplace_back(k, canonical(m));
    }
    std::sort(members.begin(), members.end());
    std::string out = "{";
    for (const auto& [k, m] : members) {
      json::append_quoted(out, k);
      out += ':';
      out += m;
      out += ',';
    }
    return out + "}";
  }
  if (v.is_array()) {
    std::string out = "[";
    for (const auto& item : v.as_array()) {
      out += canonical(item);
      out += ',';
    }
    return out + "]";
  }
  return v.dump();
}

std::string order_key(const std::string& order)
{
  // Orders are strings holding non-negative integers; compare them numerically.
  std::string digits = order;
  digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size()));
  return std::string(20 - std::min<std::size_t>(20, digits.size()), '0') + digits;
}

std::uint64_t cursor_number(const std::string& cursor)
{
  std::uint64_t n = 0;
  std::from_chars(cursor.data(), cursor.data() + cursor.size(), n);
  return n;
}

} // namespace dirsync::emulator
