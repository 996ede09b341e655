// The emulator's HTTP listener: cpprestsdk's http_listener in front of an Api. The only emulator
// file that includes cpprestsdk (server.cpp); this header exposes none of its types.
//
// Each request's body is read asynchronously, handed to Api::handle(), and the answer is delivered
// after the injected latency by a timer thread, so a slow answer never holds a worker thread.
// A "dropped" answer is the closest cpprestsdk's listener allows to a connection lost in flight:
// the status line and headers go out, then the connection is closed before any body byte (the
// listener offers no way to close a socket before the headers). Clients see an incomplete
// response: a transport error, never a usable answer.
#pragma once

#include "emulator/api.hpp"

#include <memory>
#include <string>

namespace dirsync::emulator {

class Server
{
public:
  // Starts listening on http://host:port. Throws Error naming the address when it cannot.
  Server(Api& api, const std::string& host, int port);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Stops accepting, delivers answers still waiting for their latency, and closes.
  void close();
  const std::string& url() const { return m_url; }

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
  std::string m_url;
};

} // namespace dirsync::emulator
