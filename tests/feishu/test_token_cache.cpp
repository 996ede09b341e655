#include "feishu/token_cache.hpp"

#include "common/error.hpp"

#include <catch2/catch.hpp>

using namespace dirsync;
using namespace dirsync::feishu;
using namespace std::chrono_literals;

namespace {

struct Fixture
{
  SteadyTime now{std::chrono::hours(5)};
  int fetches = 0;
  std::chrono::seconds expire = 7200s;
  TokenCache cache{[this] {
                     ++fetches;
                     return FetchedToken{"t-" + std::to_string(fetches), expire};
                   },
                   [this] { return now; }};
};

} // namespace

TEST_CASE("TokenCache reuses a token until 3 minutes before it expires", "[feishu][token]")
{
  Fixture f;
  CHECK(f.cache.get() == "t-1");
  f.now += 7200s - 180s - 1s;
  CHECK(f.cache.get() == "t-1");
  CHECK(f.fetches == 1);
  f.now += 1s;
  CHECK(f.cache.get() == "t-2");
  CHECK(f.fetches == 2);
}

TEST_CASE("TokenCache honours the remaining lifetime Feishu reports", "[feishu][token]")
{
  Fixture f;
  f.expire = 4567s;  // a token issued earlier is returned with what is left of it
  CHECK(f.cache.get() == "t-1");
  f.now += 4567s - 180s;
  CHECK(f.cache.get() == "t-2");
}

TEST_CASE("TokenCache renews a short-lived token at half its lifetime", "[feishu][token]")
{
  CHECK(TokenCache::renewal_margin(7200s) == 180s);
  CHECK(TokenCache::renewal_margin(360s) == 180s);
  CHECK(TokenCache::renewal_margin(10s) == 5s);
  Fixture f;
  f.expire = 10s;
  CHECK(f.cache.get() == "t-1");
  f.now += 4s;
  CHECK(f.cache.get() == "t-1");
  f.now += 1s;
  CHECK(f.cache.get() == "t-2");
}

TEST_CASE("TokenCache.invalidate forgets only the token the caller used", "[feishu][token]")
{
  Fixture f;
  CHECK(f.cache.get() == "t-1");
  f.cache.invalidate("t-1");
  CHECK(f.cache.get() == "t-2");
  // A second request that failed with the old token does not throw away the new one.
  f.cache.invalidate("t-1");
  CHECK(f.cache.get() == "t-2");
  CHECK(f.fetches == 2);
}

TEST_CASE("TokenCache caches nothing when the fetch fails", "[feishu][token]")
{
  SteadyTime now{};
  int calls = 0;
  TokenCache cache(
    [&]() -> FetchedToken {
      if (++calls == 1) {
        throw ApiError({"POST /open-apis/auth/v3/tenant_access_token/internal", 200, 10014, "app id not exists", "", false});
      }
      return {"t-ok", 7200s};
    },
    [&] { return now; });
  CHECK_THROWS_AS(cache.get(), ApiError);
  CHECK(cache.get() == "t-ok");
}
