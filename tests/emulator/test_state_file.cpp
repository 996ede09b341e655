#include "emulator/state_file.hpp"

#include "common/error.hpp"
#include "support/scratch_dir.hpp"

#include <catch2/catch.hpp>

using dirsync::emulator::save_json_file_atomically;
using dirsync::emulator::try_load_json_file;
using dirsync::json::Value;

TEST_CASE("state file saves atomically and loads back", "[emulator]")
{
  dirsync::testing::ScratchDir dir;
  const auto path = dir / "state.json";
  CHECK_FALSE(try_load_json_file(path));
  const auto value = Value::object({{"users", Value::string_array({"张三", "李四"})}});
  save_json_file_atomically(path, value);
  CHECK(try_load_json_file(path) == value);
  save_json_file_atomically(path, Value::object());
  CHECK(try_load_json_file(path) == Value::object());
  // No temporary file is left beside it.
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("state file names the file and the position of bad JSON", "[emulator]")
{
  dirsync::testing::ScratchDir dir;
  const auto path = dir.write("state.json", "{\n  \"users\": [,]\n}");
  try {
    try_load_json_file(path);
    FAIL("expected an InputError");
  } catch (const dirsync::InputError& e) {
    const std::string message = e.what();
    CHECK(message.starts_with(path.string() + ": line 2"));
  }
}

TEST_CASE("state file save into a missing folder fails with the path", "[emulator]")
{
  dirsync::testing::ScratchDir dir;
  CHECK_THROWS_WITH(save_json_file_atomically(dir / "missing" / "state.json", Value::object()),
                    Catch::Contains("missing/state.json.tmp"));
}
