// The Feishu contact v3 client: typed calls over an HttpTransport, with the tenant token cache,
// retries, client-side rate limits and a bound on requests in flight (docs/feishu-client.md).
//
// Every call either returns its result or throws ApiError (common/error.hpp) carrying the
// endpoint, HTTP status, Feishu code, msg, log id and whether a retry could help. How a request
// is tried:
//   1. It waits for its endpoint's rate limit (feishu/rate_limiter.hpp) and for a free slot among
//      feishu.max_in_flight; the slot is held only while the request is on the wire.
//   2. A tenant-token call carries the cached token (feishu/token_cache.hpp). An answer saying the
//      token is missing or invalid (99991661/99991663/99991664/99991665) makes the client fetch a
//      new token and send the request once more; a second such answer is an error.
//   3. HTTP 429 or code 99991400: wait x-ogw-ratelimit-reset seconds and send again.
//   4. HTTP 5xx, internal-error codes (2200, 5000, 40003, 44025), timeouts and dropped
//      connections: wait with exponential backoff and full jitter and send again, but only for a
//      request that is safe to repeat (see `idempotent` in each call's comment). A request that
//      may have been applied and is not safe to repeat fails at once with a retryable ApiError,
//      and its caller (the journal) decides.
//   5. All tries together are bounded by feishu.max_attempts; the last failure is thrown with
//      retryable = true. Any other business error is thrown at once with retryable = false.
//
// The client is safe to call from several threads. It never logs a secret: request traces go
// through redact_text(), and the Authorization header is never logged.
#pragma once

#include "config/config.hpp"
#include "feishu/models.hpp"
#include "feishu/rate_limiter.hpp"
#include "feishu/token_cache.hpp"
#include "feishu/transport.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <semaphore>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace dirsync::feishu {

// Which token a call carries: the app's tenant_access_token (the default), or a user's
// user_access_token given by the caller (the client never refreshes user tokens).
class Auth
{
public:
  static Auth tenant() { return Auth(Kind::tenant, {}); }
  static Auth user(std::string user_access_token) { return Auth(Kind::user, std::move(user_access_token)); }
  static Auth none() { return Auth(Kind::none, {}); }

  bool is_tenant() const { return m_kind == Kind::tenant; }
  bool is_user() const { return m_kind == Kind::user; }
  bool is_none() const { return m_kind == Kind::none; }
  const std::string& user_token() const { return m_user_token; }

private:
  enum class Kind { tenant, user, none };
  Auth(Kind kind, std::string token)
    : m_kind(kind),
      m_user_token(std::move(token))
  {
  }
  Kind m_kind;
  std::string m_user_token;
};

// Counters for the daemon's /metrics. Endpoint names are those of the rate-limit table.
struct ClientMetrics
{
  // (endpoint, result) → answers. result: the Feishu code as a number ("0", "99991400", ...),
  // "http_<status>" for an answer without a code, "timeout" or "connection" for no answer.
  std::map<std::pair<std::string, std::string>, std::uint64_t> requests;
  std::map<std::string, std::uint64_t> rate_limit_waits;  // client-side limiter waits and 429 waits
  std::map<std::string, double> rate_limit_wait_seconds;
  std::map<std::string, std::uint64_t> retries;          // requests sent again after a failure
  std::uint64_t token_fetches = 0;
};

