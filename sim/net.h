#pragma once

// Blocking TCP helpers for the simulators (the appliance's I/O lives in proxy/; the simulators
// are test peers and use plain sockets and one thread per connection).

#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.h"

namespace bh::sim {

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket();
  Socket(Socket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Socket& operator=(Socket&& o) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  bool valid() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  bool readExact(uint8_t* out, size_t n);
  /// Reads what is there, up to `n` bytes (blocking for at least one). 0 at EOF or on error.
  size_t readSome(uint8_t* out, size_t n);
  bool writeAll(ByteSpan data);
  void close();
  /// Local address of a connected socket: dotted IPv4 (also for v4-mapped v6) or IPv6 text.
  std::string localAddress() const;
  std::string peerAddress() const;
  uint16_t localPort() const;

 private:
  int fd_ = -1;
};

/// Listens on all addresses, IPv6 and IPv4 (a dual-stack socket; IPv4 only if IPv6 is
/// unavailable). Port 0 picks one (see Socket::localPort).
std::optional<Socket> listenTcp(uint16_t port, std::string* error);
std::optional<Socket> acceptTcp(const Socket& listener);
std::optional<Socket> connectTcp(const std::string& host, uint16_t port, std::string* error);

}  // namespace bh::sim
