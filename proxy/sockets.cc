#include "proxy/sockets.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "redirect/interception.h"

namespace bh::proxy {

Endpoint endpointFromSockaddr(const sockaddr_storage& ss) {
  Endpoint ep;
  if (ss.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
    std::array<uint8_t, 4> b{};
    std::memcpy(b.data(), &sin->sin_addr, 4);
    ep.ip = IpAddress::v4(b);
    ep.port = ntohs(sin->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    std::array<uint8_t, 16> b{};
    std::memcpy(b.data(), &sin6->sin6_addr, 16);
    ep.ip = IpAddress::v6(b).unmapped();
    ep.port = ntohs(sin6->sin6_port);
  }
  return ep;
}

socklen_t sockaddrFromEndpoint(const Endpoint& ep, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof(ss));
  if (ep.ip.isV4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(ep.port);
    std::memcpy(&sin->sin_addr, ep.ip.bytes().data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(ep.port);
  std::memcpy(&sin6->sin6_addr, ep.ip.bytes().data(), 16);
  return sizeof(sockaddr_in6);
}

namespace {

int fail(int fd) {
  int e = errno;
  if (fd >= 0) {
    close(fd);
  }
  return -e;
}

int setTransparent(int fd, bool v6) {
  int one = 1;
  if (v6) {
    return setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof(one));
  }
  return setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one));
}

}  // namespace

int makeTransparentListener(bool ipv6, uint16_t port) {
  int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return fail(fd);
  }
  int one = 1;
  if (setTransparent(fd, ipv6) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
    return fail(fd);
  }
  if (ipv6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) {
    return fail(fd);
  }
  // Accepted sockets inherit the listener's buffers, and the SYN-ACK's window is computed from
  // them: the core's peer legs must be large from the handshake on. Client-side legs get the
  // same (a bound, not an allocation).
  sizePeerLegBuffers(fd);
  // Accepted sockets carry the listener's mark: their route lookups (the SYN-ACK's first) may
  // then find a peer route with the large initial window (redirect/peer_routes.h).
  uint32_t mark = redirect::Marks::kPeerReply;
  if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) != 0) {
    return fail(fd);
  }
  // Accepted sockets inherit SO_LINGER too (the kernel clones the listener): a connection
  // reset on close from its handshake on, before the daemon has even accepted it.
  setResetOnClose(fd);
  sockaddr_storage ss{};
  Endpoint any;
  any.ip = ipv6 ? IpAddress::v6({}) : IpAddress::v4(0u);
  any.port = port;
  socklen_t len = sockaddrFromEndpoint(any, ss);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, 4096) != 0) {
    return fail(fd);
  }
  return fd;
}

int makeTransparentOutbound(const Endpoint& bindTo, uint32_t mark) {
  bool v6 = !bindTo.ip.isV4();
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return fail(fd);
  }
  int one = 1;
  if (setTransparent(fd, v6) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) != 0) {
    return fail(fd);
  }
  setResetOnClose(fd);
  sockaddr_storage ss{};
  socklen_t len = sockaddrFromEndpoint(bindTo, ss);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    return fail(fd);
  }
  return fd;
}

void sizePeerLegBuffers(int fd) {
  int buf = kPeerLegBufferBytes;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
}

uint64_t peerLegPacingBytesPerSecond(uint32_t wanBandwidthKbit) {
  return static_cast<uint64_t>(wanBandwidthKbit) * 1000 / 8 * kPacedPayloadPercent / 100;
}

uint32_t peerLegWanKbit(uint32_t ownKbit, uint32_t peerKbit) {
  if (ownKbit == 0 || peerKbit == 0) {
    return ownKbit != 0 ? ownKbit : peerKbit;
  }
  return std::min(ownKbit, peerKbit);
}

void pacePeerLeg(int fd, uint32_t wanBandwidthKbit) {
  if (wanBandwidthKbit != 0) {
    // Setting it also turns on the kernel's own TCP pacing (no fq qdisc needed, Linux >= 4.13).
    uint64_t rate = peerLegPacingBytesPerSecond(wanBandwidthKbit);
    setsockopt(fd, SOL_SOCKET, SO_MAX_PACING_RATE, &rate, sizeof(rate));
  }
}

bool tunePeerLeg(int fd, const std::string& congestionControl, uint32_t wanBandwidthKbit) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  bool ccSet = setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, congestionControl.data(),
                          static_cast<socklen_t>(congestionControl.size())) == 0;
  // A peer that vanishes (its box killed: the interception rules it left drop our packets
  // silently) must not leave the flow hanging for minutes of retransmissions: probe an idle
  // peer every kPeerKeepaliveSeconds (the seed's MAPI keepalive of 5 s), and give up when data
  // or probes stay unanswered for kPeerUserTimeoutMs.
  int idle = kPeerKeepaliveSeconds, count = 3;
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof(idle));
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
  unsigned int timeout = kPeerUserTimeoutMs;
  setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout, sizeof(timeout));
  pacePeerLeg(fd, wanBandwidthKbit);
  return ccSet;
}

void setResetOnClose(int fd) {
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

void clearResetOnClose(int fd) {
  linger l{0, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

}  // namespace bh::proxy
