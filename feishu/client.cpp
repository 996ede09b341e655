#include "feishu/client.hpp"

#include "common/redact.hpp"
#include "common/version.hpp"
#include "feishu/cpprest_transport.hpp"
#include "feishu/envelope.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

namespace dirsync::feishu {

namespace {

using json::Value;
using namespace std::chrono_literals;

constexpr std::string_view k_contact = "/open-apis/contact/v3";
constexpr std::size_t k_batch_size = 50;          // users/batch and batch_get_id take at most 50
constexpr int k_user_page_size = 50;              // find_by_department maximum
constexpr int k_department_page_size = 50;        // children maximum
constexpr int k_job_title_page_size = 50;         // job_titles maximum
constexpr int k_unit_page_size = 100;             // unit list and list_department maximum
constexpr int k_search_page_size = 200;           // search/v1/user maximum

// Releases an in-flight slot when the request is done, however it ends.
class SlotGuard
{
public:
  explicit SlotGuard(std::counting_semaphore<>& semaphore)
    : m_semaphore(semaphore)
  {
  }
  ~SlotGuard() { m_semaphore.release(); }
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;

private:
  std::counting_semaphore<>& m_semaphore;
};

double to_seconds(std::chrono::nanoseconds d)
{
  return std::chrono::duration<double>(d).count();
}

std::string contact_path(std::string_view rest)
{
  return std::string(k_contact) + std::string(rest);
}

Client::Query id_query(IdTypes ids)
{
  return {{"user_id_type", std::string(to_string(ids.user))},
          {"department_id_type", std::string(to_string(ids.department))}};
}

Client::Query user_id_query(UserIdType type)
{
  return {{"user_id_type", std::string(to_string(type))}};
}

bool tolerant_bool(const Value& v, std::string_view key)
{
  const Value* m = v.find(key);
  return m != nullptr && m->is_bool() && m->as_bool();
}

std::string tolerant_string(const Value& v, std::string_view key)
{
  const Value* m = v.find(key);
  return (m != nullptr && m->is_string()) ? m->as_string() : std::string();
}

const Value& member_object(const Value& data, std::string_view key)
{
  static const Value k_empty = Value::object();
  const Value* m = data.find(key);
  return (m != nullptr && m->is_object()) ? *m : k_empty;
}

template<typename T, typename Decode>
std::function<void(json::Array&)> decoding(const PageHandler<T>& on_page, Decode decode)
{
  return [&on_page, decode](json::Array& items) {
    std::vector<T> page;
    page.reserve(items.size());
    for (const auto& item : items) {
      if (item.is_object()) {
        page.push_back(decode(item));
      }
    }
    on_page(page);
  };
}

} // namespace

Client::Client(const config::FeishuConfig& config, ClientHooks hooks)
  : Client(config, std::shared_ptr<HttpTransport>(make_cpprest_transport(config.base_url)), std::move(hooks))
{
}

Client::Client(const config::FeishuConfig& config, std::shared_ptr<HttpTransport> transport,
               ClientHooks hooks)
  : m_config(config),
    m_transport(std::move(transport)),
    m_hooks(std::move(hooks)),
    m_limits(config.rate_limits),
    m_tokens([this] { return fetch_tenant_token(); }, m_hooks.clock),
    m_in_flight(std::max(1, config.max_in_flight)),
    m_random(m_hooks.random_seed)
{
}

// --- The request machinery --------------------------------------------------------------------

std::string Client::encode_component(std::string_view text)
{
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += k_hex[c >> 4];
      out += k_hex[c & 0x0F];
    }
  }
  return out;
}

std::string Client::build_target(const std::string& path, const Query& query)
{
  std::string out = path;
  char separator = '?';
  for (const auto& [key, value] : query) {
    out += separator;
    out += encode_component(key);
    out += '=';
    out += encode_component(value);
    separator = '&';
  }
  return out;
}

