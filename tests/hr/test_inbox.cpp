#include "hr/inbox.hpp"
#include "support/hr_fixtures.hpp"
#include "support/scratch_dir.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>
#include <thread>

using namespace dirsync;
using namespace dirsync::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// Generous bound for an event that is already on its way; only reached when something is broken.
constexpr auto k_arrival = 5000ms;

struct Folders
{
  ScratchDir dir;
  fs::path inbox = dir / "inbox";
  fs::path archive = dir / "archive";
  fs::path rejected = dir / "rejected";
  Folders() { fs::create_directories(inbox); }
  hr::Inbox open() { return hr::Inbox(inbox, archive, rejected); }
};

void set_mtime(const fs::path& p, int seconds_ago)
{
  // Whole seconds from a fixed base, so that two files can have exactly the same time.
  static const auto base = std::chrono::floor<std::chrono::seconds>(fs::file_time_type::clock::now());
  fs::last_write_time(p, base - std::chrono::seconds(seconds_ago));
}

hr::Report report_for(std::string name, bool accepted)
{
  return intake(name, accepted ? std::string(k_hr_header) + "\n" + hr_row("001", 1) + "\n" : "").report;
}

std::size_t count_files(const fs::path& dir)
{
  std::size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    n += e.is_regular_file() ? 1 : 0;
  }
  return n;
}

} // namespace

TEST_CASE("Inbox::is_candidate_name ignores hidden and temporary names", "[hr][inbox]")
{
  CHECK(hr::Inbox::is_candidate_name("employees.csv"));
  CHECK(hr::Inbox::is_candidate_name("员工.json"));
  for (const char* name : {".employees.csv", ".", "employees.csv.tmp", "employees.csv.part", "~$employees.csv", ""}) {
    INFO(name);
    CHECK_FALSE(hr::Inbox::is_candidate_name(name));
  }
}

TEST_CASE("Inbox hands out the files present at start, oldest first, and skips the rest", "[hr][inbox]")
{
  Folders f;
  set_mtime(f.dir.write("inbox/b.csv", "b"), 100);
  set_mtime(f.dir.write("inbox/a.csv", "a"), 100); // same time as b: by name
  set_mtime(f.dir.write("inbox/old.json", "o"), 500);
  set_mtime(f.dir.write("inbox/new.csv", "n"), 10);
  f.dir.write("inbox/.hidden.csv", "h");
  f.dir.write("inbox/upload.csv.part", "p");
  f.dir.write("inbox/x.tmp", "t");
  f.dir.write("inbox/~$lock.csv", "l");
  fs::create_directories(f.inbox / "sub.csv");
  fs::create_symlink(f.inbox / "a.csv", f.inbox / "link.csv");

  auto inbox = f.open();
  std::vector<std::string> got;
  while (auto p = inbox.next(0ms)) {
    got.push_back(p->filename().string());
  }
  CHECK(got == std::vector<std::string>{"old.json", "a.csv", "b.csv", "new.csv"});
}

TEST_CASE("Inbox hands out a file only once its writer has closed it", "[hr][inbox]")
{
  Folders f;
  auto inbox = f.open();
  CHECK_FALSE(inbox.next(0ms));
  {
    std::ofstream out(f.inbox / "employees.csv", std::ios::binary);
    out << std::string(k_hr_header) << "\n";
    out.flush();
    CHECK_FALSE(inbox.next(0ms)); // written in part, still open
    CHECK_FALSE(inbox.next(50ms));
    out << hr_row("001", 1) << "\n";
  } // closed here
  auto p = inbox.next(k_arrival);
  REQUIRE(p);
  CHECK(*p == f.inbox / "employees.csv");
  CHECK_FALSE(inbox.next(0ms)); // once
}

TEST_CASE("Inbox hands out a file renamed into it, never its temporary name", "[hr][inbox]")
{
  Folders f;
  auto inbox = f.open();
  f.dir.write("inbox/employees.csv.part", "data");
  f.dir.write("inbox/.employees.csv", "data");
  f.dir.write("inbox/~$employees.csv", "data");
  CHECK_FALSE(inbox.next(0ms));
  fs::rename(f.inbox / "employees.csv.part", f.inbox / "employees.csv");
  auto p = inbox.next(k_arrival);
  REQUIRE(p);
  CHECK(p->filename() == "employees.csv");
  CHECK_FALSE(inbox.next(0ms));

  // Moved in from elsewhere (same file system).
  f.dir.write("outside.json", "[]");
  fs::rename(f.dir / "outside.json", f.inbox / "later.json");
  auto q = inbox.next(k_arrival);
  REQUIRE(q);
  CHECK(q->filename() == "later.json");
}

