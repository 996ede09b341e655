// The configuration loader. It walks the YAML tree section by section with a Loader that knows,
// for every mapping, which keys it may hold; each key's value is read by a typed reader that
// either stores the value in the Config or records a problem and leaves the default in place, so
// that one pass finds every problem. Positions come from yaml-cpp's marks (0-based, shown
// 1-based) and point at the key a problem is about, or at the list item for list items.
//
// Values are echoed in messages only when they are scalars of known keys, shortened; values of
// unknown keys, the app id and anything read from a secret file are never echoed.
#include "config/loader.hpp"

#include "common/error.hpp"
#include "common/redact.hpp"
#include "config/values.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <span>
#include <sstream>
#include <tuple>

namespace dirsync::config {

namespace {

using Keys = std::span<const std::string_view>;

constexpr std::array<std::string_view, 6> k_top_keys{"feishu", "storage", "sync",
                                                     "hr",     "server",  "logging"};
constexpr std::array<std::string_view, 7> k_feishu_keys{
  "base_url", "app_id", "app_secret_file", "timeout", "max_in_flight", "max_attempts", "rate_limits"};
constexpr std::array<std::string_view, 1> k_storage_keys{"database"};
constexpr std::array<std::string_view, 9> k_sync_keys{
  "refresh_interval", "scope",  "apply_mode",   "drift", "owned_fields",
  "leaver",           "rehire", "future_hires", "safety"};
constexpr std::array<std::string_view, 2> k_scope_keys{"departments", "exclude_departments"};
constexpr std::array<std::string_view, 3> k_leaver_keys{"action", "acceptor", "fallback_acceptor"};
constexpr std::array<std::string_view, 1> k_rehire_keys{"resurrect_within_days"};
constexpr std::array<std::string_view, 1> k_future_hires_keys{"pre_start_days"};
constexpr std::array<std::string_view, 6> k_safety_keys{
  "max_deletes",        "max_deletes_percent", "max_source_shrink_percent",
  "max_mirror_shrink_percent", "protected_users", "hold_first_plan"};
constexpr std::array<std::string_view, 11> k_hr_keys{
  "inbox",          "archive",        "rejected", "mode",    "format", "encoding",
  "default_region", "department_key", "department_separator", "columns", "values"};
constexpr std::array<std::string_view, 1> k_server_keys{"listen"};
constexpr std::array<std::string_view, 1> k_logging_keys{"level"};

constexpr std::array<std::string_view, 11> k_owned_fields{
  "name",   "en_name",       "email",     "mobile", "department",  "job_title",
  "leader", "employee_type", "join_time", "city",   "work_station"};
constexpr std::array<std::string_view, 14> k_hr_fields{
  "employee_no", "name",   "en_name", "email",     "mobile", "department",   "job_title",
  "leader",      "employee_type", "join_date", "status", "city", "work_station", "gender"};
constexpr std::array<std::string_view, 3> k_hr_value_fields{"employee_type", "status", "gender"};
constexpr std::array<std::string_view, 7> k_log_levels{"trace", "debug", "info", "warn",
                                                       "error", "critical", "off"};

constexpr std::string_view k_secret_ways =
  "set feishu.app_secret_file to a file holding it, or pass the systemd credential app_secret "
  "(LoadCredential=app_secret:FILE), or set the environment variable DIRSYNC_APP_SECRET";

// A scalar as shown in a message: quoted, escaped, and cut after 60 bytes on a character boundary.
std::string quote_value(std::string_view text)
{
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i >= 60 && (static_cast<unsigned char>(c) & 0xC0U) != 0x80U) {
      out += "...";
      break;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

// What a node is, for "(got ...)".
std::string describe(const YAML::Node& node)
{
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return quote_value(node.Scalar());
    case YAML::NodeType::Sequence:
      return node.size() == 0 ? "an empty list" : "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

// "a or b", "a, b or c", each in backticks.
std::string choices(Keys keys)
{
  std::string out;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) {
      out += i + 1 == keys.size() ? " or " : ", ";
    }
    out += fmt::format("`{}`", keys[i]);
  }
  return out;
}

std::string join(Keys keys)
{
  std::string out;
  for (const auto key : keys) {
    if (!out.empty()) {
      out += ", ";
    }
    out += key;
  }
  return out;
}

bool contains(Keys keys, std::string_view key)
{
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

std::optional<long long> try_parse_integer(std::string_view text)
{
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
  }
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::optional<double> try_parse_number(std::string_view text)
{
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
  }
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::string strip_trailing_newlines(std::string text)
{
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  return text;
}

// One key of a mapping with its value; `path` is the dotted key path used in messages.
struct Entry
{
  YAML::Node key;
  YAML::Node value;
  std::string path;
};

// The keys of one mapping, in document order. `mark` is where problems about the mapping as a
// whole (a missing required key) are reported: its key, or the document start for the root.
struct Section
{
  std::string path;
  YAML::Mark mark;
  std::vector<Entry> entries;

  const Entry* find(std::string_view key) const
  {
    for (const auto& entry : entries) {
      if (entry.key.Scalar() == key) {
        return &entry;
      }
    }
    return nullptr;
  }
};

// A secret read from a file: the secret, or a problem phrase naming the file. `content` holds
// what the file held even when it was refused (say, for its mode), so that messages can be
// scrubbed of it.
struct SecretFile
{
  std::optional<std::string> secret;
  std::string content;
  std::string problem;  // set when there is no secret
  bool missing = false; // the file does not exist
};

SecretFile read_secret_file(const std::filesystem::path& path, bool require_private_mode)
{
  constexpr std::size_t k_max_size = 4096;
  SecretFile out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int error = errno;
    out.missing = error == ENOENT;
    out.problem = fmt::format("cannot read {}: {}", path.string(), std::strerror(error));
    return out;
  }
  struct stat st
  {
  };
  if (::fstat(fd, &st) != 0) {
    out.problem = fmt::format("cannot read {}: {}", path.string(), std::strerror(errno));
    ::close(fd);
    return out;
  }
  if (!S_ISREG(st.st_mode)) {
    out.problem = fmt::format("{} is not a regular file (it must be a file holding only the app secret)",
                              path.string());
    ::close(fd);
    return out;
  }
  std::string content(k_max_size + 1, '\0');
  std::size_t total = 0;
  int read_error = 0;
  while (total < content.size()) {
    const ssize_t n = ::read(fd, content.data() + total, content.size() - total);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      read_error = errno;
      break;
    }
    if (n == 0) {
      break;
    }
    total += static_cast<std::size_t>(n);
  }
  ::close(fd);
  content.resize(total);
  out.content = strip_trailing_newlines(content);

