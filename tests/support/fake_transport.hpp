// A scripted HttpTransport and a fake clock for unit tests of feishu/: no network, no sleeps.
//
// FakeTransport answers the tenant-token endpoint by itself (tokens "t-fake-token-1", "-2", ...,
// each valid for `token_expire`), unless token answers are scripted; every other request gets the
// next scripted step, or, when the script is empty, the handler's answer. Every request is recorded.
// FakeTime is a clock that only moves when the client "sleeps", and records every sleep.
#pragma once

#include "common/json.hpp"
#include "feishu/client.hpp"
#include "feishu/transport.hpp"

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace dirsync::testing {

inline constexpr std::string_view k_token_path = "/open-apis/auth/v3/tenant_access_token/internal";

// {"code":0,"msg":"success","data":<data>} with HTTP 200.
inline feishu::HttpResponse ok(json::Value data = json::Value::object())
{
  json::Value body = json::Value::object({{"code", 0}, {"msg", "success"}, {"data", std::move(data)}});
  return {200, {{"Content-Type", "application/json"}}, body.dump()};
}

// A Feishu failure: {"code":code,"msg":msg,"data":{}} with `status` and extra headers.
inline feishu::HttpResponse failure(int status, long long code, std::string msg,
                                    feishu::Headers headers = {})
{
  json::Value body = json::Value::object({{"code", code}, {"msg", std::move(msg)}, {"data", json::Value::object()}});
  return {status, std::move(headers), body.dump()};
}

struct Dropped
{
  bool timed_out = false;
};

class FakeTransport : public feishu::HttpTransport
{
public:
  using Step = std::variant<feishu::HttpResponse, Dropped>;
  using Handler = std::function<feishu::HttpResponse(const feishu::HttpRequest&)>;

  std::chrono::seconds token_expire{7200};

  void push(feishu::HttpResponse response) { locked([&] { m_script.emplace_back(std::move(response)); }); }
  void push_dropped(bool timed_out = false) { locked([&] { m_script.emplace_back(Dropped{timed_out}); }); }
  void push_token(feishu::HttpResponse response) { locked([&] { m_token_script.emplace_back(std::move(response)); }); }
  void set_handler(Handler handler) { locked([&] { m_handler = std::move(handler); }); }

  feishu::HttpResponse send(const feishu::HttpRequest& request) override
  {
    std::unique_lock lock(m_mutex);
    m_requests.push_back(request);
    if (request.target == k_token_path) {
      if (!m_token_script.empty()) {
        auto r = std::move(m_token_script.front());
        m_token_script.pop_front();
        return r;
      }
      ++m_tokens_issued;
      json::Value body = json::Value::object(
        {{"code", 0}, {"msg", "ok"},
         {"tenant_access_token", "t-fake-token-" + std::to_string(m_tokens_issued)},
         {"expire", static_cast<long long>(token_expire.count())}});
      return {200, {}, body.dump()};
    }
    if (!m_script.empty()) {
      Step step = std::move(m_script.front());
      m_script.pop_front();
      if (auto* dropped = std::get_if<Dropped>(&step)) {
        throw feishu::TransportError(dropped->timed_out ? "timed out" : "connection reset by peer",
                                     dropped->timed_out);
      }
      return std::get<feishu::HttpResponse>(std::move(step));
    }
    if (m_handler) {
      Handler handler = m_handler;
      lock.unlock();
      return handler(request);
    }
    throw std::logic_error("FakeTransport: no scripted answer for " + request.method + " " + request.target);
  }

  // Every request, token requests included.
  std::vector<feishu::HttpRequest> requests() const
  {
    std::lock_guard lock(m_mutex);
    return m_requests;
  }
  // Every request but the token requests.
  std::vector<feishu::HttpRequest> api_requests() const
  {
    std::vector<feishu::HttpRequest> out;
    for (auto& r : requests()) {
      if (r.target != k_token_path) {
        out.push_back(r);
      }
    }
    return out;
  }
  std::size_t token_requests() const { return requests().size() - api_requests().size(); }
  std::size_t unused_steps() const
  {
    std::lock_guard lock(m_mutex);
    return m_script.size();
  }

private:
  template<typename F>
  void locked(F f)
  {
    std::lock_guard lock(m_mutex);
    f();
  }

  mutable std::mutex m_mutex;
  std::deque<Step> m_script;
  std::deque<feishu::HttpResponse> m_token_script;
  Handler m_handler;
  std::vector<feishu::HttpRequest> m_requests;
  int m_tokens_issued = 0;
};

class FakeTime
{
public:
  feishu::SteadyTime now() const
  {
    std::lock_guard lock(m_mutex);
    return m_now;
  }
  void advance(std::chrono::nanoseconds d)
  {
    std::lock_guard lock(m_mutex);
    m_now += d;
  }
  void sleep(std::chrono::nanoseconds d)
  {
    std::lock_guard lock(m_mutex);
    m_sleeps.push_back(d);
    m_now += d;
  }
  std::vector<std::chrono::nanoseconds> sleeps() const
  {
    std::lock_guard lock(m_mutex);
    return m_sleeps;
  }
  // Hooks for a Client that use this clock, a fixed random seed and 1 s / 8 s backoff caps.
  feishu::ClientHooks hooks()
  {
    feishu::ClientHooks h;
    h.clock = [this] { return now(); };
    h.sleep = [this](std::chrono::nanoseconds d) { sleep(d); };
    h.random_seed = 42;
    h.initial_backoff = std::chrono::seconds(1);
    h.max_backoff = std::chrono::seconds(8);
    return h;
  }

private:
  mutable std::mutex m_mutex;
  feishu::SteadyTime m_now{std::chrono::hours(1000)};
  std::vector<std::chrono::nanoseconds> m_sleeps;
};

// A config for tests: app credentials set, 5 attempts, 8 in flight.
inline config::FeishuConfig test_config()
{
  config::FeishuConfig c;
  c.base_url = "http://127.0.0.1:1";
  c.app_id = "cli_test";
  c.app_secret = "s3cret-app-secret";
  return c;
}

// The query parameters of a request target, in order.
inline std::vector<std::pair<std::string, std::string>> query_of(const std::string& target)
{
  std::vector<std::pair<std::string, std::string>> out;
  auto q = target.find('?');
  if (q == std::string::npos) {
    return out;
  }
  std::string rest = target.substr(q + 1);
  std::size_t start = 0;
  while (start <= rest.size()) {
    auto end = rest.find('&', start);
    if (end == std::string::npos) {
      end = rest.size();
    }
    std::string pair = rest.substr(start, end - start);
    auto eq = pair.find('=');
    out.emplace_back(pair.substr(0, eq), eq == std::string::npos ? "" : pair.substr(eq + 1));
    start = end + 1;
  }
  return out;
}

inline std::string path_of(const std::string& target)
{
  return target.substr(0, target.find('?'));
}

} // namespace dirsync::testing
