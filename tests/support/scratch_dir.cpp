#include "support/scratch_dir.hpp"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace dirsync::testing {

namespace {

std::atomic<unsigned long> g_failures{0};

} // namespace

void note_assertion_failure()
{
  ++g_failures;
}

ScratchDir::ScratchDir()
  : m_failures_at_start(g_failures.load())
{
  std::string templ = (std::filesystem::temp_directory_path() / "dirsync-test-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) {
    throw std::runtime_error("cannot create a scratch directory under " + templ);
  }
  m_path = templ;
}

ScratchDir::~ScratchDir()
{
  if (g_failures.load() != m_failures_at_start || std::uncaught_exceptions() > 0) {
    std::cerr << "scratch directory kept for inspection: " << m_path << '\n';
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(m_path, ec);
}

std::filesystem::path ScratchDir::write(std::string_view name, std::string_view content) const
{
  auto p = m_path / name;
  std::filesystem::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary);
  f.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!f) {
    throw std::runtime_error("cannot write " + p.string());
  }
  return p;
}

std::string read_file(const std::filesystem::path& path)
{
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    throw std::runtime_error("cannot read " + path.string());
  }
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

} // namespace dirsync::testing
