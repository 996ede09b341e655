#include "common/json.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace dirsync::json {

JsonError::JsonError(const std::string& message, std::size_t line, std::size_t column)
  : Error(line == 0 ? message : fmt::format("line {} column {}: {}", line, column, message)),
    m_line(line),
    m_column(column)
{
}

std::string_view type_name(Type type)
{
  switch (type) {
  case Type::null:
    return "null";
  case Type::boolean:
    return "a boolean";
  case Type::integer:
    return "an integer";
  case Type::number:
    return "a number";
  case Type::string:
    return "a string";
  case Type::array:
    return "an array";
  case Type::object:
    return "an object";
  }
  return "unknown";
}

namespace {

[[noreturn]] void wrong_type(Type wanted, Type got)
{
  throw JsonError(fmt::format("expected {}, got {}", type_name(wanted), type_name(got)));
}

} // namespace

Value Value::string_array(const std::vector<std::string>& items)
{
  Array a;
  a.reserve(items.size());
  for (const auto& item : items) {
    a.emplace_back(item);
  }
  return Value(std::move(a));
}

Type Value::type() const
{
  return static_cast<Type>(m_v.index());
}

bool Value::as_bool() const
{
  if (const auto* b = std::get_if<bool>(&m_v)) {
    return *b;
  }
  wrong_type(Type::boolean, type());
}

std::int64_t Value::as_int() const
{
  if (const auto* i = std::get_if<std::int64_t>(&m_v)) {
    return *i;
  }
  if (const auto* d = std::get_if<double>(&m_v)) {
    if (std::trunc(*d) == *d && std::fabs(*d) < 9.2e18) {
      return static_cast<std::int64_t>(*d);
    }
  }
  wrong_type(Type::integer, type());
}

double Value::as_double() const
{
  if (const auto* d = std::get_if<double>(&m_v)) {
    return *d;
  }
  if (const auto* i = std::get_if<std::int64_t>(&m_v)) {
    return static_cast<double>(*i);
  }
  wrong_type(Type::number, type());
}

const std::string& Value::as_string() const&
{
  if (const auto* s = std::get_if<std::string>(&m_v)) {
    return *s;
  }
  wrong_type(Type::string, type());
}

std::string Value::as_string() &&
{
  return std::move(const_cast<std::string&>(static_cast<const Value&>(*this).as_string()));
}

const Array& Value::as_array() const&
{
  if (const auto* a = std::get_if<Array>(&m_v)) {
    return *a;
  }
  wrong_type(Type::array, type());
}

Array Value::as_array() &&
{
  return std::move(static_cast<Value&>(*this).as_array());
}

Array& Value::as_array() &
{
  if (auto* a = std::get_if<Array>(&m_v)) {
    return *a;
  }
  wrong_type(Type::array, type());
}

const Object& Value::as_object() const&
{
  if (const auto* o = std::get_if<Object>(&m_v)) {
    return *o;
  }
  wrong_type(Type::object, type());
}

Object Value::as_object() &&
{
  return std::move(static_cast<Value&>(*this).as_object());
}

Object& Value::as_object() &
{
  if (auto* o = std::get_if<Object>(&m_v)) {
    return *o;
  }
  wrong_type(Type::object, type());
}

const Value* Value::find(std::string_view key) const&
{
  const auto* o = std::get_if<Object>(&m_v);
  if (o == nullptr) {
    return nullptr;
  }
  for (const auto& [k, v] : *o) {
    if (k == key) {
      return &v;
    }
  }
  return nullptr;
}

Value* Value::find(std::string_view key) &
{
  return const_cast<Value*>(static_cast<const Value&>(*this).find(key));
}

Value Value::get(std::string_view key) const
{
  const Value* member = find(key);
  return member != nullptr ? *member : Value();
}

Value& Value::operator[](std::string_view key)
{
  if (is_null()) {
    m_v = Object{};
  }
  auto& o = as_object();
  for (auto& [k, v] : o) {
    if (k == key) {
      return v;
    }
  }
  o.emplace_back(std::string(key), Value());
  return o.back().second;
}

Value& Value::set(std::string_view key, Value value)
{
  (*this)[key] = std::move(value);
  return *this;
}

bool Value::erase(std::string_view key)
{
  auto* o = std::get_if<Object>(&m_v);
  if (o == nullptr) {
    return false;
  }
  for (auto it = o->begin(); it != o->end(); ++it) {
    if (it->first == key) {
      o->erase(it);
      return true;
    }
  }
  return false;
}

namespace {

template<typename T, typename Get>
T get_member(const Value& v, std::string_view key, T fallback, Get get)
{
  const Value* m = v.find(key);
  if (m == nullptr || m->is_null()) {
    return fallback;
  }
  try {
    return get(*m);
  } catch (const JsonError& e) {
    throw JsonError(fmt::format("\"{}\": {}", key, e.what()));
  }
}

} // namespace

std::string Value::get_string(std::string_view key, std::string_view fallback) const
{
  return get_member<std::string>(
    *this, key, std::string(fallback), [](const Value& m) { return m.as_string(); });
}

