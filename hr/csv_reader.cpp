#include "hr/csv_reader.hpp"

#include "hr/normalize.hpp"

#include <csv.h>
#include <fmt/format.h>

#include <memory>

namespace dirsync::hr {

namespace {

class CsvState
{
public:
  CsvState(TableSink& sink, Report& report) : m_sink(sink), m_report(report) {}

  static void on_field(void* data, std::size_t len, void* self)
  {
    static_cast<CsvState*>(self)->field(static_cast<const char*>(data), len);
  }

  static void on_end(int terminator, void* self)
  {
    static_cast<CsvState*>(self)->end(terminator);
  }

  std::size_t row() const { return m_row; }
  bool stopped() const { return m_stopped; }
  bool header_seen() const { return m_header_seen; }

  void fatal(std::size_t row, std::string code, std::string message)
  {
    m_report.add({row, {}, {}, Severity::fatal, std::move(code), std::move(message)});
    m_stopped = true;
  }

private:
  void field(const char* data, std::size_t len)
  {
    if (m_stopped) {
      return;
    }
    Cell cell;
    if (data != nullptr) {
      cell.text.assign(data, len);
    }
    m_cells.push_back(std::move(cell));
  }

  void end(int terminator)
  {
    if (m_stopped) {
      return;
    }
    const int previous = m_last_terminator;
    m_last_terminator = terminator;
    if (m_cells.empty()) {
      // With CSV_REPALL_NL every unquoted line end ends a (possibly empty) record: the LF of a
      // CRLF pair is not a line of its own; any other empty record is a blank line.
      if (!(terminator == '\n' && previous == '\r')) {
        ++m_row;
      }
      return;
    }
    record(terminator == -1);
    m_cells.clear();
    ++m_row;
  }

  void record(bool without_line_end)
  {
    bool all_empty = true;
    for (const auto& cell : m_cells) {
      if (!trim(cell.text).empty()) {
        all_empty = false;
        break;
      }
    }
    if (all_empty) {
      return;
    }
    if (!m_header_seen) {
      std::vector<std::string> columns;
      columns.reserve(m_cells.size());
      for (const auto& cell : m_cells) {
        columns.emplace_back(trim(cell.text));
      }
      m_width = columns.size();
      m_header_seen = true;
      m_sink.on_header(m_row, std::move(columns));
      return;
    }
    if (m_cells.size() > m_width) {
      bool extra_empty = true;
      for (std::size_t i = m_width; i < m_cells.size(); ++i) {
        extra_empty = extra_empty && trim(m_cells[i].text).empty();
      }
      if (!extra_empty) {
        m_report.add({m_row, {}, {}, Severity::error, "field_count",
                      fmt::format("the row has {} values but the header has {} columns; a value "
                                  "probably contains a comma and is not in quotes",
                                  m_cells.size(), m_width)});
        m_sink.on_unreadable_record(m_row);
        return;
      }
      m_cells.resize(m_width);
    } else if (m_cells.size() < m_width) {
      if (without_line_end) {
        fatal(m_row, "truncated",
              fmt::format("the last row has {} values but the header has {} columns, and the file "
                          "does not end with a line break: the file looks cut off",
                          m_cells.size(), m_width));
        return;
      }
      m_report.add({m_row, {}, {}, Severity::error, "field_count",
                    fmt::format("the row has {} values but the header has {} columns",
                                m_cells.size(), m_width)});
      m_sink.on_unreadable_record(m_row);
      return;
    }
    m_sink.on_record(m_row, m_cells);
  }

  TableSink& m_sink;
  Report& m_report;
  std::vector<Cell> m_cells;
  std::size_t m_row = 1;
  std::size_t m_width = 0;
  int m_last_terminator = 0;
  bool m_header_seen = false;
  bool m_stopped = false;
};

struct ParserDeleter
{
  void operator()(csv_parser* p) const
  {
    csv_free(p);
    delete p;
  }
};

} // namespace

void read_csv(std::string_view text, TableSink& sink, Report& report)
{
  std::unique_ptr<csv_parser, ParserDeleter> parser(new csv_parser{});
  if (csv_init(parser.get(), CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0) {
    throw Error("libcsv could not be initialised (out of memory)");
  }
  CsvState state(sink, report);
  const std::size_t parsed =
    csv_parse(parser.get(), text.data(), text.size(), &CsvState::on_field, &CsvState::on_end, &state);
  if (state.stopped()) {
    return;
  }
  if (parsed != text.size()) {
    if (csv_error(parser.get()) == CSV_EPARSE) {
      state.fatal(state.row(), "csv_syntax",
                  "a quote is out of place: either a value contains a quote but is not itself in "
                  "quotes, or text follows a closing quote. Put the whole value in quotes and double "
                  "the quotes inside it (\"like \"\"this\"\"\")");
    } else {
      state.fatal(state.row(), "csv_syntax",
                  fmt::format("the CSV parser failed: {}", csv_strerror(csv_error(parser.get()))));
    }
    return;
  }
  if (csv_fini(parser.get(), &CsvState::on_field, &CsvState::on_end, &state) != 0) {
    state.fatal(state.row(), "truncated",
                "a quoted value starts in this row and never ends: the file is cut off, or a "
                "closing quote is missing");
    return;
  }
  if (!state.stopped() && !state.header_seen()) {
    state.fatal(0, "empty_file", "the file is empty: it has no header row and no data");
  }
}

} // namespace dirsync::hr
