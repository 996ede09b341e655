#include "storage/sqlite_access.hpp"

#include "common/error.hpp"

#include <fmt/format.h>

namespace dirsync::storage {

void bind_nullable(SQLite::Statement& st, int index, const std::optional<std::string>& value)
{
  if (value) {
    st.bind(index, *value);
  } else {
    st.bind(index);
  }
}

void bind_nullable(SQLite::Statement& st, int index, const std::optional<std::int64_t>& value)
{
  if (value) {
    st.bind(index, *value);
  } else {
    st.bind(index);
  }
}

std::optional<std::string> nullable_text(const SQLite::Column& column)
{
  if (column.isNull()) {
    return std::nullopt;
  }
  return column.getString();
}

std::optional<std::int64_t> nullable_int(const SQLite::Column& column)
{
  if (column.isNull()) {
    return std::nullopt;
  }
  return column.getInt64();
}

void bind_json(SQLite::Statement& st, int index, const json::Value& value)
{
  st.bind(index, value.dump());
}

json::Value json_column(const SQLite::Column& column)
{
  try {
    return json::parse(column.getString());
  } catch (const json::JsonError& e) {
    throw StorageError(fmt::format("column {} does not hold JSON: {}", column.getName(), e.what()));
  }
}

} // namespace dirsync::storage
