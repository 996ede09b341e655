#include "support/hr_fixtures.hpp"

#include <fmt/format.h>

#include <iconv.h>
#include <stdexcept>

namespace dirsync::testing {

config::HrConfig hr_config(config::HrMode mode)
{
  config::HrConfig hr;
  hr.mode = mode;
  return hr;
}

config::HrConfig hr_config_minimal(config::HrMode mode)
{
  config::HrConfig hr;
  hr.mode = mode;
  hr.columns = {{"employee_no", "工号"}, {"name", "姓名"}, {"email", "邮箱"}, {"department", "部门"}};
  return hr;
}

std::string hr_row(std::string_view no, int n, std::string_view leader, std::string_view status)
{
  return fmt::format("{},员工{},user{}@example.com,138{:08d},总部/技术部/后端组,工程师,{},正式,2024-03-01,{}",
                     no, n, n, n, leader, status);
}

hr::IntakeResult intake(std::string_view name, std::string content, const config::HrConfig& hr,
                        const hr::IntakeContext& context)
{
  hr::IntakeContext ctx = context;
  if (ctx.now == 0) {
    ctx.now = 1'700'000'000;
  }
  return hr::read_export(name, std::move(content), hr, config::SafetyConfig{}, ctx);
}

std::string to_gb18030(std::string_view utf8)
{
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    throw std::runtime_error("iconv cannot convert to GB18030");
  }
  std::string out(utf8.size() * 2 + 16, '\0');
  char* src = const_cast<char*>(utf8.data());
  std::size_t src_left = utf8.size();
  char* dst = out.data();
  std::size_t dst_left = out.size();
  const std::size_t rc = iconv(cd, &src, &src_left, &dst, &dst_left);
  iconv_close(cd);
  if (rc == static_cast<std::size_t>(-1)) {
    throw std::runtime_error("cannot convert to GB18030");
  }
  out.resize(out.size() - dst_left);
  return out;
}

const hr::Problem* find_problem(const hr::Report& report, std::string_view code, std::size_t row)
{
  for (const auto& p : report.problems) {
    if (p.code == code && (row == 0 || p.row == row)) {
      return &p;
    }
  }
  return nullptr;
}

bool has_problem(const hr::Report& report, std::string_view code, std::size_t row)
{
  return find_problem(report, code, row) != nullptr;
}

} // namespace dirsync::testing
