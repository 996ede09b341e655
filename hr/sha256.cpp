#include "hr/sha256.hpp"

#include "common/error.hpp"

#include <openssl/evp.h>

namespace dirsync::hr {

std::string sha256_hex(std::string_view bytes)
{
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw Error("OpenSSL could not compute a SHA-256 digest");
  }
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += k_hex[digest[i] >> 4];
    out += k_hex[digest[i] & 0x0F];
  }
  return out;
}

} // namespace dirsync::hr
