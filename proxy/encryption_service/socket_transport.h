#pragma once

// The retrieval's TCP connections to a domain controller (secure/encryption_service's
// RpcTransport): blocking, on the retrieval's worker thread, every connect, send and receive
// bounded by one deadline for the whole retrieval (encryption_service.timeout_ms), so a DC that
// accepts and never answers costs that much time and no more.

#include <chrono>
#include <string>

#include "secure/encryption_service/replication_retrieval.h"

namespace bh::proxy {

class SocketTransport final : public secure::encryption_service::RpcTransport {
 public:
  using Clock = std::chrono::steady_clock;
  explicit SocketTransport(Clock::time_point deadline) : deadline_(deadline) {}
  ~SocketTransport() override { close(); }
  SocketTransport(const SocketTransport&) = delete;
  SocketTransport& operator=(const SocketTransport&) = delete;

  bool connect(const std::string& address, uint16_t port, std::string& why) override;
  bool send(ByteSpan bytes, std::string& why) override;
  bool receive(size_t n, Bytes& out, std::string& why) override;
  void close() override;

 private:
  /// Milliseconds left before the deadline (0 when past it).
  int remainingMs() const;
  bool wait(short events, std::string& why);

  Clock::time_point deadline_;
  int fd_ = -1;
};

}  // namespace bh::proxy
