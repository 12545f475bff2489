// max_retrievals against libuv's thread pool: a retrieval holds a pool thread until its DC
// answers or timeout_ms passes, so at most all but one thread run retrievals and the pool's
// other users (uv_getaddrinfo) keep one.
#include "proxy/encryption_service/encryption_service_settings.h"

#include <doctest/doctest.h>
#include <stdlib.h>

using namespace bh;
using namespace bh::proxy;

namespace {

/// Sets UV_THREADPOOL_SIZE (nullptr: unset) for one scope.
struct PoolSizeEnv {
  explicit PoolSizeEnv(const char* v) {
    if (const char* old = getenv("UV_THREADPOOL_SIZE")) {
      saved_ = old;
    }
    v != nullptr ? setenv("UV_THREADPOOL_SIZE", v, 1) : unsetenv("UV_THREADPOOL_SIZE");
  }
  ~PoolSizeEnv() {
    saved_.empty() ? unsetenv("UV_THREADPOOL_SIZE")
                   : setenv("UV_THREADPOOL_SIZE", saved_.c_str(), 1);
  }
  std::string saved_;
};

size_t inFlight(uint32_t maxRetrievals) {
  policy::EncryptionServiceSettings s;
  s.maxRetrievals = maxRetrievals;
  return encryptionServiceConfig(s).maxRetrievalsInFlight;
}

}  // namespace

TEST_CASE("max_retrievals: capped one below libuv's pool, whatever the configuration allows") {
  {
    PoolSizeEnv env(nullptr);  // libuv's default pool of 4
    CHECK(uvThreadPoolSize() == 4);
    CHECK(inFlight(2) == 2);
    CHECK(inFlight(3) == 3);
    CHECK(inFlight(4) == 3);
    CHECK(inFlight(16) == 3);
  }
  {
    PoolSizeEnv env("8");
    CHECK(inFlight(16) == 7);
    CHECK(inFlight(5) == 5);
  }
  {
    PoolSizeEnv env("1");  // one thread: one retrieval still runs (retrievals must progress)
    CHECK(inFlight(16) == 1);
  }
  // libuv's own reading of the variable: 0 and garbage as 1 thread, at most 1024.
  for (const char* v : {"0", "x", ""}) {
    PoolSizeEnv env(v);
    CHECK(uvThreadPoolSize() == 1);
  }
  PoolSizeEnv env("5000");
  CHECK(uvThreadPoolSize() == 1024);
}
