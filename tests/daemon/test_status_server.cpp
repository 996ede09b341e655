#include "daemon/status_server.hpp"

#include "common/error.hpp"
#include "support/emulator_process.hpp"
#include "support/http_get.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <optional>

using namespace dirsync;
using namespace dirsync::daemon;
using namespace dirsync::testing;

namespace {

// Opens a server on a free port, trying again on a clash (the port is free when chosen, not
// necessarily when bound).
std::pair<std::unique_ptr<StatusServer>, int> open_server(HttpHandler handler)
{
  for (int attempt = 0;; ++attempt) {
    const int port = find_free_loopback_port();
    try {
      return {std::make_unique<StatusServer>(fmt::format("127.0.0.1:{}", port), handler), port};
    } catch (const Error&) {
      if (attempt == 5) {
        throw;
      }
    }
  }
}

} // namespace

TEST_CASE("StatusServer answers GET with the handler's status, type and body", "[daemon]")
{
  auto [server, port] = open_server([](const std::string& path) {
    if (path == "/healthz") {
      return HttpReply{503, "text/plain; charset=utf-8", "unhealthy: the first cycle has not finished yet\n"};
    }
    return HttpReply{200, "application/json", "{\"path\":\"" + path + "\"}"};
  });
  CHECK(server->url() == fmt::format("http://127.0.0.1:{}", port));

  const auto health = http_get(port, "/healthz");
  CHECK(health.status == 503);
  CHECK(health.body == "unhealthy: the first cycle has not finished yet\n");
  CHECK(health.content_type == "text/plain; charset=utf-8");

  const auto status = http_get(port, "/status");
  CHECK(status.status == 200);
  CHECK(status.body == "{\"path\":\"/status\"}");
}

TEST_CASE("StatusServer turns a throwing handler into a 500 with the message", "[daemon]")
{
  auto [server, port] = open_server([](const std::string&) -> HttpReply { throw StorageError("mirror.db: locked"); });
  const auto reply = http_get(port, "/status");
  CHECK(reply.status == 500);
  CHECK_THAT(reply.body, Catch::Contains("mirror.db: locked"));
}

TEST_CASE("StatusServer refuses an unreadable listen address and a port in use", "[daemon]")
{
  CHECK_THROWS_AS(StatusServer("localhost", [](const std::string&) { return HttpReply{}; }), ConfigError);
  auto [server, port] = open_server([](const std::string&) { return HttpReply{}; });
  CHECK_THROWS_WITH(StatusServer(fmt::format("127.0.0.1:{}", port), [](const std::string&) { return HttpReply{}; }),
                    Catch::Contains("cannot listen on"));
}