  if (read_error != 0) {
    out.problem = fmt::format("cannot read {}: {}", path.string(), std::strerror(read_error));
  } else if (require_private_mode && (st.st_mode & 077) != 0) {
    out.problem = fmt::format(
      "{} is accessible by group or others (mode {:04o}); the app secret must be readable by its "
      "owner only: run chmod 600 {}",
      path.string(), st.st_mode & 07777, path.string());
  } else if (total > k_max_size) {
    out.problem = fmt::format("{} is larger than 4 KiB; it must hold only the app secret", path.string());
  } else if (out.content.empty()) {
    out.problem = fmt::format("{} is empty; it must hold the app secret", path.string());
  } else if (out.content.find_first_of("\r\n") != std::string::npos) {
    out.problem = fmt::format("{} holds more than one line; it must hold only the app secret", path.string());
  } else {
    out.secret = out.content;
  }
  return out;
}

// Replaces every occurrence of `secret` in `text`.
void scrub(std::string& text, const std::string& secret)
{
  for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
    const std::string hidden = redact(secret);
    text.replace(pos, secret.size(), hidden);
    pos += hidden.size();
  }
}

class Loader
{
public:
  Loader(std::string label, std::filesystem::path base_dir, const Environment& env, SecretUse secret_use)
    : m_label(std::move(label)),
      m_base_dir(std::move(base_dir)),
      m_env(env),
      m_secret_use(secret_use)
  {
  }

  Config load(std::string_view text)
  {
    m_text = text;
    Config config;
    std::vector<YAML::Node> documents;
    try {
      documents = YAML::LoadAll(std::string(text));
    } catch (const YAML::Exception& e) {
      problem(e.mark, "", "not valid YAML: " + e.msg + (tab_indents(e.mark) ? " (indent with spaces, not tabs)" : ""));
      fail();
    }
    const YAML::Node root = documents.empty() ? YAML::Node() : documents.front();
    if (documents.size() > 1) {
      problem(documents[1].Mark(), "",
              "a second YAML document (the configuration is one document; remove the `---`)");
    }
    if (!root.IsNull() && !root.IsMap()) {
      problem(root.Mark(), "", "the configuration must be a mapping of sections (feishu:, storage:, ...)");
      fail();
    }
    const Section top = open(root, root.Mark(), "", k_top_keys);

    read_feishu(child(top, "feishu", k_feishu_keys), config.feishu);
    read_storage(child(top, "storage", k_storage_keys), config.storage);
    read_sync(child(top, "sync", k_sync_keys), config.sync);
    read_hr(child(top, "hr", k_hr_keys), config.hr);
    read_server(child(top, "server", k_server_keys), config.server);
    read_logging(child(top, "logging", k_logging_keys), config.logging);

    if (!m_problems.empty()) {
      fail();
    }
    return config;
  }

private:
  // ---- problems and sections ----

