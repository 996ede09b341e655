// Makes synthetic HR exports for benchmarks and tests: a company of `rows` people in a department
// tree, each with a leader earlier in the file, unique emails and mobiles, with the column names
// of DESIGN.md §5. Deterministic for a given `rows`.
#pragma once

#include <cstddef>
#include <filesystem>

namespace dirsync::bench {

// Writes the CSV (UTF-8, LF) to `path`; returns its size in bytes. Throws std::runtime_error when it
// cannot write.
std::size_t write_hr_export(const std::filesystem::path& path, std::size_t rows);

} // namespace dirsync::bench
