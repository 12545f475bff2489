#pragma once

// A TLS 1.3 handshake of the box with itself, in memory, at start (issue 16: the extra time to
// the first byte of a new flow). OpenSSL initializes lazily: the first handshake of a process
// also fetches its algorithms from the provider, fills their caches and faults its code in.
// Measured here, a process's first full handshake took 2.0 ms of CPU (ClientHello 0.35, the
// server's flight 0.7-1.0, the client's Finished 0.6-0.9), a later one on new contexts 0.8 ms;
// on a loaded machine each step also waits for a core. Without this, the first flow after a
// start paid it on its handshake, at each end.

#include <string>

#include "secure/outcome.h"
#include "secure/peering_identity.h"
#include "secure/tls_context.h"

namespace bh::secure {

/// One full handshake between throwaway client and server contexts made with `config` and
/// `identity` (the box's own contexts keep no ticket and no session from it). The peer's
/// certificate is not verified (it is our own). Returns the cipher suite used, or why it failed.
Outcome<std::string> warmUpTls(const TlsConfig& config, const PeeringIdentity& identity);

}  // namespace bh::secure
