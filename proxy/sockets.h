#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "accel/flow_record.h"
#include "common/ip_address.h"
#include "policy/flow_key.h"

namespace bh::proxy {

/// An IP endpoint as the flow table shows it ("10.91.1.1:40001", "[fd91:1::1]:40001"): a pure
/// value (accel/flow_record.h).
using Endpoint = accel::Endpoint;

Endpoint endpointFromSockaddr(const sockaddr_storage& ss);
socklen_t sockaddrFromEndpoint(const Endpoint& ep, sockaddr_storage& ss);

/// The transparent listener TPROXY delivers to: IP_TRANSPARENT (IPV6_TRANSPARENT), bound to
/// the wildcard address, with peer-leg buffers (sizePeerLegBuffers): the core's peer legs are
/// accepted here. Returns the fd or -errno.
int makeTransparentListener(bool ipv6, uint16_t port);

/// An outbound leg bound to the client's own address and port (full transparency, the server
/// sees the client) and marked so the box's own rules treat it as ours. Returns fd or -errno.
int makeTransparentOutbound(const Endpoint& bindTo, uint32_t mark);

/// Peer-leg socket buffers (kPeerLegBufferBytes each way). They must be set before connect()
/// or listen(): the receive window a connection starts with is taken from the buffer at the
/// handshake (Linux tcp_select_initial_window), and later grows only about 2x per round trip
/// as data arrives. Set afterwards, a cold 10 MiB download at 100 Mbit/s and 100 ms RTT spent
/// its first four round trips behind a 64 KB, 200 KB, 600 KB, 1.2 MB window.
constexpr int kPeerLegBufferBytes = 4 << 20;
void sizePeerLegBuffers(int fd);

/// TFO on the peer leg once connected: Nagle off, `congestionControl`, liveness.
/// Peer-leg liveness (tunePeerLeg): keepalive probes every 5 s when idle, and the connection
/// fails when sent data or probes stay unacknowledged for 15 s.
constexpr int kPeerKeepaliveSeconds = 5;
constexpr unsigned kPeerUserTimeoutMs = 15000;
/// `wanBandwidthKbit` (0: none) paces the leg just under the WAN's bandwidth: the kernel paces
/// TCP payload bytes, and a full segment carries 1448 of them in 1514 on an Ethernet wire, so
/// the payload rate is 95 % of the link's (kPacedPayloadPercent).
constexpr unsigned kPacedPayloadPercent = 95;
/// Returns false when the congestion control could not be set (the kernel's default stays).
bool tunePeerLeg(int fd, const std::string& congestionControl, uint32_t wanBandwidthKbit = 0);
/// The SO_MAX_PACING_RATE (bytes per second) for a WAN of `wanBandwidthKbit`.
uint64_t peerLegPacingBytesPerSecond(uint32_t wanBandwidthKbit);
/// The WAN a leg crosses is as fast as the slower of this box's link and the peer's (what its
/// Hello says); 0 = unknown on both sides.
uint32_t peerLegWanKbit(uint32_t ownKbit, uint32_t peerKbit);
/// Paces an established peer leg (0: leaves it as it is).
void pacePeerLeg(int fd, uint32_t wanBandwidthKbit);

/// SO_LINGER {1, 0}: the next close sends RST instead of FIN. Every socket of a flow carries
/// it from the moment it exists (the listener, whose accepted sockets inherit it, and each
/// outbound leg), so a close the flow did not choose (the daemon killed, a crash, an abort)
/// resets the far end: a client whose bytes were cut off sees ECONNRESET, never a clean EOF
/// after fewer bytes (nothing lost silently).
void setResetOnClose(int fd);
/// SO_LINGER off: the close sends FIN. Only right before a graceful close, once both directions
/// ended cleanly and every byte was handed to the kernel (or a peer leg's Reset frame was).
void clearResetOnClose(int fd);

}  // namespace bh::proxy