  void problem(const YAML::Mark& mark, std::string_view path, std::string_view what)
  {
    const int line = mark.is_null() ? 1 : mark.line + 1;
    const int column = mark.is_null() ? 1 : character_column(mark) + 1;
    std::string text = path.empty() ? fmt::format("{}:{}:{}: {}", m_label, line, column, what)
                                    : fmt::format("{}:{}:{}: {}: {}", m_label, line, column, path, what);
    m_problems.push_back({line, column, std::move(text)});
  }

  // yaml-cpp counts columns in bytes; people (and compilers) count characters.
  int character_column(const YAML::Mark& mark) const
  {
    if (mark.pos < mark.column || static_cast<std::size_t>(mark.pos) > m_text.size()) {
      return mark.column;
    }
    const auto before = m_text.substr(static_cast<std::size_t>(mark.pos - mark.column),
                                      static_cast<std::size_t>(mark.column));
    return static_cast<int>(std::count_if(before.begin(), before.end(), [](char c) {
      return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
    }));
  }

  // Whether the line of `mark` is indented with a tab, a common cause of YAML syntax errors.
  bool tab_indents(const YAML::Mark& mark) const
  {
    if (mark.is_null() || mark.pos < mark.column || static_cast<std::size_t>(mark.pos) > m_text.size()) {
      return false;
    }
    const auto line = m_text.substr(static_cast<std::size_t>(mark.pos - mark.column));
    const auto indent = line.substr(0, line.find_first_not_of(" \t"));
    return indent.find('\t') != std::string_view::npos;
  }

