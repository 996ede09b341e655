#include "support/http_get.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace dirsync::testing {

HttpGetResult http_get(int port, const std::string& path, std::chrono::milliseconds timeout)
{
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw std::runtime_error("socket failed");
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const std::string error = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + ": " + error);
  }
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    throw std::runtime_error("send failed");
  }
  std::string raw;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::close(fd);
      throw std::runtime_error("no complete answer to GET " + path + " in time; got: " + raw);
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      continue;
    }
    char buffer[4096];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) {
      break;
    }
    raw.append(buffer, static_cast<std::size_t>(n));
    // Stop once the body announced by Content-Length is complete.
    const auto header_end = raw.find("\r\n\r\n");
    if (header_end != std::string::npos) {
      std::string lower = raw.substr(0, header_end);
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      const auto cl = lower.find("content-length:");
      if (cl != std::string::npos) {
        const std::size_t length = std::stoul(lower.substr(cl + 15));
        if (raw.size() >= header_end + 4 + length) {
          break;
        }
      }
    }
  }
  ::close(fd);
  HttpGetResult result;
  const auto header_end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || header_end == std::string::npos) {
    throw std::runtime_error("not an HTTP answer: " + raw);
  }
  result.status = std::stoi(raw.substr(9, 3));
  result.body = raw.substr(header_end + 4);
  std::string headers = raw.substr(0, header_end);
  std::string lower = headers;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  const auto ct = lower.find("content-type:");
  if (ct != std::string::npos) {
    const auto end = headers.find("\r\n", ct);
    result.content_type = headers.substr(ct + 13, end - ct - 13);
    result.content_type.erase(0, result.content_type.find_first_not_of(' '));
  }
  return result;
}

} // namespace dirsync::testing
