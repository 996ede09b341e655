// A plain HTTP/1.1 GET to 127.0.0.1 over a socket, for tests of the daemon's status server.
#pragma once

#include <chrono>
#include <string>

namespace dirsync::testing {

struct HttpGetResult
{
  int status = 0;
  std::string content_type;
  std::string body;
};

// Throws std::runtime_error when no complete answer comes back within `timeout`.
HttpGetResult http_get(int port, const std::string& path,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000));

} // namespace dirsync::testing