FetchedToken Client::fetch_tenant_token()
{
  if (m_config.app_id.empty() || m_config.app_secret.empty()) {
    throw ConfigError(
      "feishu: a tenant token needs feishu.app_id and the app secret (app_secret_file, "
      "$CREDENTIALS_DIRECTORY/app_secret or DIRSYNC_APP_SECRET)");
  }
  Call call;
  call.endpoint = "tenant_access_token";
  call.method = "POST";
  call.path = "/open-apis/auth/v3/tenant_access_token/internal";
  call.body = Value::object({{"app_id", m_config.app_id}, {"app_secret", m_config.app_secret}});
  call.auth = Auth::none();
  call.flat = true;
  Value body = send(call);
  FetchedToken out{tolerant_string(body, "tenant_access_token"), std::chrono::seconds(0)};
  if (const Value* expire = body.find("expire"); expire != nullptr && expire->is_integer()) {
    out.expire = std::chrono::seconds(expire->as_int());
  }
  if (out.token.empty() || out.expire.count() <= 0) {
    throw ApiError(ApiError::Details{
      "POST " + call.path, 200, 0, "the answer had no tenant_access_token or no positive expire",
      "", false});
  }
  {
    std::lock_guard lock(m_metrics_mutex);
    ++m_metrics.token_fetches;
  }
  spdlog::debug("feishu: fetched a tenant token valid for {}s", out.expire.count());
  return out;
}

HttpResponse Client::send_once(const Call& call, const std::string& target, std::string& token)
{
  HttpRequest request;
  request.method = call.method;
  request.target = target;
  request.timeout = m_config.timeout;
  request.headers.emplace_back("User-Agent", fmt::format("feishu-dirsync/{}", version()));
  if (call.body) {
    request.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
    request.body = call.body->dump();
  }

  // Wait for the rate limit without holding a slot, then send at once while holding one, so the
  // times the limiter records are the times requests leave. The token is taken after any wait
  // (a wait can outlast a short-lived token) and before the slot (fetching one needs a slot).
  for (;;) {
    if (call.auth.is_tenant()) {
      token = m_tokens.get();
    } else if (call.auth.is_user()) {
      token = call.auth.user_token();
    }
    m_in_flight.acquire();
    const auto wait = m_limits.try_acquire({call.endpoint, call.extra_limit}, m_hooks.clock());
    if (wait.count() <= 0) {
      break;
    }
    m_in_flight.release();
    count_wait(call.endpoint, wait);
    spdlog::debug("feishu: {} waits {:.3f}s for its rate limit", call.endpoint, to_seconds(wait));
    m_hooks.sleep(wait);
  }
  if (!token.empty()) {
    request.headers.emplace_back("Authorization", "Bearer " + token);
  }
  SlotGuard slot(m_in_flight);

  if (spdlog::should_log(spdlog::level::trace)) {
    spdlog::trace("feishu: > {} {} {}", request.method, redact_text(request.target),
                  redact_text(request.body));
  }
  HttpResponse response = m_transport->send(request);
  if (spdlog::should_log(spdlog::level::trace)) {
    spdlog::trace("feishu: < {} {} {}", response.status, request.target, redact_text(response.body));
  }
  return response;
}

std::chrono::nanoseconds Client::backoff(int attempt)
{
  // Full jitter: a uniform wait in [0, min(max, initial * 2^(attempt-1))].
  std::chrono::nanoseconds cap = m_hooks.initial_backoff;
  for (int i = 1; i < attempt && cap < m_hooks.max_backoff; ++i) {
    cap *= 2;
  }
  cap = std::min<std::chrono::nanoseconds>(cap, m_hooks.max_backoff);
  std::lock_guard lock(m_random_mutex);
  std::uniform_int_distribution<std::int64_t> pick(0, cap.count());
  return std::chrono::nanoseconds(pick(m_random));
}

void Client::count(std::string_view endpoint, const std::string& result)
{
  std::lock_guard lock(m_metrics_mutex);
  ++m_metrics.requests[{std::string(endpoint), result}];
}

