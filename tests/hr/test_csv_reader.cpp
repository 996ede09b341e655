#include "hr/csv_reader.hpp"

#include <catch2/catch.hpp>

#include <utility>

using namespace dirsync::hr;

namespace {

struct Recorded : TableSink
{
  std::size_t header_row = 0;
  std::vector<std::string> header;
  std::vector<std::pair<std::size_t, std::vector<std::string>>> records;
  std::vector<std::size_t> unreadable;

  void on_header(std::size_t row, std::vector<std::string> columns) override
  {
    header_row = row;
    header = std::move(columns);
  }
  void on_record(std::size_t row, std::vector<Cell>& cells) override
  {
    std::vector<std::string> texts;
    for (auto& c : cells) {
      texts.push_back(c.text);
    }
    records.emplace_back(row, std::move(texts));
  }
  void on_unreadable_record(std::size_t row) override { unreadable.push_back(row); }
};

struct Read
{
  Recorded sink;
  Report report;
};

Read read(std::string_view text)
{
  Read r;
  read_csv(text, r.sink, r.report);
  return r;
}

const Problem* fatal_of(const Report& report)
{
  for (const auto& p : report.problems) {
    if (p.severity == Severity::fatal) {
      return &p;
    }
  }
  return nullptr;
}

using Fields = std::vector<std::string>;

} // namespace

TEST_CASE("read_csv handles quoted fields with commas, quotes and line breaks", "[hr][csv]")
{
  auto r = read("a,b,c\n"
                "\"x, y\",\"say \"\"hi\"\"\",\"line1\nline2\"\n"
                "plain,,\"\"\n");
  REQUIRE(fatal_of(r.report) == nullptr);
  CHECK(r.sink.header == Fields{"a", "b", "c"});
  REQUIRE(r.sink.records.size() == 2);
  CHECK(r.sink.records[0].second == Fields{"x, y", "say \"hi\"", "line1\nline2"});
  CHECK(r.sink.records[1].second == Fields{"plain", "", ""});
  // The record with a line break inside quotes is one row, so the next is row 3 (not line 4).
  CHECK(r.sink.records[0].first == 2);
  CHECK(r.sink.records[1].first == 3);
}

TEST_CASE("read_csv accepts CRLF, LF and CR line ends, with or without a last one", "[hr][csv]")
{
  for (const char* text : {"a,b\r\n1,2\r\n3,4\r\n", "a,b\n1,2\n3,4\n", "a,b\r1,2\r3,4", "a,b\n1,2\n3,4"}) {
    INFO(text);
    auto r = read(text);
    REQUIRE(fatal_of(r.report) == nullptr);
    REQUIRE(r.sink.records.size() == 2);
    CHECK(r.sink.records[0] == std::pair<std::size_t, Fields>{2, {"1", "2"}});
    CHECK(r.sink.records[1] == std::pair<std::size_t, Fields>{3, {"3", "4"}});
  }
}

TEST_CASE("read_csv numbers rows as a spreadsheet does, counting blank lines", "[hr][csv]")
{
  auto r = read("a,b\r\n\r\n1,2\r\n,\r\n\r\n3,4\r\n");
  REQUIRE(fatal_of(r.report) == nullptr);
  CHECK(r.sink.header_row == 1);
  REQUIRE(r.sink.records.size() == 2);
  CHECK(r.sink.records[0].first == 3);
  CHECK(r.sink.records[1].first == 6);

  auto leading_blank = read("\n\na,b\n1,2\n");
  CHECK(leading_blank.sink.header_row == 3);
  CHECK(leading_blank.sink.records.at(0).first == 4);
}

TEST_CASE("read_csv ignores empty padding beyond the header and flags other width errors", "[hr][csv]")
{
  auto r = read("a,b\n1,2,,\n1,2,3\n1\n");
  REQUIRE(fatal_of(r.report) == nullptr);
  REQUIRE(r.sink.records.size() == 1);
  CHECK(r.sink.records[0].second == Fields{"1", "2"});
  CHECK(r.sink.unreadable == std::vector<std::size_t>{3, 4});
  REQUIRE(r.report.problems.size() == 2);
  CHECK(r.report.problems[0].code == "field_count");
  CHECK(r.report.problems[0].row == 3);
  CHECK(r.report.problems[0].message.find("comma") != std::string::npos);
  CHECK(r.report.problems[1].row == 4);
}

TEST_CASE("read_csv rejects a file cut inside a quoted value", "[hr][csv]")
{
  auto r = read("a,b\n1,2\n3,\"unfinished va");
  const Problem* fatal = fatal_of(r.report);
  REQUIRE(fatal != nullptr);
  CHECK(fatal->code == "truncated");
  CHECK(fatal->row == 3);
  CHECK(r.sink.records.size() == 1); // never the cut row
}

TEST_CASE("read_csv rejects a last row without line end that is shorter than the header", "[hr][csv]")
{
  auto r = read("a,b,c\n1,2,3\n4,5");
  const Problem* fatal = fatal_of(r.report);
  REQUIRE(fatal != nullptr);
  CHECK(fatal->code == "truncated");
  CHECK(fatal->row == 3);
}

TEST_CASE("read_csv rejects stray quotes with the row", "[hr][csv]")
{
  for (const char* text : {"a,b\n1,2\n3,x\"y\n", "a,b\n1,2\n3,\"x\"y\n"}) {
    INFO(text);
    auto r = read(text);
    const Problem* fatal = fatal_of(r.report);
    REQUIRE(fatal != nullptr);
    CHECK(fatal->code == "csv_syntax");
    CHECK(fatal->row == 3);
  }
}

TEST_CASE("read_csv reports an empty or blank file", "[hr][csv]")
{
  for (const char* text : {"", "\n\n", " , ,\r\n"}) {
    auto r = read(text);
    const Problem* fatal = fatal_of(r.report);
    REQUIRE(fatal != nullptr);
    CHECK(fatal->code == "empty_file");
  }
}
