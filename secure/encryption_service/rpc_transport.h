#pragma once

// The byte pipe a retrieval talks to a domain controller over: one TCP connection at a time.
// The proxy's SocketTransport (blocking, on a worker thread, every call bounded by the
// retrieval's deadline) is the product's; tests put a fake DC behind it.

#include <cstdint>
#include <string>

#include "common/bytes.h"

namespace bh::secure::encryption_service {

/// One TCP connection at a time to a DC; every call bounded by the retrieval's deadline.
class RpcTransport {
 public:
  virtual ~RpcTransport() = default;
  virtual bool connect(const std::string& address, uint16_t port, std::string& why) = 0;
  virtual bool send(ByteSpan bytes, std::string& why) = 0;
  /// Exactly `n` bytes, appended to `out`.
  virtual bool receive(size_t n, Bytes& out, std::string& why) = 0;
  virtual void close() = 0;
};

}  // namespace bh::secure::encryption_service
