// The HTTP seam of the Feishu client: our own small request/response types and an interface that
// sends one request and returns one answer. The production implementation wraps cpprestsdk
// (feishu/cpprest_transport.hpp); unit tests script a fake one, so the client's logic (tokens,
// retries, rate limits, paging) is tested without a network.
//
// A transport never retries and never interprets a body. An HTTP answer of any status is returned
// as an HttpResponse; only a failure that produced no answer at all (a timeout, a refused or dropped
// connection, a TLS failure) throws TransportError.
#pragma once

#include "common/error.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dirsync::feishu {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Whether two header names are equal, ignoring ASCII case.
bool header_name_equals(std::string_view a, std::string_view b);

// Finds a header by name, ignoring ASCII case (HTTP header names are case-insensitive); nullptr
// when absent. With repeated headers the first wins.
const std::string* find_header(const Headers& headers, std::string_view name);

struct HttpRequest
{
  std::string method;  // "GET", "POST", "PATCH", "DELETE", ...
  std::string target;  // path and query, already percent-encoded: "/open-apis/...?a=b"
  Headers headers;
  std::string body;    // empty: no body is sent
  std::chrono::milliseconds timeout{10'000};
};

struct HttpResponse
{
  int status = 0;
  Headers headers;
  std::string body;

  const std::string* find_header(std::string_view name) const
  {
    return feishu::find_header(headers, name);
  }
};

// No HTTP answer came back. `timed_out` tells a timeout from a connection that failed or dropped.
class TransportError : public Error
{
public:
  TransportError(const std::string& message, bool timed_out)
    : Error(message),
      m_timed_out(timed_out)
  {
  }
  bool timed_out() const { return m_timed_out; }

private:
  bool m_timed_out;
};

class HttpTransport
{
public:
  virtual ~HttpTransport() = default;
  // Sends `request` to the transport's base URL and returns the answer, whatever its status.
  // Throws TransportError when no answer came back. Must be safe to call from several threads.
  virtual HttpResponse send(const HttpRequest& request) = 0;
};

} // namespace dirsync::feishu
