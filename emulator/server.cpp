#include "emulator/server.hpp"

#include "common/error.hpp"

#include <cpprest/http_listener.h>
#include <cpprest/producerconsumerstream.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>

namespace dirsync::emulator {

namespace {

using web::http::http_request;
using web::http::http_response;

std::string reason_phrase(int status)
{
  switch (status) {
  case 200:
    return "OK";
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 409:
    return "Conflict";
  case 429:
    return "Too Many Requests";
  case 500:
    return "Internal Server Error";
  case 502:
    return "Bad Gateway";
  case 503:
    return "Service Unavailable";
  case 504:
    return "Gateway Timeout";
  default:
    return "";
  }
}

// Runs callbacks at a given time on one thread; what is still pending at stop() runs at once.
class Timer
{
public:
  using Clock = std::chrono::steady_clock;

  Timer() : m_thread([this] { run(); }) {}
  ~Timer() { stop(); }

  void at(Clock::time_point when, std::function<void()> fn)
  {
    {
      std::lock_guard lock(m_mutex);
      m_queue.push(Item{when, m_sequence++, std::move(fn)});
    }
    m_wake.notify_one();
  }

  void stop()
  {
    {
      std::lock_guard lock(m_mutex);
      if (m_stopping) {
        return;
      }
      m_stopping = true;
    }
    m_wake.notify_one();
    m_thread.join();
  }

private:
  struct Item
  {
    Clock::time_point when;
    std::uint64_t sequence;
    std::function<void()> fn;
    bool operator>(const Item& other) const
    {
      return when != other.when ? when > other.when : sequence > other.sequence;
    }
  };

  void run()
  {
    std::unique_lock lock(m_mutex);
    for (;;) {
      if (m_queue.empty()) {
        if (m_stopping) {
          return;
        }
        m_wake.wait(lock);
        continue;
      }
      const auto due = m_queue.top().when;
      if (!m_stopping && Clock::now() < due) {
        m_wake.wait_until(lock, due);
        continue;
      }
      auto fn = m_queue.top().fn;
      m_queue.pop();
      lock.unlock();
      fn();
      lock.lock();
    }
  }

  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> m_queue;
  std::uint64_t m_sequence = 0;
  bool m_stopping = false;
  std::thread m_thread;
};

void deliver(http_request request, const HttpResponse& answer)
{
  try {
    if (answer.drop) {
      // Headers announce a body that never comes; the listener closes the connection when the
      // body stream ends early.
      http_response r(200);
      r.set_reason_phrase("OK");
      concurrency::streams::producer_consumer_buffer<uint8_t> buffer;
      buffer.close(std::ios_base::out).wait();
      r.set_body(concurrency::streams::istream(buffer), 4096, "application/json; charset=utf-8");
      r.headers().add("Connection", "close");
      request.reply(r).then([](pplx::task<void> t) {
        try {
          t.get();
        } catch (const std::exception&) {
          // The broken reply is the point.
        }
      });
      return;
    }
    http_response r(static_cast<web::http::status_code>(answer.status));
    r.set_reason_phrase(reason_phrase(answer.status));
    for (const auto& [name, value] : answer.headers) {
      r.headers().add(name, value);
    }
    r.set_body(answer.body, answer.content_type);
    request.reply(r).then([](pplx::task<void> t) {
      try {
        t.get();
      } catch (const std::exception& e) {
        spdlog::debug("reply not delivered: {}", e.what());
      }
    });
  } catch (const std::exception& e) {
    spdlog::warn("cannot answer a request: {}", e.what());
  }
}

} // namespace

struct Server::Impl
{
  Api& api;
  web::http::experimental::listener::http_listener listener;
  Timer timer;
  bool open = false;

  Impl(Api& a, const std::string& url) : api(a), listener(web::uri(url)) {}

  void on_request(http_request request)
  {
    request.extract_vector().then([this, request](pplx::task<std::vector<unsigned char>> body_task) {
      HttpRequest in;
      try {
        const auto body = body_task.get();
        in.body.assign(body.begin(), body.end());
      } catch (const std::exception&) {
        return; // the client went away while sending
      }
      const auto& uri = request.request_uri();
      in.method = request.method();
      in.path = uri.path();
      in.query = uri.query();
      if (request.headers().has("Authorization")) {
        in.authorization = request.headers().find("Authorization")->second;
      }
      HttpResponse answer;
      try {
        answer = api.handle(in);
      } catch (const std::exception& e) {
        spdlog::error("emulator failed on {} {}: {}", in.method, in.path, e.what());
        answer.status = 500;
        answer.body = R"({"code":40003,"msg":"internal error"})";
      }
      spdlog::debug("{} {}{}{} -> {}{}", in.method, in.path, in.query.empty() ? "" : "?", in.query, answer.status,
                    answer.drop ? " (dropped)" : "");
      if (answer.delay.count() > 0) {
        timer.at(Timer::Clock::now() + answer.delay, [request, answer] { deliver(request, answer); });
      } else {
        deliver(request, answer);
      }
    });
  }
};

Server::Server(Api& api, const std::string& host, int port)
{
  const bool v6 = host.find(':') != std::string::npos;
  m_url = fmt::format("http://{}:{}", v6 ? "[" + host + "]" : host, port);
  try {
    m_impl = std::make_unique<Impl>(api, m_url);
    m_impl->listener.support([impl = m_impl.get()](http_request request) { impl->on_request(std::move(request)); });
    m_impl->listener.open().wait();
    m_impl->open = true;
  } catch (const std::exception& e) {
    throw Error(fmt::format("cannot listen on {}:{}: {} (is the port in use?)", host, port, e.what()));
  }
}

Server::~Server()
{
  try {
    close();
  } catch (const std::exception& e) {
    spdlog::warn("closing the listener: {}", e.what());
  }
}

void Server::close()
{
  if (m_impl && m_impl->open) {
    m_impl->open = false;
    m_impl->timer.stop();
    m_impl->listener.close().wait();
  }
}

} // namespace dirsync::emulator