  // Every problem, in the order of their positions in the file.
  [[noreturn]] void fail()
  {
    std::stable_sort(m_problems.begin(), m_problems.end(), [](const Problem& a, const Problem& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    std::vector<std::string> texts;
    texts.reserve(m_problems.size());
    for (auto& p : m_problems) {
      // A secret pasted into the wrong place may show up in a key path or a quoted value.
      for (const auto& secret : m_secrets) {
        scrub(p.text, secret);
      }
      texts.push_back(std::move(p.text));
    }
    throw ConfigError(std::move(texts));
  }

  void problem(const Entry& entry, std::string_view what) { problem(entry.key.Mark(), entry.path, what); }

  static std::string child_path(std::string_view parent, std::string_view key)
  {
    return parent.empty() ? std::string(key) : fmt::format("{}.{}", parent, key);
  }

  // Opens `node` as a mapping whose keys must be among `known` (any key when `known` is empty).
  // A null node (a section with all its keys commented out) is an empty mapping.
  Section open(const YAML::Node& node, const YAML::Mark& mark, const std::string& path, Keys known)
  {
    Section section{path, mark, {}};
    if (node.IsNull() || !node.IsDefined()) {
      return section;
    }
    if (!node.IsMap()) {
      problem(mark, path, fmt::format("must be a mapping (got {})", describe(node)));
      return section;
    }
    for (const auto& pair : node) {
      const YAML::Node& key = pair.first;
      if (!key.IsScalar() || key.Scalar().empty()) {
        problem(key.Mark(), path, "keys must be plain names");
        continue;
      }
      Entry entry{key, pair.second, child_path(path, key.Scalar())};
      if (const Entry* first = section.find(key.Scalar())) {
        problem(entry, fmt::format("duplicate key (first given at line {}, column {})",
                                   first->key.Mark().line + 1, character_column(first->key.Mark()) + 1));
        continue;
      }
      if (!known.empty() && !contains(known, key.Scalar())) {
        report_unknown_key(entry, known);
        continue;
      }
      section.entries.push_back(std::move(entry));
    }
    return section;
  }

  void report_unknown_key(const Entry& entry, Keys known)
  {
    const std::string& key = entry.key.Scalar();
    if (entry.path == "feishu.app_secret") {
      problem(entry, fmt::format("the app secret may not be written in the configuration file ({})",
                                 k_secret_ways));
    } else if (const auto close = find_closest(key, known)) {
      problem(entry, fmt::format("unknown key (did you mean `{}`?)", *close));
    } else {
      problem(entry, fmt::format("unknown key (expected one of: {})", join(known)));
    }
  }

  Section child(const Section& parent, std::string_view key, Keys known)
  {
    const std::string path = child_path(parent.path, key);
    if (const Entry* entry = parent.find(key)) {
      return open(entry->value, entry->key.Mark(), path, known);
    }
    return Section{path, parent.mark, {}};
  }

  // ---- typed readers: each stores a valid value in `out` or records a problem ----

  // The scalar text of an entry, or a problem saying `expected` (e.g. "a string").
  std::optional<std::string> scalar(const Entry& entry, std::string_view expected)
  {
    if (!entry.value.IsScalar()) {
      problem(entry, fmt::format("must be {} (got {})", expected, describe(entry.value)));
      return std::nullopt;
    }
    return entry.value.Scalar();
  }

  void read_string(const Section& section, std::string_view key, std::string& out, bool allow_empty)
  {
    const Entry* entry = section.find(key);
    if (entry == nullptr) {
      return;
    }
    auto text = scalar(*entry, "a string");
    if (!text) {
      return;
    }
    if (text->empty() && !allow_empty) {
      problem(*entry, "must not be empty");
      return;
    }
    out = std::move(*text);
  }

  void read_int(const Section& section, std::string_view key, int& out, int min, int max)
  {
    const Entry* entry = section.find(key);
    if (entry == nullptr) {
      return;
    }
    const auto text = scalar(*entry, "a whole number");
    if (!text) {
      return;
    }
    const auto value = try_parse_integer(*text);
    if (!value) {
      problem(*entry, fmt::format("must be a whole number (got {})", quote_value(*text)));
    } else if (*value < min || *value > max) {
      problem(*entry, max == std::numeric_limits<int>::max()
                        ? fmt::format("must be at least {} (got {})", min, quote_value(*text))
                        : fmt::format("must be between {} and {} (got {})", min, max, quote_value(*text)));
    } else {
      out = static_cast<int>(*value);
    }
  }

  void read_percent(const Section& section, std::string_view key, double& out)
  {
    const Entry* entry = section.find(key);
    if (entry == nullptr) {
      return;
    }
    const auto text = scalar(*entry, "a percentage");
    if (!text) {
      return;
    }
    std::string_view number = *text;
    if (!number.empty() && number.back() == '%') {
      number.remove_suffix(1);
    }
    const auto value = try_parse_number(number);
    if (!value) {
      problem(*entry, fmt::format("must be a percentage such as 5 or 2.5 (got {})", quote_value(*text)));
    } else if (*value < 0 || *value > 100) {
      problem(*entry, fmt::format("must be between 0 and 100 (got {})", quote_value(*text)));
    } else {
      out = *value;
    }
  }

  void read_bool(const Section& section, std::string_view key, bool& out)
  {
    const Entry* entry = section.find(key);
    if (entry == nullptr) {
      return;
    }
    const auto text = scalar(*entry, "true or false");
    if (!text) {
      return;
    }
    if (*text == "true") {
      out = true;
    } else if (*text == "false") {
      out = false;
    } else {
      problem(*entry, fmt::format("must be true or false (got {})", quote_value(*text)));
    }
  }

  // A duration of at least `min` (more than zero when `min` is zero) and at most `max`.
  std::optional<std::chrono::milliseconds> read_duration(const Section& section, std::string_view key,
                                                         std::chrono::milliseconds min,
                                                         std::chrono::milliseconds max)
  {
    const Entry* entry = section.find(key);
    if (entry == nullptr) {
      return std::nullopt;
    }
    const auto text = scalar(*entry, "a duration such as 30s, 15m or 1h");
    if (!text) {
      return std::nullopt;
    }
    const auto value = try_parse_duration(*text);
    if (!value) {
      problem(*entry,
              fmt::format("must be a duration such as 500ms, 30s, 15m, 1h or 1h30m (got {})", quote_value(*text)));
      return std::nullopt;
    }
    if (min.count() == 0 && value->count() == 0) {
      problem(*entry, fmt::format("must be more than 0s (got {})", quote_value(*text)));
      return std::nullopt;
    }
    if (*value < min) {
      problem(*entry, fmt::format("must be at least {} (got {})", format_duration(min), quote_value(*text)));
      return std::nullopt;
    }
    if (*value > max) {
      problem(*entry, fmt::format("must be at most {} (got {})", format_duration(max), quote_value(*text)));
      return std::nullopt;
    }
    return value;
  }

  template <class E, std::size_t N>
  void read_enum(const Section& section, std::string_view key, E& out,
                 const std::array<std::pair<std::string_view, E>, N>& table)
  {
    const Entry* entry = section.find(key);
    if (entry == nullptr) {
      return;
    }
    std::array<std::string_view, N> names{};
    std::transform(table.begin(), table.end(), names.begin(), [](const auto& p) { return p.first; });
    const auto text = scalar(*entry, fmt::format("one of {}", choices(names)));
    if (!text) {
      return;
    }
    for (const auto& [name, value] : table) {
      if (*text == name) {
        out = value;
        return;
      }
    }
    problem(*entry, fmt::format("must be {} (got {})", choices(names), quote_value(*text)));
  }

  // A path; a relative one is resolved against the configuration file's directory.
  std::optional<std::filesystem::path> read_path(const Section& section, std::string_view key)
  {
    const Entry* entry = section.find(key);
    if (entry == nullptr) {
      return std::nullopt;
    }
    const auto text = scalar(*entry, "a path");
    if (!text) {
      return std::nullopt;
    }
    if (text->empty()) {
      problem(*entry, "must not be empty (expected a path)");
      return std::nullopt;
    }
    if (text->front() == '~') {
      problem(*entry, fmt::format("`~` is not expanded; write the full path (got {})", quote_value(*text)));
      return std::nullopt;
    }
    return resolve(*text);
  }

  std::filesystem::path resolve(const std::filesystem::path& path) const
  {
    return (path.is_absolute() ? path : m_base_dir / path).lexically_normal();
  }

  // A list of scalars; `check` returns a problem phrase for a bad item, or "".
  template <class Check>
  std::optional<std::vector<std::string>> read_list(const Section& section, std::string_view key, Check check)
  {
    const Entry* entry = section.find(key);
    if (entry == nullptr) {
      return std::nullopt;
    }
    if (!entry->value.IsSequence()) {
      problem(*entry, fmt::format("must be a list such as [a, b] (got {})", describe(entry->value)));
      return std::nullopt;
    }
    std::vector<std::string> items;
    bool ok = true;
    for (std::size_t i = 0; i < entry->value.size(); ++i) {
      const YAML::Node item = entry->value[i];
      const std::string path = fmt::format("{}[{}]", entry->path, i);
      if (!item.IsScalar() || item.Scalar().empty()) {
        problem(item.Mark(), path, fmt::format("must be a non-empty string (got {})", describe(item)));
        ok = false;
        continue;
      }
      if (std::find(items.begin(), items.end(), item.Scalar()) != items.end()) {
        problem(item.Mark(), path, fmt::format("{} is listed twice", quote_value(item.Scalar())));
        ok = false;
        continue;
      }
      if (const std::string bad = check(item.Scalar()); !bad.empty()) {
        problem(item.Mark(), path, bad);
        ok = false;
        continue;
      }
      items.push_back(item.Scalar());
    }
    if (!ok) {
      return std::nullopt;
    }
    return items;
  }

  std::optional<std::vector<std::string>> read_list(const Section& section, std::string_view key)
  {
    return read_list(section, key, [](const std::string&) { return std::string(); });
  }

  void require(const Section& section, std::string_view key, std::string_view what)
  {
    if (section.find(key) == nullptr) {
      problem(section.mark, child_path(section.path, key), fmt::format("is required ({})", what));
    }
  }

  // ---- sections ----

  void read_feishu(const Section& s, FeishuConfig& out)
  {
    if (const Entry* entry = s.find("base_url")) {
      if (const auto url = scalar(*entry, "a URL such as https://open.feishu.cn")) {
        if (const auto bad = find_base_url_problem(*url)) {
          problem(*entry, fmt::format("{} (got {})", *bad, quote_value(*url)));
        } else {
          out.base_url = *url;
          while (out.base_url.back() == '/') {
            out.base_url.pop_back();
          }
        }
      }
    }

    // The app id is never echoed: a pasted secret is a likely mistake here.
    require(s, "app_id", "the App ID of the Feishu app, such as cli_a1b2c3d4e5f6a7b8");
    if (const Entry* entry = s.find("app_id")) {
      if (const auto id = scalar(*entry, "an App ID such as cli_a1b2c3d4e5f6a7b8")) {
        if (id->rfind("cli_", 0) != 0 || id->size() == 4 ||
            id->find_first_of(" \t\r\n") != std::string::npos) {
          problem(*entry, "must be the App ID from the Feishu developer console, starting with cli_ "
                          "(the value is not shown in case it is a secret)");
        } else {
          out.app_id = *id;
        }
      }
    }

    if (const auto timeout = read_duration(s, "timeout", std::chrono::milliseconds(0), std::chrono::minutes(10))) {
      out.timeout = *timeout;
    }
    read_int(s, "max_in_flight", out.max_in_flight, 1, 64);
    read_int(s, "max_attempts", out.max_attempts, 1, 20);
    read_rate_limits(s, out);

    const auto secret_file = read_path(s, "app_secret_file");
    if (secret_file) {
      out.app_secret_file = *secret_file;
    }
    resolve_secret(s, out, secret_file.has_value() || s.find("app_secret_file") != nullptr);
  }

  void read_rate_limits(const Section& s, FeishuConfig& out)
  {
    const Entry* entry = s.find("rate_limits");
    if (entry == nullptr) {
      return;
    }
    const Section limits = open(entry->value, entry->key.Mark(), entry->path, {});
    for (const auto& endpoint : limits.entries) {
      const std::string& name = endpoint.key.Scalar();
      const bool good_name = std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      });
      if (!good_name) {
        problem(endpoint, "endpoint names are lower-case words joined by _, such as user_create");
        continue;
      }
      std::vector<YAML::Node> items;
      if (endpoint.value.IsScalar()) {
        items.push_back(endpoint.value);
      } else if (endpoint.value.IsSequence() && endpoint.value.size() > 0) {
        for (std::size_t i = 0; i < endpoint.value.size(); ++i) {
          items.push_back(endpoint.value[i]);
        }
      } else {
        problem(endpoint, fmt::format("must be a list of windows such as [50/s, 1000/min] (got {})",
                                      describe(endpoint.value)));
        continue;
      }
      std::vector<RateWindow> windows;
      for (std::size_t i = 0; i < items.size(); ++i) {
        const auto window = items[i].IsScalar() ? try_parse_rate_window(items[i].Scalar()) : std::nullopt;
        if (!window) {
          const std::string path =
            endpoint.value.IsSequence() ? fmt::format("{}[{}]", endpoint.path, i) : endpoint.path;
          problem(endpoint.value.IsSequence() ? items[i].Mark() : endpoint.key.Mark(), path,
                  fmt::format("must be a rate such as 50/s, 1000/min or 100/h (got {})", describe(items[i])));
          continue;
        }
        windows.push_back(*window);
      }
      if (windows.size() == items.size()) {
        out.rate_limits[name] = std::move(windows);
      }
    }
  }

