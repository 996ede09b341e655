#include "feishu/transport.hpp"

namespace dirsync::feishu {

bool header_name_equals(std::string_view a, std::string_view b)
{
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') {
      x = static_cast<char>(x - 'A' + 'a');
    }
    if (y >= 'A' && y <= 'Z') {
      y = static_cast<char>(y - 'A' + 'a');
    }
    if (x != y) {
      return false;
    }
  }
  return true;
}

const std::string* find_header(const Headers& headers, std::string_view name)
{
  for (const auto& [key, value] : headers) {
    if (header_name_equals(key, name)) {
      return &value;
    }
  }
  return nullptr;
}

} // namespace dirsync::feishu
