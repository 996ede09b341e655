// The production HttpTransport, over cpprestsdk's http_client. This header deliberately includes
// no cpprestsdk header: only cpprest_transport.cpp does, so nothing else pays its compile time or
// sees its types.
#pragma once

#include "feishu/transport.hpp"

#include <memory>
#include <string>

namespace dirsync::feishu {

// Returns a transport that sends requests to `base_url` ("https://open.feishu.cn",
// "http://127.0.0.1:8080", ...). Throws ConfigError when base_url is not an absolute http(s) URL.
// Timeouts and dropped or refused connections become TransportError; every HTTP answer, whatever
// its status, is returned as is.
std::unique_ptr<HttpTransport> make_cpprest_transport(const std::string& base_url);

} // namespace dirsync::feishu