TEST_CASE("Inbox::wake interrupts a wait at once", "[hr][inbox]")
{
  Folders f;
  auto inbox = f.open();
  inbox.wake();
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(inbox.next(60'000ms));
  std::thread waker([&inbox] { inbox.wake(); });
  CHECK_FALSE(inbox.next(60'000ms));
  waker.join();
  CHECK(std::chrono::steady_clock::now() - start < 30s);
}

TEST_CASE("Inbox::file_away archives with both reports and never overwrites", "[hr][inbox]")
{
  Folders f;
  auto inbox = f.open();
  const std::string content = std::string(k_hr_header) + "\n" + hr_row("001", 1) + "\n";

  f.dir.write("inbox/employees.csv", content);
  auto first = inbox.file_away(f.inbox / "employees.csv", report_for("employees.csv", true));
  CHECK(first.file == f.archive / "employees.csv");
  CHECK(first.report_json == f.archive / "employees.csv.report.json");
  CHECK(first.report_txt == f.archive / "employees.csv.report.txt");
  CHECK(read_file(first.file) == content);
  CHECK(json::parse(read_file(first.report_json)).get_bool("accepted"));
  CHECK(read_file(first.report_txt).rfind("HR file employees.csv: ACCEPTED", 0) == 0);
  CHECK_FALSE(fs::exists(f.inbox / "employees.csv"));

  // The same name again: a numbered name, reports in step, the first one untouched.
  f.dir.write("inbox/employees.csv", "second");
  auto second = inbox.file_away(f.inbox / "employees.csv", report_for("employees.csv", true));
  CHECK(second.file == f.archive / "employees.1.csv");
  CHECK(second.report_json == f.archive / "employees.1.csv.report.json");
  CHECK(second.report_txt == f.archive / "employees.1.csv.report.txt");
  CHECK(read_file(second.file) == "second");
  CHECK(read_file(first.file) == content);

  // A stray report with the next name also counts as a clash.
  f.dir.write("archive/employees.2.csv.report.txt", "someone else's");
  f.dir.write("inbox/employees.csv", "third");
  auto third = inbox.file_away(f.inbox / "employees.csv", report_for("employees.csv", true));
  CHECK(third.file == f.archive / "employees.3.csv");
  CHECK(read_file(f.archive / "employees.2.csv.report.txt") == "someone else's");
  CHECK_FALSE(fs::exists(f.archive / "employees.2.csv"));
  CHECK(count_files(f.archive) == 10); // 3 files x 3 + the stray report: nothing lost
}

TEST_CASE("Inbox::file_away puts a rejected file in rejected/", "[hr][inbox]")
{
  Folders f;
  auto inbox = f.open();
  f.dir.write("inbox/empty.csv", "");
  auto filed = inbox.file_away(f.inbox / "empty.csv", report_for("empty.csv", false));
  CHECK(filed.file == f.rejected / "empty.csv");
  CHECK(fs::exists(filed.file));
  CHECK_FALSE(json::parse(read_file(filed.report_json)).get_bool("accepted"));
  CHECK(read_file(filed.report_txt).find("REJECTED") != std::string::npos);
  CHECK_FALSE(fs::exists(f.archive));
}

TEST_CASE("copy_then_remove copies, keeps the time, and removes the original last", "[hr][inbox]")
{
  ScratchDir dir;
  auto from = dir.write("in/employees.csv", "content");
  set_mtime(from, 3600);
  const auto mtime = fs::last_write_time(from);
  fs::create_directories(dir / "archive");
  REQUIRE(hr::copy_then_remove(from, dir / "archive/employees.csv"));
  CHECK_FALSE(fs::exists(from));
  CHECK(read_file(dir / "archive/employees.csv") == "content");
  CHECK(fs::last_write_time(dir / "archive/employees.csv") == mtime);
  // No temporary left behind.
  CHECK(count_files(dir / "archive") == 1);

  auto again = dir.write("in/employees.csv", "new");
  CHECK_FALSE(hr::copy_then_remove(again, dir / "archive/employees.csv"));
  CHECK(read_file(again) == "new"); // refused: the original stays
  CHECK(read_file(dir / "archive/employees.csv") == "content");
  CHECK(count_files(dir / "archive") == 1);
}

TEST_CASE("Inbox::file_away works across file systems when /dev/shm is one", "[hr][inbox]")
{
  struct stat shm{};
  struct stat tmp{};
  ScratchDir dir;
  if (::stat("/dev/shm", &shm) != 0 || ::stat(dir.path().c_str(), &tmp) != 0 || shm.st_dev == tmp.st_dev) {
    WARN("no second file system at /dev/shm; the cross-file-system move is covered by copy_then_remove");
    return;
  }
  std::string archive_templ = "/dev/shm/dirsync-test-XXXXXX";
  REQUIRE(::mkdtemp(archive_templ.data()) != nullptr);
  const fs::path archive(archive_templ);
  fs::create_directories(dir / "inbox");
  {
    hr::Inbox inbox(dir / "inbox", archive, dir / "rejected");
    auto file = dir.write("inbox/employees.csv", "bytes");
    auto filed = inbox.file_away(file, report_for("employees.csv", true));
    CHECK(filed.file == archive / "employees.csv");
    CHECK(read_file(filed.file) == "bytes");
    CHECK_FALSE(fs::exists(file));
    CHECK(fs::exists(filed.report_json));
  }
  fs::remove_all(archive);
}

TEST_CASE("Inbox refuses a missing folder and notices when its folder goes away", "[hr][inbox]")
{
  ScratchDir dir;
  CHECK_THROWS_WITH(hr::Inbox(dir / "nope", dir / "a", dir / "r"),
                    Catch::Contains("cannot watch the HR inbox") && Catch::Contains("nope"));

  fs::create_directories(dir / "inbox");
  hr::Inbox inbox(dir / "inbox", dir / "a", dir / "r");
  fs::rename(dir / "inbox", dir / "moved");
  CHECK_THROWS_WITH(inbox.next(k_arrival), Catch::Contains("was removed or moved"));
}