void Client::count_wait(std::string_view endpoint, std::chrono::nanoseconds wait)
{
  std::lock_guard lock(m_metrics_mutex);
  ++m_metrics.rate_limit_waits[std::string(endpoint)];
  m_metrics.rate_limit_wait_seconds[std::string(endpoint)] += to_seconds(wait);
}

void Client::count_retry(std::string_view endpoint)
{
  std::lock_guard lock(m_metrics_mutex);
  ++m_metrics.retries[std::string(endpoint)];
}

ClientMetrics Client::metrics() const
{
  std::lock_guard lock(m_metrics_mutex);
  return m_metrics;
}

Value Client::send(const Call& call)
{
  const std::string target = build_target(call.path, call.query);
  const std::string label = call.method + " " + call.path;
  const int max_attempts = std::max(1, m_config.max_attempts);
  int attempt = 1;
  bool refreshed = false;

  const auto retry_after = [&](std::chrono::nanoseconds wait, std::string_view why) {
    spdlog::warn("feishu: {} {}; trying again in {:.1f}s (attempt {} of {})", label, why,
                 to_seconds(wait), attempt + 1, max_attempts);
    m_hooks.sleep(wait);
    ++attempt;
    count_retry(call.endpoint);
  };
  const std::string gave_up = fmt::format("gave up after {} attempts", max_attempts);
  const std::string not_repeatable =
    "not sent again automatically: the request may have been applied and is not safe to repeat";

  for (;;) {
    std::string token;  // the token the request carried, set by send_once
    HttpResponse response;
    try {
      response = send_once(call, target, token);
    } catch (const TransportError& e) {
      count(call.endpoint, e.timed_out() ? "timeout" : "connection");
      ApiError::Details d{label, 0, 0, e.what(), "", true};
      if (!call.idempotent) {
        d.msg += fmt::format(" ({})", not_repeatable);
        throw ApiError(std::move(d));
      }
      if (attempt >= max_attempts) {
        d.msg += fmt::format(" ({})", gave_up);
        throw ApiError(std::move(d));
      }
      retry_after(backoff(attempt), e.timed_out() ? "timed out" : "got no answer");
      continue;
    }

    Envelope envelope = decode_envelope(response);
    count(call.endpoint, envelope.has_code ? std::to_string(envelope.code)
                                           : fmt::format("http_{}", envelope.http_status));
    switch (classify(envelope)) {
    case Disposition::success: {
      if (call.flat) {
        return std::move(envelope.body);
      }
      Value* data = envelope.body.find("data");
      return (data != nullptr && data->is_object()) ? std::move(*data) : Value::object();
    }
    case Disposition::token_invalid:
      if (call.auth.is_tenant() && !refreshed) {
        spdlog::info("feishu: {} refused the tenant token (code {}); fetching a new one", label,
                     envelope.code);
        refreshed = true;
        m_tokens.invalidate(token);
        count_retry(call.endpoint);
        continue;
      }
      throw make_api_error(label, envelope, false,
                           call.auth.is_tenant() ? "a freshly fetched tenant token was refused too" : "");
    case Disposition::rate_limited: {
      if (attempt >= max_attempts) {
        throw make_api_error(label, envelope, true, gave_up);
      }
      const auto reset = find_rate_limit_reset(response);
      const std::chrono::nanoseconds wait =
        (reset && reset->count() > 0)
          ? std::min<std::chrono::nanoseconds>(*reset, m_hooks.max_rate_limit_wait)
          : backoff(attempt);
      // Pause the endpoint for every thread; this request then waits in send_once like any other.
      m_limits.pause(call.endpoint, m_hooks.clock() + wait);
      spdlog::warn("feishu: {} was rate limited by Feishu; holding {} back for {:.1f}s (attempt {} of {})",
                   label, call.endpoint, to_seconds(wait), attempt + 1, max_attempts);
      ++attempt;
      count_retry(call.endpoint);
      continue;
    }
    case Disposition::transient:
      if (!call.idempotent) {
        throw make_api_error(label, envelope, true, not_repeatable);
      }
      if (attempt >= max_attempts) {
        throw make_api_error(label, envelope, true, gave_up);
      }
      retry_after(backoff(attempt),
                  fmt::format("failed (HTTP {}, code {})", envelope.http_status, envelope.code));
      continue;
    case Disposition::permanent:
      if (call.auth.is_none()) {
        throw make_api_error(label, envelope, false,
                             "check feishu.app_id and the app secret, and that the app is enabled");
      }
      throw make_api_error(label, envelope, false);
    }
  }
}

