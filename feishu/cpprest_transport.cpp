// The only file of the project that includes cpprestsdk's client. It turns our HttpRequest into a
// web::http::http_request, waits for the answer, and turns cpprestsdk's exceptions into
// TransportError at this edge.
//
// cpprestsdk sets the timeout per http_client, not per request, so one client is kept per distinct
// timeout (in practice one: feishu.timeout). http_client is safe to use from several threads.
#include "feishu/cpprest_transport.hpp"

#include <cpprest/http_client.h>

#include <fmt/format.h>

#include <map>
#include <mutex>

namespace dirsync::feishu {

namespace {

namespace http = web::http;

class CpprestTransport : public HttpTransport
{
public:
  explicit CpprestTransport(web::uri base)
    : m_base(std::move(base))
  {
  }

  HttpResponse send(const HttpRequest& request) override
  {
    http::client::http_client& client = client_for(request.timeout);

    http::http_request out{http::method(request.method)};
    try {
      out.set_request_uri(web::uri(request.target));
    } catch (const web::uri_exception& e) {
      throw Error(fmt::format("feishu: cannot send to \"{}\": {}", request.target, e.what()));
    }
    std::string content_type = "application/json; charset=utf-8";
    for (const auto& [name, value] : request.headers) {
      if (header_name_equals(name, "Content-Type")) {
        content_type = value;
        continue;
      }
      out.headers().add(name, value);
    }
    if (!request.body.empty()) {
      out.set_body(request.body, content_type);
    }

    try {
      http::http_response in = client.request(out).get();
      HttpResponse response;
      response.status = in.status_code();
      for (const auto& [name, value] : in.headers()) {
        response.headers.emplace_back(name, value);
      }
      std::vector<unsigned char> bytes = in.extract_vector().get();
      response.body.assign(bytes.begin(), bytes.end());
      return response;
    } catch (const http::http_exception& e) {
      const bool timed_out = e.error_code() == std::errc::timed_out;
      throw TransportError(
        fmt::format("{} {}{}: {}", request.method, m_base.to_string(), request.target, e.what()),
        timed_out);
    } catch (const pplx::task_canceled&) {
      throw TransportError(
        fmt::format("{} {}{}: request cancelled", request.method, m_base.to_string(), request.target),
        false);
    } catch (const std::exception& e) {
      // Anything else cpprestsdk or asio throws while sending or reading also means no answer.
      throw TransportError(
        fmt::format("{} {}{}: {}", request.method, m_base.to_string(), request.target, e.what()), false);
    }
  }

private:
  http::client::http_client& client_for(std::chrono::milliseconds timeout)
  {
    std::lock_guard lock(m_mutex);
    auto it = m_clients.find(timeout);
    if (it == m_clients.end()) {
      http::client::http_client_config config;
      config.set_timeout(timeout);
      it = m_clients
             .emplace(timeout, std::make_unique<http::client::http_client>(m_base, config))
             .first;
    }
    return *it->second;
  }

  web::uri m_base;
  std::mutex m_mutex;
  std::map<std::chrono::milliseconds, std::unique_ptr<http::client::http_client>> m_clients;
};

} // namespace

std::unique_ptr<HttpTransport> make_cpprest_transport(const std::string& base_url)
{
  const std::string problem = fmt::format(
    "feishu.base_url: \"{}\" is not an absolute http(s) URL (e.g. https://open.feishu.cn)", base_url);
  if (!web::uri::validate(base_url)) {
    throw ConfigError(problem);
  }
  web::uri base(base_url);
  if ((base.scheme() != "http" && base.scheme() != "https") || base.host().empty()) {
    throw ConfigError(problem);
  }
  return std::make_unique<CpprestTransport>(std::move(base));
}

} // namespace dirsync::feishu