  // The app secret, from the first of: feishu.app_secret_file, $CREDENTIALS_DIRECTORY/app_secret,
  // $DIRSYNC_APP_SECRET. A named file that cannot be used is a problem, not a reason to look on.
  void resolve_secret(const Section& s, FeishuConfig& out, bool file_given)
  {
    remember_secret(m_env.app_secret.value_or(""));
    if (file_given) {
      if (!out.app_secret_file) {
        return; // the key's value was already reported
      }
      const SecretFile file = read_secret_file(*out.app_secret_file, true);
      remember_secret(file.content);
      if (file.secret) {
        out.app_secret = *file.secret;
        out.app_secret_source = "file " + out.app_secret_file->string();
      } else {
        problem(*s.find("app_secret_file"), file.problem);
      }
      return;
    }
    if (m_env.credentials_directory) {
      const auto path = std::filesystem::path(*m_env.credentials_directory) / "app_secret";
      // systemd makes the credentials directory private to the service; no mode check here.
      const SecretFile file = read_secret_file(path, false);
      remember_secret(file.content);
      if (file.secret) {
        out.app_secret = *file.secret;
        out.app_secret_source = "systemd credential " + path.string();
        return;
      }
      if (!file.missing) {
        problem(s.mark, s.path, "systemd credential app_secret: " + file.problem);
        return;
      }
    }
    if (m_env.app_secret) {
      out.app_secret = strip_trailing_newlines(*m_env.app_secret);
      out.app_secret_source = "environment variable DIRSYNC_APP_SECRET";
      if (!out.app_secret.empty()) {
        return;
      }
    }
    if (m_secret_use == SecretUse::required) {
      problem(s.mark, s.path, fmt::format("no app secret found ({})", k_secret_ways));
    }
  }

