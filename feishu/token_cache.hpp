// The tenant_access_token cache. Feishu answers a token request with the token and its remaining
// lifetime in seconds (`expire`, at most 2 h); the cache reuses the token until 3 minutes before
// it expires (as the official SDKs do), or until half its lifetime for tokens shorter than 6
// minutes (an emulator run with a short --token-ttl), then fetches a new one.
//
// Safe to call from several threads: one fetch at a time, and callers that arrive during a fetch
// wait for it and share its result. invalidate() drops the cached token only if it is still the
// one the caller used, so many requests failing with the same expired token cause one fetch.
#pragma once

#include "feishu/rate_limiter.hpp"

#include <chrono>
#include <functional>
#include <mutex>
#include <string>

namespace dirsync::feishu {

struct FetchedToken
{
  std::string token;
  std::chrono::seconds expire{0};  // remaining lifetime as Feishu reported it
};

class TokenCache
{
public:
  using Fetch = std::function<FetchedToken()>;
  using Clock = std::function<SteadyTime()>;

  TokenCache(Fetch fetch, Clock clock);

  // The cached token, or a freshly fetched one when none is cached or it is due for renewal.
  // Throws whatever the fetch throws (an ApiError); nothing is cached then.
  std::string get();
  // Forgets `token` if it is the cached one.
  void invalidate(const std::string& token);

  // How long before expiry a token of lifetime `expire` is renewed.
  static std::chrono::seconds renewal_margin(std::chrono::seconds expire);

private:
  Fetch m_fetch;
  Clock m_clock;
  std::mutex m_mutex;
  std::string m_token;
  SteadyTime m_renew_at{};
};

} // namespace dirsync::feishu