void Client::page(Call call, std::string_view list_key, int page_size,
                  const std::function<void(json::Array& items)>& on_page)
{
  call.query.emplace_back("page_size", std::to_string(page_size));
  std::string page_token;
  for (;;) {
    Call one = call;
    if (!page_token.empty()) {
      one.query.emplace_back("page_token", page_token);
    }
    Value data = send(one);
    json::Array items;
    if (Value* list = data.find(list_key); list != nullptr && list->is_array()) {
      items = std::move(list->as_array());
    }
    on_page(items);
    if (!tolerant_bool(data, "has_more")) {
      return;
    }
    std::string next = tolerant_string(data, "page_token");
    if (next.empty() || next == page_token) {
      throw ApiError(ApiError::Details{
        call.method + " " + call.path, 200, 0,
        next.empty() ? "has_more is true but no page_token came back"
                     : "the same page_token came back twice; stopping so paging cannot loop",
        "", false});
    }
    page_token = std::move(next);
  }
}

// --- Users --------------------------------------------------------------------------------------

User Client::create_user(const UserCreate& user, const std::string& client_token, IdTypes ids)
{
  Call call{"user_create", {}, "POST", contact_path("/users"), id_query(ids), encode(user)};
  if (!client_token.empty()) {
    call.query.emplace_back("client_token", client_token);
  }
  call.idempotent = !client_token.empty();
  return decode_user(member_object(send(call), "user"));
}

User Client::patch_user(const std::string& user_id, const UserPatch& patch, IdTypes ids,
                        const Auth& auth)
{
  Call call{"user_patch",
            patch.changes_department_or_frozen() ? "user_patch_department" : "",
            "PATCH",
            contact_path("/users/" + encode_component(user_id)),
            id_query(ids),
            encode(patch)};
  call.auth = auth;
  return decode_user(member_object(send(call), "user"));
}

void Client::update_user_id(const std::string& user_id, const std::string& new_user_id,
                            UserIdType id_type)
{
  Call call{"user_update_user_id", {}, "PATCH",
            contact_path("/users/" + encode_component(user_id) + "/update_user_id"),
            user_id_query(id_type), Value::object({{"new_user_id", new_user_id}})};
  call.idempotent = false;
  send(call);
}

User Client::get_user(const std::string& user_id, IdTypes ids, const Auth& auth)
{
  Call call{"user_get", {}, "GET", contact_path("/users/" + encode_component(user_id)), id_query(ids)};
  call.auth = auth;
  return decode_user(member_object(send(call), "user"));
}

std::vector<User> Client::batch_get_users(const std::vector<std::string>& user_ids, IdTypes ids,
                                          const Auth& auth)
{
  std::vector<User> out;
  for (std::size_t start = 0; start < user_ids.size(); start += k_batch_size) {
    Call call{"user_batch", {}, "GET", contact_path("/users/batch"), {}};
    call.auth = auth;
    const std::size_t end = std::min(user_ids.size(), start + k_batch_size);
    for (std::size_t i = start; i < end; ++i) {
      call.query.emplace_back("user_ids", user_ids[i]);
    }
    for (auto& q : id_query(ids)) {
      call.query.push_back(std::move(q));
    }
    Value data = send(call);
    if (const Value* items = data.find("items"); items != nullptr && items->is_array()) {
      for (const auto& item : items->as_array()) {
        if (item.is_object()) {
          out.push_back(decode_user(item));
        }
      }
    }
  }
  return out;
}