// Injected time, so unit tests never sleep and control the clock.
struct ClientHooks
{
  std::function<SteadyTime()> clock = [] { return std::chrono::steady_clock::now(); };
  std::function<void(std::chrono::nanoseconds)> sleep = [](std::chrono::nanoseconds d) {
    std::this_thread::sleep_for(d);
  };
  std::uint64_t random_seed = std::random_device{}();
  std::chrono::milliseconds initial_backoff{500};      // cap of the first retry's random wait
  std::chrono::milliseconds max_backoff{30'000};       // cap of any retry's random wait
  std::chrono::milliseconds max_rate_limit_wait{120'000}; // longest x-ogw-ratelimit-reset honoured
};

template<typename T>
using PageHandler = std::function<void(std::vector<T>& page)>;

class Client
{
public:
  // A client over cpprestsdk to config.base_url. Throws ConfigError for a bad base_url or
  // rate_limits entry.
  explicit Client(const config::FeishuConfig& config, ClientHooks hooks = {});
  // A client over any transport (tests pass a fake one). Throws ConfigError as above.
  Client(const config::FeishuConfig& config, std::shared_ptr<HttpTransport> transport,
         ClientHooks hooks = {});
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // --- Users (tenant token unless an Auth is taken) ------------------------------------------

  // POST /contact/v3/users. `client_token` (recommended) makes the create idempotent: Feishu
  // answers a repeat with the same token and body without creating a second user, so with a
  // client_token the request is retried after 5xx and timeouts; without one it is not.
  User create_user(const UserCreate& user, const std::string& client_token = {}, IdTypes ids = {});
  // PATCH /contact/v3/users/:user_id; idempotent. A patch that changes department_ids or
  // is_frozen also counts against `user_patch_department` (1/s).
  User patch_user(const std::string& user_id, const UserPatch& patch, IdTypes ids = {},
                  const Auth& auth = Auth::tenant());
  // PATCH /contact/v3/users/:user_id/update_user_id; not idempotent (a repeat names a user that
  // no longer exists under the old id).
  void update_user_id(const std::string& user_id, const std::string& new_user_id,
                      UserIdType id_type = UserIdType::open_id);
  // GET /contact/v3/users/:user_id. Resigned users are returned with status.is_resigned.
  User get_user(const std::string& user_id, IdTypes ids = {}, const Auth& auth = Auth::tenant());
  // GET /contact/v3/users/batch, 50 ids per request (repeated user_ids=). Users outside the app's
  // scope are silently left out, so the result may be shorter than `user_ids`.
  std::vector<User> batch_get_users(const std::vector<std::string>& user_ids, IdTypes ids = {},
                                    const Auth& auth = Auth::tenant());
  // GET /contact/v3/users/find_by_department: the department's direct members, page by page
  // (page_size 50, the maximum). "0" is the root.
  void list_users_by_department(const std::string& department_id, const PageHandler<User>& on_page,
                                IdTypes ids = {}, const Auth& auth = Auth::tenant());
  // POST /contact/v3/users/batch_get_id: one entry per queried email and mobile (user_id empty
  // when nobody has it), at most 50 emails and 50 mobiles per request.
  std::vector<BatchIdEntry> batch_get_user_ids(const BatchIdQuery& query,
                                               UserIdType id_type = UserIdType::open_id);
  // DELETE /contact/v3/users/:user_id (resign), with acceptors; idempotent.
  void delete_user(const std::string& user_id, const UserDelete& request = {},
                   UserIdType id_type = UserIdType::open_id);
  // POST /contact/v3/users/:user_id/resurrect, within 30 days of the resignation (10/min); not
  // idempotent (a repeat after success answers 44033 "not resigned").
  void resurrect_user(const std::string& user_id, const UserResurrect& request = {}, IdTypes ids = {});
  // GET /search/v1/user with a user token, page by page (page_size 200, the maximum).
  void search_users(const std::string& user_access_token, const std::string& query,
                    const PageHandler<SearchUser>& on_page);
  // GET /authen/v1/user_info: the user a user_access_token belongs to.
  CurrentUser get_current_user(const std::string& user_access_token);
  // POST /passport/v1/sessions/logout (tenant token).
  void logout(const Logout& request, UserIdType id_type = UserIdType::open_id);
  // POST /jssdk/ticket/get (tenant token). Callers should cache the ticket for expire_in.
  JsapiTicket get_jsapi_ticket();

  // --- Job titles (10/min: pages are as large as Feishu allows) --------------------------------

  void list_job_titles(const PageHandler<JobTitle>& on_page, const Auth& auth = Auth::tenant());
  JobTitle get_job_title(const std::string& job_title_id, const Auth& auth = Auth::tenant());

  // --- Units (tenant token) --------------------------------------------------------------------

  // POST /contact/v3/unit → the unit_id. Idempotent only with a unit_id (a repeat then answers
  // 43056 "unit_id duplicated" instead of creating a second unit).
  std::string create_unit(const UnitCreate& unit);
  void patch_unit(const std::string& unit_id, const std::string& name);
  // department_id_type goes in the body for these two.
  void bind_unit_department(const std::string& unit_id, const std::string& department_id,
                            DepartmentIdType id_type = DepartmentIdType::open_department_id);
  void unbind_unit_department(const std::string& unit_id, const std::string& department_id,
                              DepartmentIdType id_type = DepartmentIdType::open_department_id);
  void list_unit_departments(const std::string& unit_id, const PageHandler<UnitDepartment>& on_page,
                             DepartmentIdType id_type = DepartmentIdType::open_department_id);
  Unit get_unit(const std::string& unit_id);
  void list_units(const PageHandler<Unit>& on_page);
  void delete_unit(const std::string& unit_id);

  // --- Departments -----------------------------------------------------------------------------

  // GET /contact/v3/departments/:id/children, page by page (page_size 50); with fetch_child all
  // descendants. A tenant too large for recursion answers 43010 (thrown).
  void list_department_children(const std::string& department_id, bool fetch_child,
                                const PageHandler<Department>& on_page, IdTypes ids = {},
                                const Auth& auth = Auth::tenant());
  Department get_department(const std::string& department_id, IdTypes ids = {},
                            const Auth& auth = Auth::tenant());
  // POST /contact/v3/departments; idempotent only with a client_token.
  Department create_department(const DepartmentCreate& department, const std::string& client_token = {},
                               IdTypes ids = {});

  // --- Generic -----------------------------------------------------------------------------------

  using Query = std::vector<std::pair<std::string, std::string>>;

  // One request as the typed calls describe it.
  struct Call
  {
    Call() = default;
    Call(std::string_view endpoint_name, std::string_view extra, std::string http_method,
         std::string request_path, Query request_query = {},
         std::optional<json::Value> request_body = std::nullopt)
      : endpoint(endpoint_name),
        extra_limit(extra),
        method(std::move(http_method)),
        path(std::move(request_path)),
        query(std::move(request_query)),
        body(std::move(request_body))
    {
    }

    std::string_view endpoint;        // rate-limit and metric name, e.g. "user_get"
    std::string_view extra_limit;     // a second limit the request counts against, or empty
    std::string method;
    std::string path;                 // without query, already percent-encoded
    Query query;                      // encoded by the client
    std::optional<json::Value> body;
    Auth auth = Auth::tenant();
    bool idempotent = true;           // safe to send again after an ambiguous failure
    bool flat = false;                // the answer has no `data` (the token endpoint)
  };

  // Sends `call` under the rules above and returns its `data` object (the whole body for the
  // flat token endpoint; an empty object when `data` is absent).
  json::Value send(const Call& call);
  // Pages through a list endpoint: sends `call` with page_size, then again with each page_token
  // while has_more, and hands each page's `list_key` array to `on_page`. Only one page is held at
  // a time. Throws ApiError (e.g. 40012 for a rejected page token) after the pages already handed.
  void page(Call call, std::string_view list_key, int page_size,
            const std::function<void(json::Array& items)>& on_page);

  ClientMetrics metrics() const;

  // "/open-apis/x?a=1&b=2" with percent-encoded values; repeated keys stay repeated.
  static std::string build_target(const std::string& path, const Query& query);
  // Percent-encodes everything but RFC 3986 unreserved characters.
  static std::string encode_component(std::string_view text);

private:
  FetchedToken fetch_tenant_token();
  // One try: waits for the rate limit and a slot, sends, returns the answer; sets `token` to the
  // token the request carried. Throws TransportError when no answer came back.
  HttpResponse send_once(const Call& call, const std::string& target, std::string& token);
  std::chrono::nanoseconds backoff(int attempt);
  void count(std::string_view endpoint, const std::string& result);
  void count_wait(std::string_view endpoint, std::chrono::nanoseconds wait);
  void count_retry(std::string_view endpoint);

  config::FeishuConfig m_config;
  std::shared_ptr<HttpTransport> m_transport;
  ClientHooks m_hooks;
  RateLimits m_limits;
  TokenCache m_tokens;
  std::counting_semaphore<> m_in_flight;

  mutable std::mutex m_metrics_mutex;
  ClientMetrics m_metrics;
  std::mutex m_random_mutex;
  std::mt19937_64 m_random;
};

} // namespace dirsync::feishu