std::int64_t Value::get_int(std::string_view key, std::int64_t fallback) const
{
  return get_member<std::int64_t>(*this, key, fallback, [](const Value& m) { return m.as_int(); });
}

bool Value::get_bool(std::string_view key, bool fallback) const
{
  return get_member<bool>(*this, key, fallback, [](const Value& m) { return m.as_bool(); });
}

void Value::push_back(Value value)
{
  if (is_null()) {
    m_v = Array{};
  }
  as_array().push_back(std::move(value));
}

std::size_t Value::size() const
{
  if (const auto* a = std::get_if<Array>(&m_v)) {
    return a->size();
  }
  if (const auto* o = std::get_if<Object>(&m_v)) {
    return o->size();
  }
  return 0;
}

bool operator==(const Value& a, const Value& b)
{
  if (a.is_number() && b.is_number() && a.type() != b.type()) {
    return a.as_double() == b.as_double();
  }
  return a.m_v == b.m_v;
}

// ---------------------------------------------------------------------------------------------
// Serialization

void append_quoted(std::string& out, std::string_view s)
{
  out += '"';
  for (char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
      } else {
        out += c;
      }
    }
  }
  out += '"';
}

namespace {

void append_double(std::string& out, double d)
{
  if (!std::isfinite(d)) {
    out += "null"; // JSON has no NaN or infinity
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  std::string_view text(buf, static_cast<std::size_t>(end - buf));
  out += text;
  if (text.find_first_of(".eE") == std::string_view::npos) {
    out += ".0"; // keep it a double when read back
  }
}

void write(std::string& out, const Value& v, int indent, int depth)
{
  const auto newline = [&](int level) {
    if (indent > 0) {
      out += '\n';
      out.append(static_cast<std::size_t>(indent * level), ' ');
    }
  };
  switch (v.type()) {
  case Type::null:
    out += "null";
    break;
  case Type::boolean:
    out += v.as_bool() ? "true" : "false";
    break;
  case Type::integer:
    out += std::to_string(v.as_int());
    break;
  case Type::number:
    append_double(out, v.as_double());
    break;
  case Type::string:
    append_quoted(out, v.as_string());
    break;
  case Type::array: {
    const auto& a = v.as_array();
    out += '[';
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (i > 0) {
        out += ',';
      }
      newline(depth + 1);
      write(out, a[i], indent, depth + 1);
    }
    if (!a.empty()) {
      newline(depth);
    }
    out += ']';
    break;
  }
  case Type::object: {
    const auto& o = v.as_object();
    out += '{';
    for (std::size_t i = 0; i < o.size(); ++i) {
      if (i > 0) {
        out += ',';
      }
      newline(depth + 1);
      append_quoted(out, o[i].first);
      out += indent > 0 ? ": " : ":";
      write(out, o[i].second, indent, depth + 1);
    }
    if (!o.empty()) {
      newline(depth);
    }
    out += '}';
    break;
  }
  }
}

} // namespace

std::string Value::dump() const
{
  std::string out;
  write(out, *this, 0, 0);
  return out;
}

