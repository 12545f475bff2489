#include "proxy/encryption_service/encryption_service_settings.h"

#include <algorithm>
#include <cstdlib>

namespace bh::proxy {

namespace es = secure::encryption_service;

size_t uvThreadPoolSize() {
  // libuv's threadpool.c init_threads(): 4 unless set; atoi() of it as an unsigned int, 0 as 1,
  // at most MAX_THREADPOOL_SIZE (1024).
  const char* v = std::getenv("UV_THREADPOOL_SIZE");
  if (v == nullptr) {
    return 4;
  }
  auto n = static_cast<unsigned int>(std::atoi(v));
  return std::clamp<size_t>(n, 1, 1024);
}

size_t retrievalCap(size_t poolThreads) {
  return poolThreads > 1 ? poolThreads - 1 : 1;
}

es::EncryptionServiceConfig encryptionServiceConfig(const policy::EncryptionServiceSettings& s) {
  es::EncryptionServiceConfig c;
  c.enabled = s.enabled;
  c.timeoutMs = s.timeoutMs;
  c.retryAfterSeconds = s.retryAfterSeconds;
  c.maxRetrievalsInFlight = std::min<size_t>(s.maxRetrievals, retrievalCap(uvThreadPoolSize()));
  for (const auto& p : s.identities) {
    es::Identity id;
    id.name = p.name;
    id.kind = p.type == "machine"  ? es::IdentityKind::Machine
              : p.type == "keytab" ? es::IdentityKind::Keytab
                                   : es::IdentityKind::User;
    id.domain = p.domain;
    id.realm = p.realm;
    id.principal = p.principal;
    id.passwordFile = p.passwordFile;
    id.passwordCredential = p.passwordCredential;
    id.keytab = p.keytab;
    id.domainControllers = p.domainControllers;
    id.active = p.active;
    c.identities.push_back(std::move(id));
  }
  return c;
}

}  // namespace bh::proxy
