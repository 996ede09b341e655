#include "config/values.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <vector>

namespace dirsync::config {

namespace {

constexpr std::chrono::milliseconds k_max_duration = std::chrono::hours(24 * 100);

// Reads a run of up to `max_digits` decimal digits at `pos`; nullopt when there is none.
std::optional<long long> read_digits(std::string_view text, std::size_t& pos, std::size_t max_digits)
{
  const std::size_t start = pos;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) != 0) {
    ++pos;
  }
  if (pos == start || pos - start > max_digits) {
    return std::nullopt;
  }
  long long value = 0;
  std::from_chars(text.data() + start, text.data() + pos, value);
  return value;
}

std::string to_lower(std::string_view text)
{
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix)
{
  return text.size() >= prefix.size() && to_lower(text.substr(0, prefix.size())) == prefix;
}

bool is_port(std::string_view text)
{
  if (text.empty() || text.size() > 5) {
    return false;
  }
  int port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  return ec == std::errc() && end == text.data() + text.size() && port >= 1 && port <= 65535;
}

struct HostPort
{
  std::string_view host; // without brackets
  std::string_view port; // empty when absent
  bool ok = false;
};

// Splits "HOST", "HOST:PORT", "[V6]" or "[V6]:PORT".
HostPort split_host_port(std::string_view authority)
{
  HostPort out;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return out;
    }
    out.host = authority.substr(1, close - 1);
    const auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return out;
      }
      out.port = rest.substr(1);
      if (!is_port(out.port)) {
        return out;
      }
    }
    out.ok = !out.host.empty();
    return out;
  }
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos) {
    if (authority.find(':') != colon) {
      return out; // an IPv6 literal without brackets
    }
    out.host = authority.substr(0, colon);
    out.port = authority.substr(colon + 1);
    if (!is_port(out.port)) {
      return out;
    }
  } else {
    out.host = authority;
  }
  out.ok = !out.host.empty();
  return out;
}

// Optimal string alignment distance: Levenshtein plus swaps of neighbouring characters.
std::size_t edit_distance(std::string_view a, std::string_view b)
{
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) {
    d[i][0] = i;
  }
  for (std::size_t j = 0; j <= b.size(); ++j) {
    d[0][j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

} // namespace

std::optional<std::chrono::milliseconds> try_parse_duration(std::string_view text)
{
  // Units from the largest down; a part's unit must be smaller than the one before it.
  struct Unit
  {
    std::string_view name;
    std::chrono::milliseconds size;
  };
  static constexpr std::array<Unit, 4> k_units{{{"h", std::chrono::hours(1)},
                                                {"ms", std::chrono::milliseconds(1)},
                                                {"m", std::chrono::minutes(1)},
                                                {"s", std::chrono::seconds(1)}}};
  if (text.empty()) {
    return std::nullopt;
  }
  std::chrono::milliseconds total{0};
  auto previous = std::chrono::milliseconds::max();
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto number = read_digits(text, pos, 9);
    if (!number) {
      return std::nullopt;
    }
    const Unit* unit = nullptr;
    for (const auto& candidate : k_units) {
      if (text.substr(pos, candidate.name.size()) == candidate.name) {
        unit = &candidate;
        break;
      }
    }
    if (unit == nullptr || unit->size >= previous) {
      return std::nullopt;
    }
    pos += unit->name.size();
    previous = unit->size;
    total += *number * unit->size;
    if (total > k_max_duration) {
      return std::nullopt;
    }
  }
  return total;
}

std::string format_duration(std::chrono::milliseconds duration)
{
  if (duration.count() == 0) {
    return "0s";
  }
  std::string out;
  auto rest = duration;
  const auto take = [&out, &rest](std::chrono::milliseconds unit, std::string_view name) {
    const auto count = rest / unit;
    if (count > 0) {
      out += std::to_string(count);
      out += name;
      rest -= count * unit;
    }
  };
  take(std::chrono::hours(1), "h");
  take(std::chrono::minutes(1), "m");
  take(std::chrono::seconds(1), "s");
  take(std::chrono::milliseconds(1), "ms");
  return out;
}

std::optional<RateWindow> try_parse_rate_window(std::string_view text)
{
  std::size_t pos = 0;
  const auto requests = read_digits(text, pos, 7);
  if (!requests || *requests < 1 || pos >= text.size() || text[pos] != '/') {
    return std::nullopt;
  }
  const auto unit = text.substr(pos + 1);
  RateWindow window;
  window.requests = static_cast<int>(*requests);
  if (unit == "s") {
    window.per = std::chrono::seconds(1);
  } else if (unit == "min") {
    window.per = std::chrono::minutes(1);
  } else if (unit == "h") {
    window.per = std::chrono::hours(1);
  } else {
    return std::nullopt;
  }
  return window;
}

bool is_loopback_host(std::string_view host)
{
  if (!host.empty() && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (to_lower(host) == "localhost") {
    return true;
  }
  const std::string text(host);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6);
  }
  return false;
}

std::optional<std::string> find_base_url_problem(std::string_view url)
{
  const bool https = starts_with_ignoring_case(url, "https://");
  const bool http = starts_with_ignoring_case(url, "http://");
  if (!https && !http) {
    return "must start with https:// (e.g. https://open.feishu.cn)";
  }
  const auto rest = url.substr(https ? 8 : 7);
  if (rest.find_first_of(" \t\r\n") != std::string_view::npos) {
    return "must not contain spaces";
  }
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return "must not have a query or fragment (e.g. https://open.feishu.cn)";
  }
  const auto authority = rest.substr(0, rest.find('/'));
  if (authority.find('@') != std::string_view::npos) {
    return "must not contain a user name or password";
  }
  const auto host_port = split_host_port(authority);
  if (!host_port.ok) {
    return "must have a host and, optionally, a port 1-65535 (e.g. https://open.feishu.cn)";
  }
  if (http && !is_loopback_host(host_port.host)) {
    return "must use https:// (plain http:// is allowed only to a loopback host such as "
           "127.0.0.1, localhost or [::1], for the emulator)";
  }
  return std::nullopt;
}

std::optional<std::string> try_parse_listen_host(std::string_view listen)
{
  if (listen.find('/') != std::string_view::npos) {
    return std::nullopt;
  }
  const auto host_port = split_host_port(listen);
  if (!host_port.ok || host_port.port.empty()) {
    return std::nullopt;
  }
  return std::string(host_port.host);
}

std::optional<std::string_view> find_closest(std::string_view word,
                                             std::span<const std::string_view> candidates)
{
  const std::string lower_word = to_lower(word);
  std::optional<std::string_view> best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (const auto candidate : candidates) {
    const std::size_t distance = edit_distance(lower_word, to_lower(candidate));
    const std::size_t longest = std::max(word.size(), candidate.size());
    const std::size_t allowed = longest <= 3 ? 1 : (longest <= 6 ? 2 : 3);
    if (distance <= allowed && distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

} // namespace dirsync::config
