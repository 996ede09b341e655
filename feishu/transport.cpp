#include "feishu/transport.hpp"

#include "common/text.hpp"

namespace dirsync::feishu {

bool header_name_equals(std::string_view a, std::string_view b)
{
  return ascii_iequal(a, b);
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