  // Secrets shorter than 4 characters are not scrubbed: they would garble every message and hide
  // nothing worth hiding.
  void remember_secret(const std::string& secret)
  {
    if (secret.size() >= 4) {
      m_secrets.push_back(strip_trailing_newlines(secret));
    }
  }

  void read_storage(const Section& s, StorageConfig& out)
  {
    if (auto path = read_path(s, "database")) {
      out.database = std::move(*path);
    }
  }

  void read_sync(const Section& s, SyncConfig& out)
  {
    if (const auto interval = read_duration(s, "refresh_interval", std::chrono::seconds(30), std::chrono::days(7))) {
      if (*interval % std::chrono::seconds(1) != std::chrono::milliseconds(0)) {
        problem(*s.find("refresh_interval"),
                fmt::format("must be a whole number of seconds (got \"{}\")", format_duration(*interval)));
      } else {
        out.refresh_interval = std::chrono::duration_cast<std::chrono::seconds>(*interval);
      }
    }

    const Section scope = child(s, "scope", k_scope_keys);
    if (auto departments = read_list(scope, "departments")) {
      if (departments->empty()) {
        problem(*scope.find("departments"),
                "must list at least one department (\"0\" is the whole tenant)");
      } else {
        out.scope.departments = std::move(*departments);
      }
    }
    if (auto excluded = read_list(scope, "exclude_departments")) {
      out.scope.exclude_departments = std::move(*excluded);
    }

    read_enum(s, "apply_mode", out.apply_mode,
              std::array<std::pair<std::string_view, ApplyMode>, 2>{
                {{"auto", ApplyMode::automatic}, {"manual", ApplyMode::manual}}});
    read_enum(s, "drift", out.drift,
              std::array<std::pair<std::string_view, DriftPolicy>, 2>{
                {{"revert", DriftPolicy::revert}, {"report", DriftPolicy::report}}});
    if (auto owned = read_list(s, "owned_fields", [](const std::string& field) {
          return contains(k_owned_fields, field)
                   ? std::string()
                   : fmt::format("unknown field {} (expected one of: {})", quote_value(field), join(k_owned_fields));
        })) {
      out.owned_fields = std::move(*owned);
    }

    const Section leaver = child(s, "leaver", k_leaver_keys);
    read_enum(leaver, "action", out.leaver.action,
              std::array<std::pair<std::string_view, LeaverAction>, 2>{
                {{"delete", LeaverAction::delete_user}, {"freeze", LeaverAction::freeze}}});
    read_string(leaver, "acceptor", out.leaver.acceptor, true);
    read_string(leaver, "fallback_acceptor", out.leaver.fallback_acceptor, true);

    read_int(child(s, "rehire", k_rehire_keys), "resurrect_within_days", out.rehire.resurrect_within_days, 0, 30);
    read_int(child(s, "future_hires", k_future_hires_keys), "pre_start_days", out.future_hires.pre_start_days,
             0, 365);

    const Section safety = child(s, "safety", k_safety_keys);
    read_int(safety, "max_deletes", out.safety.max_deletes, 0, std::numeric_limits<int>::max());
    read_percent(safety, "max_deletes_percent", out.safety.max_deletes_percent);
    read_percent(safety, "max_source_shrink_percent", out.safety.max_source_shrink_percent);
    read_percent(safety, "max_mirror_shrink_percent", out.safety.max_mirror_shrink_percent);
    if (auto protected_users = read_list(safety, "protected_users")) {
      out.safety.protected_users = std::move(*protected_users);
    }
    read_bool(safety, "hold_first_plan", out.safety.hold_first_plan);
  }

