// Parsers for the small value languages of the configuration file, kept apart from YAML so they
// can be tested alone: durations ("30s", "1h30m"), rate windows ("50/s"), base URLs, listen
// addresses, and the "did you mean" suggestion for misspelled keys.
//
// Each try_ function returns nullopt for text it cannot read; each find_..._problem function
// returns what is wrong with the text (a phrase for a message), or nullopt when it is fine.
#pragma once

#include "config/config.hpp"

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace dirsync::config {

// Reads a duration: one or more <digits><unit> parts with units ms, s, m, h in falling order
// ("500ms", "30s", "15m", "1h", "1h30m", "2m30s"). Plain numbers, spaces, signs and fractions are
// not durations. nullopt also when the total would exceed 100 days.
std::optional<std::chrono::milliseconds> try_parse_duration(std::string_view text);

// Writes a duration back in the form try_parse_duration reads, largest units first ("1h30m",
// "500ms", "0s").
std::string format_duration(std::chrono::milliseconds duration);

// Reads a rate window "N/s", "N/min" or "N/h" with N a whole number of at least 1.
std::optional<RateWindow> try_parse_rate_window(std::string_view text);

// What is wrong with a Feishu base URL, or nullopt. Accepted: https://HOST[:PORT][/PATH], and
// http:// only to a loopback host (127.0.0.0/8, localhost, [::1]) for the emulator.
std::optional<std::string> find_base_url_problem(std::string_view url);

// The host part of a "HOST:PORT" listen address ("127.0.0.1:9464", "[::1]:9464",
// "localhost:9464"), or nullopt when the text is not of that form or the port is not 1..65535.
std::optional<std::string> try_parse_listen_host(std::string_view listen);

// Whether `host` (a name, an IPv4 literal or an IPv6 literal with or without brackets) is a
// loopback address: localhost, 127.0.0.0/8 or ::1.
bool is_loopback_host(std::string_view host);

// The candidate closest to `word` by edit distance (insertions, deletions, substitutions and
// swaps of neighbours, ignoring case), if it is close enough to be a likely misspelling.
std::optional<std::string_view> find_closest(std::string_view word,
                                             std::span<const std::string_view> candidates);

} // namespace dirsync::config
