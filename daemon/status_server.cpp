#include "daemon/status_server.hpp"

#include "common/error.hpp"

#include <cpprest/http_listener.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace dirsync::daemon {

namespace {

using web::http::http_request;
using web::http::http_response;

// "HOST:PORT" or "[V6]:PORT" → "http://HOST:PORT/".
std::string url_for(const std::string& listen)
{
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    throw ConfigError(fmt::format("server.listen: \"{}\" is not HOST:PORT (e.g. 127.0.0.1:9464)", listen));
  }
  const std::string port = listen.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos) {
    throw ConfigError(fmt::format("server.listen: \"{}\" has no numeric port", listen));
  }
  return fmt::format("http://{}/", listen);
}

} // namespace

struct StatusServer::Impl
{
  explicit Impl(const std::string& url, HttpHandler h)
    : handler(std::move(h)),
      listener(web::uri(url))
  {
  }

  void on_request(const http_request& request)
  {
    HttpReply reply;
    const std::string method = request.method();
    if (method != web::http::methods::GET && method != web::http::methods::HEAD) {
      reply = {405, "text/plain; charset=utf-8", "only GET and HEAD are served here\n"};
    } else {
      try {
        reply = handler(request.request_uri().path());
      } catch (const std::exception& e) {
        spdlog::error("status server: {} failed: {}", request.request_uri().path(), e.what());
        reply = {500, "text/plain; charset=utf-8", std::string(e.what()) + "\n"};
      }
    }
    http_response response(static_cast<web::http::status_code>(reply.status));
    response.set_body(reply.body, reply.content_type);
    request.reply(response).then([](const pplx::task<void>& t) {
      try {
        t.get();
      } catch (const std::exception& e) {
        spdlog::debug("status server: reply not delivered: {}", e.what());
      }
    });
  }

  HttpHandler handler;
  web::http::experimental::listener::http_listener listener;
};

StatusServer::StatusServer(const std::string& listen, HttpHandler handler)
{
  const std::string url = url_for(listen);
  m_url = url.substr(0, url.size() - 1);
  try {
    m_impl = std::make_unique<Impl>(url, std::move(handler));
    m_impl->listener.support([impl = m_impl.get()](const http_request& request) { impl->on_request(request); });
    m_impl->listener.open().wait();
  } catch (const std::exception& e) {
    m_impl.reset();
    throw Error(fmt::format("server.listen: cannot listen on {}: {} (is the port in use? set server.listen to "
                            "another address, or \"\" to disable the status server)",
                            listen, e.what()));
  }
}

StatusServer::~StatusServer()
{
  if (m_impl) {
    try {
      m_impl->listener.close().wait();
    } catch (const std::exception& e) {
      spdlog::warn("closing the status server: {}", e.what());
    }
  }
}

} // namespace dirsync::daemon
