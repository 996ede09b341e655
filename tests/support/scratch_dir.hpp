// A scratch directory per test: created empty under the system temp directory, removed when the
// test passed, kept (and its path printed) when an assertion failed, so the evidence survives.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace dirsync::testing {

// Called by the test listener on every failed assertion.
void note_assertion_failure();

class ScratchDir
{
public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  std::filesystem::path operator/(std::string_view name) const { return m_path / name; }

  // Writes `content` to `name` (creating parent folders) and returns the full path.
  std::filesystem::path write(std::string_view name, std::string_view content) const;

private:
  std::filesystem::path m_path;
  unsigned long m_failures_at_start;
};

// Reads a whole file; throws std::runtime_error if it cannot.
std::string read_file(const std::filesystem::path& path);

} // namespace dirsync::testing
