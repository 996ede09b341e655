// The transport seam: header lookup, and the cpprestsdk transport against tiny loopback servers
// (127.0.0.1 only) that answer, hang or hang up, so its translation of failures is checked for real.
#include "feishu/cpprest_transport.hpp"
#include "feishu/transport.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

using namespace dirsync;
using namespace dirsync::feishu;
using namespace std::chrono_literals;

namespace {

// A listening socket on 127.0.0.1 with a kernel-chosen port.
class Listener
{
public:
  Listener()
  {
    m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(m_fd >= 0);
    int one = 1;
    ::setsockopt(m_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(m_fd, 8) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len);
    m_port = ntohs(addr.sin_port);
  }
  ~Listener() { close(); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  void close()
  {
    if (m_fd >= 0) {
      ::shutdown(m_fd, SHUT_RDWR);
      ::close(m_fd);
      m_fd = -1;
    }
  }
  int fd() const { return m_fd; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

private:
  int m_fd = -1;
  int m_port = 0;
};

// Reads one request's head and body (by Content-Length) from `fd`.
std::string read_request(int fd)
{
  std::string data;
  char buf[4096];
  std::size_t body_start = std::string::npos;
  std::size_t length = 0;
  while (true) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      return data;
    }
    data.append(buf, static_cast<std::size_t>(n));
    if (body_start == std::string::npos) {
      auto end = data.find("\r\n\r\n");
      if (end == std::string::npos) {
        continue;
      }
      body_start = end + 4;
      std::string lower;
      for (char c : data.substr(0, end)) {
        lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      auto cl = lower.find("content-length:");
      if (cl != std::string::npos) {
        length = std::stoul(lower.substr(cl + 15));
      }
    }
    if (data.size() >= body_start + length) {
      return data;
    }
  }
}

} // namespace

TEST_CASE("find_header ignores the case of header names", "[feishu][transport]")
{
  Headers h{{"X-Tt-Logid", "a"}, {"content-type", "b"}};
  REQUIRE(find_header(h, "x-tt-logid") != nullptr);
  CHECK(*find_header(h, "x-tt-logid") == "a");
  CHECK(*find_header(h, "Content-Type") == "b");
  CHECK(find_header(h, "X-Request-Id") == nullptr);
  HttpResponse r{200, h, ""};
  CHECK(*r.find_header("X-TT-LOGID") == "a");
}

TEST_CASE("make_cpprest_transport refuses a base_url that is not an absolute http(s) URL", "[feishu][transport]")
{
  CHECK_THROWS_AS(make_cpprest_transport("open.feishu.cn"), ConfigError);
  CHECK_THROWS_AS(make_cpprest_transport("ftp://open.feishu.cn"), ConfigError);
  CHECK_THROWS_WITH(make_cpprest_transport("not a url"),
                    Catch::Contains("feishu.base_url: \"not a url\" is not an absolute http(s) URL"));
  CHECK_NOTHROW(make_cpprest_transport("https://open.feishu.cn"));
}

TEST_CASE("the cpprest transport sends the request and returns any HTTP answer as is", "[feishu][transport]")
{
  Listener listener;
  std::string received;
  std::thread server([&] {
    int fd = ::accept(listener.fd(), nullptr, nullptr);
    REQUIRE(fd >= 0);
    received = read_request(fd);
    const std::string body = R"({"code":99991400,"msg":"request trigger frequency limit"})";
    const std::string answer = "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
                               "X-Ogw-Ratelimit-Reset: 2\r\nX-Tt-Logid: log-1\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    ::send(fd, answer.data(), answer.size(), 0);
    ::close(fd);
  });

  auto transport = make_cpprest_transport(listener.url());
  HttpRequest request;
  request.method = "PATCH";
  request.target = "/open-apis/contact/v3/users/ou_1?user_id_type=open_id";
  request.headers = {{"Authorization", "Bearer t-x"}, {"Content-Type", "application/json; charset=utf-8"}};
  request.body = R"({"name":"张三"})";
  request.timeout = 5s;
  HttpResponse response = transport->send(request);
  server.join();

  CHECK(response.status == 429);
  CHECK(response.body == R"({"code":99991400,"msg":"request trigger frequency limit"})");
  REQUIRE(response.find_header("x-ogw-ratelimit-reset") != nullptr);
  CHECK(*response.find_header("x-ogw-ratelimit-reset") == "2");
  CHECK(*response.find_header("x-tt-logid") == "log-1");
  INFO(received);
  CHECK(received.rfind("PATCH /open-apis/contact/v3/users/ou_1?user_id_type=open_id HTTP/1.1\r\n", 0) == 0);
  // cpprestsdk writes "Name:value" without a space, which HTTP allows.
  CHECK(received.find("\r\nAuthorization:Bearer t-x\r\n") != std::string::npos);
  CHECK(received.find("application/json; charset=utf-8") != std::string::npos);
  CHECK(received.substr(received.size() - std::string(R"({"name":"张三"})").size()) == R"({"name":"张三"})");
}

TEST_CASE("the cpprest transport reports a dropped connection as a TransportError, not a timeout", "[feishu][transport]")
{
  Listener listener;
  std::thread server([&] {
    int fd = ::accept(listener.fd(), nullptr, nullptr);
    REQUIRE(fd >= 0);
    read_request(fd);
    ::close(fd);  // hang up without answering
  });
  auto transport = make_cpprest_transport(listener.url());
  HttpRequest request{"GET", "/open-apis/contact/v3/users/ou_1", {}, "", 5s};
  try {
    transport->send(request);
    FAIL("no error");
  } catch (const TransportError& e) {
    CHECK_FALSE(e.timed_out());
  }
  server.join();
}

TEST_CASE("the cpprest transport reports a refused connection as a TransportError", "[feishu][transport]")
{
  std::string url;
  {
    Listener listener;
    url = listener.url();
  }  // closed: nothing listens on the port now
  auto transport = make_cpprest_transport(url);
  HttpRequest request{"GET", "/open-apis/contact/v3/users/ou_1", {}, "", 5s};
  try {
    transport->send(request);
    FAIL("no error");
  } catch (const TransportError& e) {
    CHECK_FALSE(e.timed_out());
  }
}

TEST_CASE("the cpprest transport reports a server that never answers as a timeout", "[feishu][transport]")
{
  Listener listener;  // the kernel accepts the connection; nobody ever answers
  auto transport = make_cpprest_transport(listener.url());
  HttpRequest request{"GET", "/open-apis/contact/v3/users/ou_1", {}, "", 300ms};
  try {
    transport->send(request);
    FAIL("no error");
  } catch (const TransportError& e) {
    CHECK(e.timed_out());
  }
}
