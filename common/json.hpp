// A small JSON value type with a strict parser and a serializer.
//
// It exists so that JSON can be read and written everywhere (HR exports, reports, plans, the
// status endpoint, API bodies) without third-party types crossing module boundaries: cpprestsdk is
// used for HTTP only, and bodies go through this type.
//
// Objects keep their members in insertion order (reports and API bodies read better that way);
// lookup is linear, which is right for the small objects this product handles. Numbers that are
// written without fraction or exponent and fit in 64 bits are integers; others are doubles.
// Strings hold UTF-8; \u escapes (including surrogate pairs) are decoded on parse, and on output
// only what JSON requires is escaped.
#pragma once

#include "common/error.hpp"

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace dirsync::json {

class Value;
using Array = std::vector<Value>;
using Member = std::pair<std::string, Value>;
using Object = std::vector<Member>;

// Thrown by parse() with the 1-based line and column of the problem, and by the typed accessors
// when a value is not of the type asked for.
class JsonError : public Error
{
public:
  JsonError(const std::string& message, std::size_t line = 0, std::size_t column = 0);
  std::size_t line() const { return m_line; }
  std::size_t column() const { return m_column; }

private:
  std::size_t m_line;
  std::size_t m_column;
};

enum class Type { null, boolean, integer, number, string, array, object };

// The name of a type as people read it: "null", "a boolean", "an integer", ...
std::string_view type_name(Type type);

class Value
{
public:
  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : m_v(b) {}
  Value(int i) : m_v(static_cast<std::int64_t>(i)) {}
  Value(long i) : m_v(static_cast<std::int64_t>(i)) {}
  Value(long long i) : m_v(static_cast<std::int64_t>(i)) {}
  Value(unsigned i) : m_v(static_cast<std::int64_t>(i)) {}
  Value(double d) : m_v(d) {}
  Value(std::string s) : m_v(std::move(s)) {}
  Value(std::string_view s) : m_v(std::string(s)) {}
  Value(const char* s) : m_v(std::string(s)) {}
  Value(Array a) : m_v(std::move(a)) {}
  Value(Object o) : m_v(std::move(o)) {}

  static Value object() { return Value(Object{}); }
  static Value array() { return Value(Array{}); }
  // An object from members: json::Value::object({{"a", 1}, {"b", "x"}}).
  static Value object(std::initializer_list<Member> members) { return Value(Object(members)); }
  // An array of strings, a common shape in API bodies.
  static Value string_array(const std::vector<std::string>& items);

  Type type() const;
  bool is_null() const { return type() == Type::null; }
  bool is_bool() const { return type() == Type::boolean; }
  bool is_integer() const { return type() == Type::integer; }
  bool is_number() const { return type() == Type::integer || type() == Type::number; }
  bool is_string() const { return type() == Type::string; }
  bool is_array() const { return type() == Type::array; }
  bool is_object() const { return type() == Type::object; }

  // Typed access; each throws JsonError when the value has another type. as_int() accepts a
  // double with no fractional part; as_double() accepts an integer.
  bool as_bool() const;
  std::int64_t as_int() const;
  double as_double() const;
  // On a temporary Value these return the member by value, so that
  // `for (auto& x : parse(text).as_array())` does not loop over a destroyed array.
  const std::string& as_string() const&;
  std::string as_string() &&;
  const Array& as_array() const&;
  Array& as_array() &;
  Array as_array() &&;
  const Object& as_object() const&;
  Object& as_object() &;
  Object as_object() &&;

  // Object access. find() returns nullptr when the key is absent (or this is not an object). It is
  // refused on a temporary Value, whose members die with it: name the value first.
  const Value* find(std::string_view key) const&;
  Value* find(std::string_view key) &;
  const Value* find(std::string_view key) const&& = delete;
  // A copy of the member, or null when absent: for reading a member of a temporary Value
  // (`client.send(call).get("user").get_string("open_id")`).
  Value get(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  // Returns the member, inserting null when absent; turns a null value into an object first.
  Value& operator[](std::string_view key);
  // Sets a member (replacing an existing one) and returns *this, for chaining.
  Value& set(std::string_view key, Value value);
  // Removes a member if present; returns whether it was.
  bool erase(std::string_view key);

  // Convenience for optional members of the expected type; a member that is present but of
  // another type throws JsonError naming the key.
  std::string get_string(std::string_view key, std::string_view fallback = {}) const;
  std::int64_t get_int(std::string_view key, std::int64_t fallback = 0) const;
  bool get_bool(std::string_view key, bool fallback = false) const;

  // Array access: appends (turning a null value into an array first).
  void push_back(Value value);
  // Number of members or elements; 0 for scalars.
  std::size_t size() const;

  // Compact serialization, and an indented one for people.
  std::string dump() const;
  std::string dump_pretty(int indent = 2) const;

  friend bool operator==(const Value& a, const Value& b);

private:
  std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, Array, Object> m_v;
};

// Parses exactly one JSON text (surrounding whitespace allowed). Throws JsonError with line and
// column. Nesting deeper than 512 levels is refused, so hostile input cannot exhaust the stack.
Value parse(std::string_view text);

// Appends `s` to `out` as a JSON string literal, quotes included.
void append_quoted(std::string& out, std::string_view s);

} // namespace dirsync::json
