#include "feishu/token_cache.hpp"

#include <algorithm>

namespace dirsync::feishu {

TokenCache::TokenCache(Fetch fetch, Clock clock)
  : m_fetch(std::move(fetch)),
    m_clock(std::move(clock))
{
}

std::chrono::seconds TokenCache::renewal_margin(std::chrono::seconds expire)
{
  return std::min(std::chrono::seconds(3 * 60), expire / 2);
}

std::string TokenCache::get()
{
  std::lock_guard lock(m_mutex);
  if (!m_token.empty() && m_clock() < m_renew_at) {
    return m_token;
  }
  m_token.clear();
  // Lifetime counts from before the request, so time spent fetching only makes renewal earlier.
  const SteadyTime asked_at = m_clock();
  FetchedToken fetched = m_fetch();
  m_token = std::move(fetched.token);
  m_renew_at = asked_at + fetched.expire - renewal_margin(fetched.expire);
  return m_token;
}

void TokenCache::invalidate(const std::string& token)
{
  std::lock_guard lock(m_mutex);
  if (m_token == token) {
    m_token.clear();
  }
}

} // namespace dirsync::feishu