std::string Value::dump_pretty(int indent) const
{
  std::string out;
  write(out, *this, indent, 0);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parsing: a recursive-descent parser over the whole text, strict per RFC 8259.

namespace {

constexpr int k_max_depth = 512;

class Parser
{
public:
  explicit Parser(std::string_view text) : m_text(text) {}

  Value parse_document()
  {
    skip_whitespace();
    Value v = parse_value(0);
    skip_whitespace();
    if (m_pos != m_text.size()) {
      fail("unexpected text after the JSON value");
    }
    return v;
  }

private:
  [[noreturn]] void fail(const std::string& message) const
  {
    std::size_t line = 1;
    std::size_t column = 1;
    for (std::size_t i = 0; i < m_pos && i < m_text.size(); ++i) {
      if (m_text[i] == '\n') {
        ++line;
        column = 1;
      } else if ((static_cast<unsigned char>(m_text[i]) & 0xC0) != 0x80) {
        ++column; // count characters, not UTF-8 continuation bytes
      }
    }
    throw JsonError(message, line, column);
  }

  bool at_end() const { return m_pos >= m_text.size(); }
  char peek() const { return at_end() ? '\0' : m_text[m_pos]; }

  void skip_whitespace()
  {
    while (!at_end()) {
      char c = m_text[m_pos];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++m_pos;
      } else {
        break;
      }
    }
  }

  void expect_literal(std::string_view word)
  {
    if (m_text.substr(m_pos, word.size()) != word) {
      fail("invalid literal");
    }
    m_pos += word.size();
  }

  Value parse_value(int depth)
  {
    if (depth > k_max_depth) {
      fail("nesting is too deep");
    }
    if (at_end()) {
      fail("unexpected end of input");
    }
    switch (peek()) {
    case '{':
      return parse_object(depth);
    case '[':
      return parse_array(depth);
    case '"':
      return Value(parse_string());
    case 't':
      expect_literal("true");
      return Value(true);
    case 'f':
      expect_literal("false");
      return Value(false);
    case 'n':
      expect_literal("null");
      return Value();
    default:
      if (peek() == '-' || (peek() >= '0' && peek() <= '9')) {
        return parse_number();
      }
      fail(fmt::format("unexpected character '{}'", peek()));
    }
  }

  Value parse_object(int depth)
  {
    ++m_pos; // '{'
    Object o;
    skip_whitespace();
    if (peek() == '}') {
      ++m_pos;
      return Value(std::move(o));
    }
    while (true) {
      skip_whitespace();
      if (peek() != '"') {
        fail("expected a string key");
      }
      std::string key = parse_string();
      skip_whitespace();
      if (peek() != ':') {
        fail("expected ':' after a key");
      }
      ++m_pos;
      skip_whitespace();
      o.emplace_back(std::move(key), parse_value(depth + 1));
      skip_whitespace();
      if (peek() == ',') {
        ++m_pos;
        continue;
      }
      if (peek() == '}') {
        ++m_pos;
        return Value(std::move(o));
      }
      fail("expected ',' or '}' in an object");
    }
  }

  Value parse_array(int depth)
  {
    ++m_pos; // '['
    Array a;
    skip_whitespace();
    if (peek() == ']') {
      ++m_pos;
      return Value(std::move(a));
    }
    while (true) {
      skip_whitespace();
      a.push_back(parse_value(depth + 1));
      skip_whitespace();
      if (peek() == ',') {
        ++m_pos;
        continue;
      }
      if (peek() == ']') {
        ++m_pos;
        return Value(std::move(a));
      }
      fail("expected ',' or ']' in an array");
    }
  }

  unsigned parse_hex4()
  {
    if (m_pos + 4 > m_text.size()) {
      fail("truncated \\u escape");
    }
    unsigned value = 0;
    for (int i = 0; i < 4; ++i) {
      char c = m_text[m_pos++];
      value <<= 4;
      if (c >= '0' && c <= '9') {
        value |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        value |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        value |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        fail("invalid \\u escape");
      }
    }
    return value;
  }

  static void append_utf8(std::string& out, unsigned cp)
  {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string parse_string()
  {
    ++m_pos; // opening quote
    std::string out;
    while (true) {
      if (at_end()) {
        fail("unterminated string");
      }
      char c = m_text[m_pos];
      if (c == '"') {
        ++m_pos;
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        fail("control character in a string (escape it)");
      }
      if (c != '\\') {
        // Copy the run of plain characters at once.
        std::size_t start = m_pos;
        while (m_pos < m_text.size() && m_text[m_pos] != '"' && m_text[m_pos] != '\\'
               && static_cast<unsigned char>(m_text[m_pos]) >= 0x20) {
          ++m_pos;
        }
        out.append(m_text.substr(start, m_pos - start));
        continue;
      }
      ++m_pos; // backslash
      if (at_end()) {
        fail("unterminated escape");
      }
      char e = m_text[m_pos++];
      switch (e) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        unsigned cp = parse_hex4();
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (m_text.substr(m_pos, 2) != "\\u") {
            fail("unpaired surrogate in \\u escape");
          }
          m_pos += 2;
          unsigned low = parse_hex4();
          if (low < 0xDC00 || low > 0xDFFF) {
            fail("invalid low surrogate in \\u escape");
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          fail("unpaired surrogate in \\u escape");
        }
        append_utf8(out, cp);
        break;
      }
      default:
        fail(fmt::format("invalid escape '\\{}'", e));
      }
    }
  }

  Value parse_number()
  {
    std::size_t start = m_pos;
    bool integral = true;
    if (peek() == '-') {
      ++m_pos;
    }
    if (peek() == '0') {
      ++m_pos;
    } else if (peek() >= '1' && peek() <= '9') {
      while (peek() >= '0' && peek() <= '9') {
        ++m_pos;
      }
    } else {
      fail("invalid number");
    }
    if (peek() == '.') {
      integral = false;
      ++m_pos;
      if (!(peek() >= '0' && peek() <= '9')) {
        fail("invalid number: digits expected after '.'");
      }
      while (peek() >= '0' && peek() <= '9') {
        ++m_pos;
      }
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++m_pos;
      if (peek() == '+' || peek() == '-') {
        ++m_pos;
      }
      if (!(peek() >= '0' && peek() <= '9')) {
        fail("invalid number: digits expected in the exponent");
      }
      while (peek() >= '0' && peek() <= '9') {
        ++m_pos;
      }
    }
    std::string_view text = m_text.substr(start, m_pos - start);
    if (integral) {
      std::int64_t i = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
      if (ec == std::errc() && ptr == text.data() + text.size()) {
        return Value(static_cast<long long>(i));
      }
      // Too large for 64 bits: fall through to a double.
    }
    std::string copy(text);
    errno = 0;
    double d = std::strtod(copy.c_str(), nullptr);
    if (errno == ERANGE && std::isinf(d)) {
      fail("number out of range");
    }
    return Value(d);
  }

  std::string_view m_text;
  std::size_t m_pos = 0;
};

} // namespace

Value parse(std::string_view text)
{
  return Parser(text).parse_document();
}

} // namespace dirsync::json