void Client::list_users_by_department(const std::string& department_id,
                                      const PageHandler<User>& on_page, IdTypes ids, const Auth& auth)
{
  Call call{"user_find_by_department", {}, "GET", contact_path("/users/find_by_department"),
            {{"department_id", department_id}}};
  for (auto& q : id_query(ids)) {
    call.query.push_back(std::move(q));
  }
  call.auth = auth;
  page(std::move(call), "items", k_user_page_size, decoding(on_page, decode_user));
}

std::vector<BatchIdEntry> Client::batch_get_user_ids(const BatchIdQuery& query, UserIdType id_type)
{
  std::vector<BatchIdEntry> out;
  const std::size_t longest = std::max(query.emails.size(), query.mobiles.size());
  for (std::size_t start = 0; start < longest; start += k_batch_size) {
    const auto slice = [&](const std::vector<std::string>& all) {
      std::vector<std::string> part;
      for (std::size_t i = start; i < std::min(all.size(), start + k_batch_size); ++i) {
        part.push_back(all[i]);
      }
      return part;
    };
    Value body = Value::object();
    if (auto emails = slice(query.emails); !emails.empty()) {
      body.set("emails", Value::string_array(emails));
    }
    if (auto mobiles = slice(query.mobiles); !mobiles.empty()) {
      body.set("mobiles", Value::string_array(mobiles));
    }
    body.set("include_resigned", query.include_resigned);
    Call call{"user_batch_get_id", {}, "POST", contact_path("/users/batch_get_id"),
              user_id_query(id_type), std::move(body)};
    Value data = send(call);
    if (const Value* list = data.find("user_list"); list != nullptr && list->is_array()) {
      for (const auto& item : list->as_array()) {
        if (item.is_object()) {
          out.push_back(decode_batch_id_entry(item));
        }
      }
    }
  }
  return out;
}

void Client::delete_user(const std::string& user_id, const UserDelete& request, UserIdType id_type)
{
  Call call{"user_delete", {}, "DELETE", contact_path("/users/" + encode_component(user_id)),
            user_id_query(id_type), encode(request)};
  send(call);
}

void Client::resurrect_user(const std::string& user_id, const UserResurrect& request, IdTypes ids)
{
  Call call{"user_resurrect", {}, "POST",
            contact_path("/users/" + encode_component(user_id) + "/resurrect"), id_query(ids),
            encode(request)};
  call.idempotent = false;
  send(call);
}

void Client::search_users(const std::string& user_access_token, const std::string& query,
                          const PageHandler<SearchUser>& on_page)
{
  Call call{"user_search", {}, "GET", "/open-apis/search/v1/user", {{"query", query}}};
  call.auth = Auth::user(user_access_token);
  page(std::move(call), "users", k_search_page_size, decoding(on_page, decode_search_user));
}

CurrentUser Client::get_current_user(const std::string& user_access_token)
{
  Call call{"user_info", {}, "GET", "/open-apis/authen/v1/user_info", {}};
  call.auth = Auth::user(user_access_token);
  return decode_current_user(send(call));
}

void Client::logout(const Logout& request, UserIdType id_type)
{
  Call call{"logout", {}, "POST", "/open-apis/passport/v1/sessions/logout", user_id_query(id_type),
            encode(request)};
  send(call);
}

JsapiTicket Client::get_jsapi_ticket()
{
  Call call{"jssdk_ticket", {}, "POST", "/open-apis/jssdk/ticket/get", {}};
  return decode_jsapi_ticket(send(call));
}

// --- Job titles ---------------------------------------------------------------------------------

void Client::list_job_titles(const PageHandler<JobTitle>& on_page, const Auth& auth)
{
  Call call{"job_title_list", {}, "GET", contact_path("/job_titles"), {}};
  call.auth = auth;
  page(std::move(call), "items", k_job_title_page_size, decoding(on_page, decode_job_title));
}