  void read_hr(const Section& s, HrConfig& out)
  {
    if (auto path = read_path(s, "inbox")) {
      out.inbox = std::move(*path);
    }
    if (auto path = read_path(s, "archive")) {
      out.archive = std::move(*path);
    }
    if (auto path = read_path(s, "rejected")) {
      out.rejected = std::move(*path);
    }
    read_enum(s, "mode", out.mode,
              std::array<std::pair<std::string_view, HrMode>, 2>{{{"full", HrMode::full}, {"delta", HrMode::delta}}});
    read_enum(s, "format", out.format,
              std::array<std::pair<std::string_view, HrFormat>, 4>{{{"auto", HrFormat::auto_detect},
                                                                    {"csv", HrFormat::csv},
                                                                    {"json", HrFormat::json},
                                                                    {"jsonl", HrFormat::jsonl}}});
    read_enum(s, "encoding", out.encoding,
              std::array<std::pair<std::string_view, HrEncoding>, 3>{{{"auto", HrEncoding::auto_detect},
                                                                      {"utf-8", HrEncoding::utf8},
                                                                      {"gb18030", HrEncoding::gb18030}}});
    if (const Entry* entry = s.find("default_region")) {
      if (auto region = scalar(*entry, "a two-letter region code such as CN")) {
        if (region->size() != 2 || !std::all_of(region->begin(), region->end(), [](char c) {
              return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
            })) {
          problem(*entry, fmt::format("must be a two-letter region code such as CN (got {})", quote_value(*region)));
        } else {
          std::transform(region->begin(), region->end(), region->begin(),
                         [](char c) { return static_cast<char>(c >= 'a' ? c - 'a' + 'A' : c); });
          out.default_region = *region;
        }
      }
    }
    read_enum(s, "department_key", out.department_key,
              std::array<std::pair<std::string_view, DepartmentKey>, 2>{
                {{"path", DepartmentKey::path}, {"department_id", DepartmentKey::department_id}}});
    read_string(s, "department_separator", out.department_separator, false);
    read_columns(s, out);
    read_values(s, out);
  }

  // hr.columns, when given, replaces the default mapping as a whole.
  void read_columns(const Section& s, HrConfig& out)
  {
    const Entry* entry = s.find("columns");
    if (entry == nullptr) {
      return;
    }
    const Section columns = open(entry->value, entry->key.Mark(), entry->path, k_hr_fields);
    std::map<std::string, std::string> mapping;
    bool ok = entry->value.IsNull() || entry->value.IsMap();
    for (const auto& field : columns.entries) {
      auto column = scalar(field, "the name of a column of the HR export");
      if (!column) {
        ok = false;
        continue;
      }
      if (column->empty()) {
        problem(field, "must not be empty (expected the name of a column of the HR export)");
        ok = false;
        continue;
      }
      const auto taken = std::find_if(mapping.begin(), mapping.end(),
                                      [&column](const auto& p) { return p.second == *column; });
      if (taken != mapping.end()) {
        problem(field, fmt::format("column {} is already mapped to {}", quote_value(*column), taken->first));
        ok = false;
        continue;
      }
      mapping[field.key.Scalar()] = *column;
    }
    if (!ok) {
      return;
    }
    for (const std::string_view required : {"employee_no", "name", "department"}) {
      require(columns, required, "the HR column that holds it");
    }
    if (mapping.count("email") == 0 && mapping.count("mobile") == 0) {
      problem(columns.mark, columns.path, "must map `email` or `mobile` (or both): every user needs one");
    }
    out.columns = std::move(mapping);
  }

