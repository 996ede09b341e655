// Benchmark of HR intake: generates CSV exports of the sizes asked for (default 100k and 1M rows),
// then reads and validates each in a child process of its own, so that the peak memory
// (getrusage ru_maxrss) is that of one validation. Prints wall time, peak memory and the ratio of
// peak memory to file size. Not a test: it asserts nothing but that the generated file is accepted.
//
//   bench_hr [--without-mobile] [ROWS...]     e.g. bench_hr 100000 1000000
//
// --without-mobile leaves the mobile column unmapped, to show what libphonenumber costs.
#include "config/config.hpp"
#include "hr/intake.hpp"
#include "hr_export_generator.hpp"

#include <fmt/format.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace dirsync;

namespace {

int validate(const fs::path& file, std::size_t rows, std::size_t bytes, bool without_mobile)
{
  config::HrConfig hr;
  if (without_mobile) {
    hr.columns.erase("mobile");
  }
  config::SafetyConfig safety;
  hr::IntakeContext context;
  context.previous_present = rows;
  const auto start = std::chrono::steady_clock::now();
  auto result = hr::read_export_file(file, hr, safety, context);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
  const double cpu = secs(usage.ru_utime) + secs(usage.ru_stime);
  const double peak_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;
  const double file_mib = static_cast<double>(bytes) / (1024.0 * 1024.0);
  fmt::print("{:>9} rows  {:>7.1f} MiB file  wall {:>7.3f} s  cpu {:>7.3f} s  {:>8.0f} rows/s  "
             "peak RSS {:>7.1f} MiB ({:.1f}x the file)  accepted={} people={} problems={}\n",
             rows, file_mib, seconds, cpu, static_cast<double>(rows) / seconds, peak_mib,
             peak_mib / file_mib, result.report.accepted, result.roster.people.size(),
             result.report.problems.size());
  return result.report.accepted ? 0 : 1;
}

} // namespace

int main(int argc, char** argv)
{
  std::vector<std::size_t> sizes;
  bool without_mobile = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--without-mobile") {
      without_mobile = true;
    } else {
      sizes.push_back(std::stoul(argv[i]));
    }
  }
  if (sizes.empty()) {
    sizes = {100'000, 1'000'000};
  }
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) == 3) {
    fmt::print("load average before: {:.2f} {:.2f} {:.2f} (on {} cores)\n", load[0], load[1], load[2],
               sysconf(_SC_NPROCESSORS_ONLN));
  }
  const fs::path dir = fs::temp_directory_path() / fmt::format("dirsync-bench-hr-{}", getpid());
  fs::create_directories(dir);
  int status = 0;
  for (std::size_t rows : sizes) {
    const fs::path file = dir / fmt::format("employees-{}.csv", rows);
    const std::size_t bytes = bench::write_hr_export(file, rows);
    std::fflush(stdout);
    const pid_t child = fork();
    if (child == 0) {
      const int rc = validate(file, rows, bytes, without_mobile);
      std::fflush(stdout);
      std::_Exit(rc);
    }
    int child_status = 0;
    waitpid(child, &child_status, 0);
    if (!WIFEXITED(child_status) || WEXITSTATUS(child_status) != 0) {
      fmt::print(stderr, "validation of {} rows failed\n", rows);
      status = 1;
    }
    fs::remove(file);
  }
  fs::remove_all(dir);
  return status;
}
