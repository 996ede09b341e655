#include "emulator/page_tokens.hpp"

#include <array>

namespace dirsync::emulator {

namespace {

constexpr std::string_view k_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::uint64_t mix(std::uint64_t z)
{
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string base64(std::string_view in)
{
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto n = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                   static_cast<unsigned char>(in[i + 2]);
    out += k_alphabet[(n >> 18) & 63];
    out += k_alphabet[(n >> 12) & 63];
    out += k_alphabet[(n >> 6) & 63];
    out += k_alphabet[n & 63];
  }
  if (i + 1 == in.size()) {
    const auto n = static_cast<unsigned char>(in[i]) << 16;
    out += k_alphabet[(n >> 18) & 63];
    out += k_alphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const auto n = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += k_alphabet[(n >> 18) & 63];
    out += k_alphabet[(n >> 12) & 63];
    out += k_alphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> try_unbase64(std::string_view in)
{
  if (in.size() % 4 != 0) {
    return std::nullopt;
  }
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  std::size_t padding = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '=') {
      if (i + 2 < in.size()) {
        return std::nullopt;
      }
      ++padding;
      continue;
    }
    if (padding > 0) {
      return std::nullopt;
    }
    const auto pos = k_alphabet.find(c);
    if (pos == std::string_view::npos) {
      return std::nullopt;
    }
    buffer = (buffer << 6) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

void apply_keystream(std::string& data, std::uint64_t seed)
{
  std::uint64_t state = seed;
  for (std::size_t i = 0; i < data.size(); i += 8) {
    state += 0x9e3779b97f4a7c15ULL;
    const std::uint64_t k = mix(state);
    for (std::size_t j = 0; j < 8 && i + j < data.size(); ++j) {
      data[i + j] = static_cast<char>(static_cast<unsigned char>(data[i + j]) ^ ((k >> (8 * j)) & 0xff));
    }
  }
}

} // namespace

std::uint64_t hash64(std::string_view data, std::uint64_t seed)
{
  std::uint64_t h = 0xcbf29ce484222325ULL ^ mix(seed);
  for (const char c : data) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return mix(h);
}

std::string PageTokens::seal(std::string_view context, std::string_view cursor) const
{
  std::string payload(cursor);
  const std::uint64_t check = hash64(std::string(context) + '\x1f' + payload, m_key);
  apply_keystream(payload, m_key ^ check);
  std::string raw(8, '\0');
  for (int i = 0; i < 8; ++i) {
    raw[static_cast<std::size_t>(i)] = static_cast<char>((check >> (8 * i)) & 0xff);
  }
  return base64(raw + payload);
}

std::optional<std::string> PageTokens::try_open(std::string_view context, std::string_view token) const
{
  auto raw = try_unbase64(token);
  if (!raw || raw->size() < 8) {
    return std::nullopt;
  }
  std::uint64_t check = 0;
  for (int i = 0; i < 8; ++i) {
    check |= static_cast<std::uint64_t>(static_cast<unsigned char>((*raw)[static_cast<std::size_t>(i)])) << (8 * i);
  }
  std::string payload = raw->substr(8);
  apply_keystream(payload, m_key ^ check);
  if (hash64(std::string(context) + '\x1f' + payload, m_key) != check) {
    return std::nullopt;
  }
  return payload;
}

} // namespace dirsync::emulator
