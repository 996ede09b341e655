// The daemon's small HTTP server for /metrics, /healthz and /status (DESIGN.md §12).
//
// It answers GET (and HEAD) requests by calling the handler with the path; what the paths mean is
// the daemon's business (commands/daemon.cpp). cpprestsdk is used only in status_server.cpp, so
// this header stays cheap to include and the HTTP library stays replaceable. The handler runs on
// the library's threads: it must be thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace dirsync::daemon {

struct HttpReply
{
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using HttpHandler = std::function<HttpReply(const std::string& path)>;

class StatusServer
{
public:
  // Listens on `listen` ("HOST:PORT", "[IPv6]:PORT"). Throws ConfigError when `listen` cannot be
  // read, Error when the address cannot be bound (in use, not local, ...).
  StatusServer(const std::string& listen, HttpHandler handler);
  ~StatusServer();
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  // "http://HOST:PORT".
  const std::string& url() const { return m_url; }

private:
  struct Impl;
  std::string m_url;
  std::unique_ptr<Impl> m_impl;
};

} // namespace dirsync::daemon
