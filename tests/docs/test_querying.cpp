// docs/querying.md promises that its example queries run: this test takes every ```sql block of it
// (and of docs/database.md, docs/planning.md and README.md) and runs it against a database refreshed from the
// emulator (with history between two refreshes).
#include "storage/sqlite_access.hpp"
#include "support/emulator_process.hpp"
#include "support/scratch_dir.hpp"
#include "sync/refresh.hpp"
#include "sync/refresh_fixtures.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace dirsync;

namespace {

std::vector<std::string> sql_blocks(const std::filesystem::path& markdown)
{
  std::ifstream in(markdown);
  REQUIRE(in);
  std::vector<std::string> blocks;
  std::string line;
  std::string block;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line == "```sql") {
      inside = true;
      block.clear();
    } else if (inside && line == "```") {
      inside = false;
      blocks.push_back(block);
    } else if (inside) {
      block += line + "\n";
    }
  }
  CHECK_FALSE(inside);
  return blocks;
}

} // namespace

TEST_CASE("every example query of docs/querying.md, docs/database.md and README.md runs on a refreshed mirror", "[docs][emulator]")
{
  const auto blocks = sql_blocks(std::filesystem::path(DIRSYNC_SOURCE_DIR) / "docs" / "querying.md");
  REQUIRE(blocks.size() >= 8);

  testing::ScratchDir dir;
  testing::EmulatorProcess emu(testing::refresh_test_tenant(600, 60), {"--rate-limit-scale", "50"});
  const auto config = testing::refresh_test_config(emu.base_url(), dir.path());
  feishu::Client client(config.feishu);
  storage::Database db(config.storage.database);
  REQUIRE(sync::refresh_mirror(client, db, config).run.result == storage::RefreshResult::ok);
  // Some history: a new title, and a leaver.
  auto state = emu.state();
  std::map<std::string, std::string> open;
  for (auto& u : state["users"].as_array()) {
    open[u.get_string("user_id")] = u.get_string("open_id");
  }
  feishu::UserPatch retitle;
  retitle.job_title = "架构师";
  client.patch_user(open.at("E000100"), retitle);
  client.delete_user(open.at("E000200"));
  REQUIRE(sync::refresh_mirror(client, db, config).run.result == storage::RefreshResult::ok);

  auto& sql = storage::SqliteAccess::connection(db);
  auto run = [&](const std::string& query) {
    INFO(query);
    int rows = 0;
    CHECK_NOTHROW([&] {
      SQLite::Statement st(sql, query);
      while (st.executeStep()) {
        ++rows;
      }
    }());
    return rows;
  };
  std::size_t with_rows = 0;
  for (const auto& query : blocks) {
    with_rows += run(query) > 0 ? 1 : 0;
  }
  // Most examples find something in this tenant; a query that silently matches nothing any more
  // (a renamed column compared with IS NULL, ...) shows up here.
  CHECK(with_rows >= blocks.size() / 2);

  // docs/database.md's examples too (most are about plans and HR files, empty here: they must run).
  const auto reference = sql_blocks(std::filesystem::path(DIRSYNC_SOURCE_DIR) / "docs" / "database.md");
  CHECK(reference.size() >= 5);
  for (const auto& query : reference) {
    run(query);
  }

  // docs/planning.md's, for reviewing a held plan.
  const auto planning = sql_blocks(std::filesystem::path(DIRSYNC_SOURCE_DIR) / "docs" / "planning.md");
  CHECK(planning.size() >= 3);
  for (const auto& query : planning) {
    run(query);
  }

  // README.md's, which every admin reads first.
  const auto readme = sql_blocks(std::filesystem::path(DIRSYNC_SOURCE_DIR) / "README.md");
  CHECK(readme.size() >= 5);
  for (const auto& query : readme) {
    run(query);
  }
}
