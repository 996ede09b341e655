// The emulator's HTTP behaviour without sockets: routing, authentication, rate limits, the Feishu
// envelope, log ids, injected faults, counters, and the /_emulator control API.
//
// The listener (server.cpp) turns each HTTP request into an HttpRequest, calls Api::handle(), and
// delivers the HttpResponse after its delay, or drops the connection when told to. handle() is
// thread-safe (one lock around the tenant, the limiter and the counters); it never blocks on time.
#pragma once

#include "common/json.hpp"
#include "emulator/rate_limiter.hpp"
#include "emulator/tenant.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace dirsync::emulator {

struct HttpRequest
{
  std::string method;        // "GET", "POST", ...
  std::string path;          // percent-encoded, without the query
  std::string query;         // raw query string, without '?'
  std::string authorization; // the Authorization header, empty when absent
  std::string body;
};

struct HttpResponse
{
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds delay{0}; // answer after this long (injected latency)
  bool drop = false;                  // close the connection instead of answering
};

class Api
{
public:
  struct Options
  {
    std::int64_t token_ttl = 7200;
    double rate_limit_scale = 1.0; // 0 = no limits
    std::chrono::milliseconds latency{0};
    double fail_rate = 0;  // share of /open-apis requests answered with a 5xx
    double drop_rate = 0;  // share of /open-apis requests whose connection is closed unanswered
    std::uint64_t random_seed = 1;
    std::size_t fetch_child_limit = 0; // see Tenant::Options
    std::function<std::int64_t()> wall_clock;                     // empty: system clock
    std::function<RateLimiter::Clock::time_point()> steady_clock; // empty: steady_clock::now
  };

  Api(Options options, const json::Value& seed);

  HttpResponse handle(const HttpRequest& request);

  // For persistence: a counter that moves on every tenant change, and the tenant in seed format.
  std::uint64_t generation();
  json::Value state();

private:
  enum class Auth { none, tenant, tenant_or_user, user };

  struct Call
  {
    Caller caller;
    std::vector<std::string> params;                         // path parameters, decoded
    std::vector<std::pair<std::string, std::string>> query;  // decoded, in order, repeats kept
    json::Value body;
    IdTypes types;

    std::string param(std::size_t i) const { return params.at(i); }
    std::string get(std::string_view name) const;
    std::vector<std::string> all(std::string_view name) const;
    PageRequest page() const { return PageRequest{get("page_size"), get("page_token")}; }
  };

  struct Route
  {
    std::string method;
    std::vector<std::string> segments; // ":" marks a parameter
    std::string endpoint;              // "GET /open-apis/contact/v3/users/:user_id", for counters
    Auth auth = Auth::tenant;
    std::vector<RateWindow> limits;
    std::function<json::Value(Api&, Call&)> run;
  };

  void add_routes();
  void route(std::string method, std::string pattern, Auth auth, std::vector<RateWindow> limits,
             std::function<json::Value(Api&, Call&)> run);
  HttpResponse handle_open_api(const HttpRequest& request, const std::string& log_id);
  HttpResponse handle_token(const HttpRequest& request, bool app);
  HttpResponse handle_control(const HttpRequest& request);
  HttpResponse error_response(int http_status, long long code, const std::string& msg, const std::string& log_id,
                              bool with_data = false);
  std::string new_log_id();
  void count(const std::string& endpoint, const std::string& outcome);

  Options m_options;
  std::mutex m_mutex;
  Tenant m_tenant;
  RateLimiter m_limiter;
  std::mt19937_64 m_fault_random;
  std::uint64_t m_log_counter = 0;
  std::vector<Route> m_routes;
  std::map<std::string, std::map<std::string, std::uint64_t>> m_stats;
};

// Splits a raw query string into decoded name/value pairs ('+' is a space, as in forms).
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);
// Decodes %XX escapes; returns nullopt for a malformed escape.
std::optional<std::string> try_percent_decode(std::string_view text, bool plus_is_space);

} // namespace dirsync::emulator
