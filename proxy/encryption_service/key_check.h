#pragma once

// One key retrieval per identity for `accelerator mapi verify encryption-settings`, through the
// encryption service's own path (get-key's: EncryptionService::getKey, the retrieval on the
// thread pool, the result in the memory key cache), waited for on the loop with a timer: a key
// already cached is said to be so and not fetched again; a failure is named with its remedy.

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "accel/verify_encryption_settings.h"
#include "secure/encryption_service/encryption_service.h"

namespace bh::proxy {

struct KeyCheckRequest {
  std::string identity;
  std::string domain;
  std::string fqdn;  ///< empty: no Exchange server of the domain is known (not tried)
};

/// Asks the service for each request's keys and calls `done` on the loop once every retrieval
/// it started (or found running) has ended, or `waitMs` has passed. `service` outlives the wait.
void checkKeys(uv_loop_t* loop, secure::encryption_service::EncryptionService& service,
               std::vector<KeyCheckRequest> requests, uint32_t waitMs,
               std::function<void(std::vector<accel::KeyRetrievalFacts>)> done);

}  // namespace bh::proxy
