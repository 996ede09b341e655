// SHA-256 of a byte string as lower-case hex (OpenSSL's EVP), to name an HR file in reports, plans
// and the database independently of its name.
#pragma once

#include <string>
#include <string_view>

namespace dirsync::hr {

std::string sha256_hex(std::string_view bytes);

} // namespace dirsync::hr
