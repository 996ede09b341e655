// Gives the cells of a record their meaning: finds the configured HR columns (hr.columns) in the
// header, then turns each record into a normalized Person, reporting every value it cannot use.
//
// A row is "ok" when it has no problem of severity error. A row with errors still yields what could
// be read (at least the employee number, when there is one), so that a full-mode plan can hold that
// person instead of taking them for a leaver.
//
// Required, for a row whose status is active: employee_no, name, department, and an email or a
// mobile. A terminated row needs only its employee number.
#pragma once

#include "config/config.hpp"
#include "hr/normalize.hpp"
#include "hr/report.hpp"
#include "hr/roster.hpp"
#include "hr/table.hpp"

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace dirsync::hr {

// The fields of a Person that a column can feed, in the order rows are checked.
enum class Field {
  employee_no,
  status,
  name,
  en_name,
  email,
  mobile,
  department,
  job_title,
  leader,
  employee_type,
  join_date,
  city,
  work_station,
  gender,
};
inline constexpr std::size_t k_field_count = 14;

std::string_view to_string(Field field);
std::optional<Field> try_parse_field(std::string_view name);

class RowMapper
{
public:
  struct Mapped
  {
    Person person;
    bool ok = false;
  };

  // Throws ConfigError when hr.columns names an unknown field or lacks a required one.
  explicit RowMapper(const config::HrConfig& config);

  // Finds every configured column in `header`. Adds a fatal problem naming the missing and the
  // present columns (or the duplicated ones) and returns false when the file cannot be mapped.
  bool bind(const std::vector<std::string>& header, Report& report);

  // Maps one record (as wide as the header). Problems go to `report`.
  Mapped map(std::size_t row, std::vector<Cell>& cells, Report& report);

  // How many employee numbers arrived as JSON numbers (which cannot carry leading zeros).
  std::size_t numeric_employee_numbers() const { return m_numeric_employee_nos; }

  // The HR column name of a field ("" when it is not mapped).
  const std::string& column_of(Field field) const;

private:
  const config::HrConfig& m_config;
  MobileNormalizer m_mobiles;
  std::array<std::string, k_field_count> m_columns;             // HR column name per field
  std::array<std::optional<std::size_t>, k_field_count> m_index; // its position in the header
  std::size_t m_numeric_employee_nos = 0;
};

} // namespace dirsync::hr
