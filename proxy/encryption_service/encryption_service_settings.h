#pragma once

// bridgehead.json's encryption_service section (policy/) in the service's terms (secure/).

#include <cstddef>

#include "policy/config.h"
#include "secure/encryption_service/encryption_service.h"

namespace bh::proxy {

/// The settings in the service's terms; max_retrievals capped by retrievalCap().
secure::encryption_service::EncryptionServiceConfig encryptionServiceConfig(
    const policy::EncryptionServiceSettings& settings);

/// Threads in libuv's pool: UV_THREADPOOL_SIZE as libuv reads it (once, at the pool's first
/// use; 1-1024), 4 when unset or not a number.
size_t uvThreadPoolSize();

/// The most retrievals that may run at once on a pool of `poolThreads`: all but one. Each
/// holds a thread until its DC answers or timeout_ms passes (a DC that accepts and never
/// answers holds it that long), and uv_queue_work is not throttled the way libuv throttles its
/// own slow I/O; so without a free thread, the pool's other users (uv_getaddrinfo of the
/// OCSP checker, proxy/wan_secure/) would wait behind the slowest DC.
size_t retrievalCap(size_t poolThreads);

}  // namespace bh::proxy