  // hr.values.FIELD, when given, replaces that field's default value map.
  void read_values(const Section& s, HrConfig& out)
  {
    const Section values = child(s, "values", k_hr_value_fields);
    for (const auto& field : values.entries) {
      const Section map = open(field.value, field.key.Mark(), field.path, {});
      if (!field.value.IsNull() && !field.value.IsMap()) {
        continue;
      }
      const std::string& name = field.key.Scalar();
      std::map<std::string, std::string> mapped;
      bool ok = true;
      for (const auto& value : map.entries) {
        auto text = scalar(value, "a value");
        if (!text) {
          ok = false;
          continue;
        }
        std::string bad;
        if (name == "employee_type") {
          const auto number = try_parse_integer(*text);
          if (!number || *number < 1 || *number > 1'000'000) {
            bad = "must be a Feishu employee type, a whole number from 1 (1 full-time, 2 intern, "
                  "3 outsourced, 4 contractor, 5 consultant, or a tenant-defined type)";
          } else {
            *text = std::to_string(*number);
          }
        } else if (name == "status") {
          if (*text != "active" && *text != "terminated") {
            bad = "must be `active` or `terminated`";
          }
        } else if (name == "gender") {
          const auto number = try_parse_integer(*text);
          if (!number || *number < 0 || *number > 3) {
            bad = "must be a Feishu gender: 0 (unknown), 1 (male), 2 (female) or 3 (other)";
          } else {
            *text = std::to_string(*number);
          }
        }
        if (!bad.empty()) {
          problem(value, fmt::format("{} (got {})", bad, quote_value(*text)));
          ok = false;
          continue;
        }
        mapped[value.key.Scalar()] = *text;
      }
      if (ok) {
        out.values[name] = std::move(mapped);
      }
    }
  }

  void read_server(const Section& s, ServerConfig& out)
  {
    const Entry* entry = s.find("listen");
    if (entry == nullptr) {
      return;
    }
    const auto listen = scalar(*entry, "HOST:PORT, or \"\" to disable");
    if (!listen) {
      return;
    }
    if (listen->empty()) {
      out.listen.clear();
      return;
    }
    const auto host = try_parse_listen_host(*listen);
    if (!host) {
      problem(*entry, fmt::format("must be HOST:PORT such as 127.0.0.1:9464, or \"\" to disable (got {})",
                                  quote_value(*listen)));
      return;
    }
    if (!is_loopback_host(*host)) {
      spdlog::warn("{}: server.listen {} is not a loopback address: /metrics and /status (which names "
                   "people and plans) will be reachable from the network; restrict access with a firewall",
                   m_label, *listen);
    }
    out.listen = *listen;
  }

  void read_logging(const Section& s, LoggingConfig& out)
  {
    const Entry* entry = s.find("level");
    if (entry == nullptr) {
      return;
    }
    const auto level = scalar(*entry, "a log level");
    if (!level) {
      return;
    }
    if (!contains(k_log_levels, *level)) {
      problem(*entry, fmt::format("must be {} (got {})", choices(k_log_levels), quote_value(*level)));
      return;
    }
    out.level = *level;
  }

  struct Problem
  {
    int line;
    int column;
    std::string text;
  };

  std::string m_label;
  std::string_view m_text; // during load()
  std::filesystem::path m_base_dir;
  const Environment& m_env;
  SecretUse m_secret_use;
  std::vector<Problem> m_problems;
  std::vector<std::string> m_secrets; // every secret seen, to scrub from messages
};

std::optional<std::string> find_env(const char* name)
{
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    return std::nullopt;
  }
  return std::string(value);
}

} // namespace

Environment Environment::from_process()
{
  Environment env;
  env.credentials_directory = find_env("CREDENTIALS_DIRECTORY");
  env.app_secret = find_env("DIRSYNC_APP_SECRET");
  return env;
}

Config load_config(const std::filesystem::path& file, SecretUse secret)
{
  return load_config(file, Environment::from_process(), secret);
}

Config load_config(const std::filesystem::path& file, const Environment& env, SecretUse secret)
{
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) {
    throw ConfigError(fmt::format("{}: cannot read the configuration file: it is a directory", file.string()));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    const int error = errno;
    throw ConfigError(fmt::format("{}: cannot read the configuration file: {}", file.string(),
                                  std::strerror(error)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    throw ConfigError(fmt::format("{}: cannot read the configuration file", file.string()));
  }
  return parse_config(text.str(), file, env, secret);
}

Config parse_config(std::string_view yaml_text, const std::filesystem::path& file, const Environment& env,
                    SecretUse secret)
{
  const auto absolute = std::filesystem::absolute(file).lexically_normal();
  Loader loader(file.string(), absolute.parent_path(), env, secret);
  Config config = loader.load(yaml_text);
  config.source = absolute;
  return config;
}

} // namespace dirsync::config
