#include "hr_export_generator.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

namespace dirsync::bench {

std::size_t write_hr_export(const std::filesystem::path& path, std::size_t rows)
{
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!f) {
    throw std::runtime_error("cannot write " + path.string());
  }
  static constexpr const char* k_surnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"};
  static constexpr const char* k_given[] = {"伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军"};
  static constexpr const char* k_types[] = {"正式", "正式", "正式", "实习", "外包"};
  static constexpr const char* k_titles[] = {"工程师", "高级工程师", "经理", "\"专员, 二级\"", "总监"};
  std::string out = "工号,姓名,邮箱,手机,部门,职务,直属上级工号,员工类型,入职日期,状态\n";
  std::size_t written = 0;
  for (std::size_t i = 1; i <= rows; ++i) {
    // Departments: 10 divisions x 10 centres x teams. Every 50th person has left, except leaders
    // (the first eighth of the file), so that the export is clean.
    const std::size_t team = i % 997;
    const std::string leader = i == 1 ? std::string() : fmt::format("{:08d}", (i - 1) / 8 + 1);
    fmt::format_to(std::back_inserter(out),
                   "{:08d},{}{},user{}@example.com,1{}{:09d},总部/事业部{}/中心{}/组{},{},{},{},{}-{:02d}-{:02d},{}\n",
                   i, k_surnames[i % 10], k_given[(i / 10) % 10], i, 3 + (i % 7 == 0 ? 5 : 0), i,
                   team % 10, team % 100 / 10, team, k_titles[i % 5], leader, k_types[i % 5],
                   2000 + i % 25, 1 + i % 12, 1 + i % 28, i % 50 == 0 && i > rows / 8 + 1 ? "离职" : "在职");
    if (out.size() > (1 << 20)) {
      written += std::fwrite(out.data(), 1, out.size(), f.get());
      out.clear();
    }
  }
  written += std::fwrite(out.data(), 1, out.size(), f.get());
  if (std::fflush(f.get()) != 0) {
    throw std::runtime_error("cannot write " + path.string());
  }
  return written;
}

} // namespace dirsync::bench
