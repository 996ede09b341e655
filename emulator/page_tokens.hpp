// Opaque page tokens, as Feishu hands out: a client must pass them back unchanged and cannot forge
// or guess one.
//
// A token seals a listing's context (which endpoint and which parameters, so a token from one
// listing is refused by another) and a cursor (where the next page starts). The payload is mixed
// with a keystream derived from a per-tenant key and carries a 64-bit keyed check value; any edit
// makes try_open() fail. This is obfuscation with integrity, not cryptography: it only has to keep
// clients honest.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dirsync::emulator {

class PageTokens
{
public:
  explicit PageTokens(std::uint64_t key) : m_key(key) {}

  // A token for `cursor` within `context`.
  std::string seal(std::string_view context, std::string_view cursor) const;

  // The cursor sealed in `token`, or nullopt when the token is malformed, tampered with, or was
  // made for another context.
  std::optional<std::string> try_open(std::string_view context, std::string_view token) const;

private:
  std::uint64_t m_key;
};

// FNV-1a mixed with a 64-bit finalizer; used for ids, tokens and check values.
std::uint64_t hash64(std::string_view data, std::uint64_t seed);

} // namespace dirsync::emulator