JobTitle Client::get_job_title(const std::string& job_title_id, const Auth& auth)
{
  Call call{"job_title_get", {}, "GET", contact_path("/job_titles/" + encode_component(job_title_id)), {}};
  call.auth = auth;
  return decode_job_title(member_object(send(call), "job_title"));
}

// --- Units --------------------------------------------------------------------------------------

std::string Client::create_unit(const UnitCreate& unit)
{
  Call call{"unit_create", {}, "POST", contact_path("/unit"), {}, encode(unit)};
  call.idempotent = unit.unit_id.has_value();
  return tolerant_string(send(call), "unit_id");
}

void Client::patch_unit(const std::string& unit_id, const std::string& name)
{
  Call call{"unit_patch", {}, "PATCH", contact_path("/unit/" + encode_component(unit_id)), {},
            Value::object({{"name", name}})};
  send(call);
}

void Client::bind_unit_department(const std::string& unit_id, const std::string& department_id,
                                  DepartmentIdType id_type)
{
  Call call{"unit_bind_department", {}, "POST", contact_path("/unit/bind_department"), {},
            Value::object({{"unit_id", unit_id},
                           {"department_id", department_id},
                           {"department_id_type", std::string(to_string(id_type))}})};
  send(call);
}

void Client::unbind_unit_department(const std::string& unit_id, const std::string& department_id,
                                    DepartmentIdType id_type)
{
  Call call{"unit_unbind_department", {}, "POST", contact_path("/unit/unbind_department"), {},
            Value::object({{"unit_id", unit_id},
                           {"department_id", department_id},
                           {"department_id_type", std::string(to_string(id_type))}})};
  send(call);
}

void Client::list_unit_departments(const std::string& unit_id,
                                   const PageHandler<UnitDepartment>& on_page, DepartmentIdType id_type)
{
  Call call{"unit_list_department", {}, "GET", contact_path("/unit/list_department"),
            {{"unit_id", unit_id}, {"department_id_type", std::string(to_string(id_type))}}};
  page(std::move(call), "departmentlist", k_unit_page_size, decoding(on_page, decode_unit_department));
}

Unit Client::get_unit(const std::string& unit_id)
{
  Call call{"unit_get", {}, "GET", contact_path("/unit/" + encode_component(unit_id)), {}};
  return decode_unit(member_object(send(call), "unit"));
}

void Client::list_units(const PageHandler<Unit>& on_page)
{
  Call call{"unit_list", {}, "GET", contact_path("/unit"), {}};
  page(std::move(call), "unitlist", k_unit_page_size, decoding(on_page, decode_unit));
}

void Client::delete_unit(const std::string& unit_id)
{
  Call call{"unit_delete", {}, "DELETE", contact_path("/unit/" + encode_component(unit_id)), {}};
  send(call);
}

// --- Departments --------------------------------------------------------------------------------

void Client::list_department_children(const std::string& department_id, bool fetch_child,
                                      const PageHandler<Department>& on_page, IdTypes ids,
                                      const Auth& auth)
{
  Call call{"department_children", {}, "GET",
            contact_path("/departments/" + encode_component(department_id) + "/children"),
            id_query(ids)};
  call.query.emplace_back("fetch_child", fetch_child ? "true" : "false");
  call.auth = auth;
  page(std::move(call), "items", k_department_page_size, decoding(on_page, decode_department));
}

Department Client::get_department(const std::string& department_id, IdTypes ids, const Auth& auth)
{
  Call call{"department_get", {}, "GET",
            contact_path("/departments/" + encode_component(department_id)), id_query(ids)};
  call.auth = auth;
  return decode_department(member_object(send(call), "department"));
}

Department Client::create_department(const DepartmentCreate& department,
                                     const std::string& client_token, IdTypes ids)
{
  Call call{"department_create", {}, "POST", contact_path("/departments"), id_query(ids),
            encode(department)};
  if (!client_token.empty()) {
    call.query.emplace_back("client_token", client_token);
  }
  call.idempotent = !client_token.empty();
  return decode_department(member_object(send(call), "department"));
}

} // namespace dirsync::feishu
