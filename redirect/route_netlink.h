#pragma once

// rtnetlink (rtnetlink(7), RFC 3549) for peer routes: ask the kernel how it reaches an address,
// and install or remove a host route in a table of ours. The messages are built and read by
// pure functions (tested and fuzzed on bytes); RouteNetlink only sends and receives them.

#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/ip_address.h"

struct mnl_socket;

namespace bh::redirect {

/// How the box reaches one address, as the kernel's own lookup (RTM_GETROUTE) answered.
struct ResolvedRoute {
  IpAddress destination;
  std::optional<IpAddress> gateway;  ///< none: on-link
  uint32_t outputInterface = 0;
  /// RTAX_MTU / RTAX_ADVMSS of the route the lookup used (kept on our copy), 0 when unset.
  uint32_t mtu = 0;
  uint32_t advmss = 0;
};

/// A host route in `table`: `via` with TCP's initial congestion window (RTAX_INITCWND) set.
struct PeerHostRoute {
  uint32_t table = 0;
  ResolvedRoute via;
  uint32_t initialWindowSegments = 0;
};

enum class RouteAnswer {
  Ok,
  NotUnicast,   ///< local, unreachable, blackhole...: not a path for a peer leg
  Unsupported,  ///< a gateway of the other family (RTA_VIA) or a multipath answer
  Error,        ///< NLMSG_ERROR or a message that is not a route
  Malformed,
};

/// RTM_GETROUTE for `destination` (no mark, no source: the path unmarked traffic takes).
Bytes buildGetRoute(const IpAddress& destination, uint32_t seq);
/// RTM_NEWROUTE (create or replace) of `route`.
Bytes buildReplaceRoute(const PeerHostRoute& route, uint32_t seq);
/// RTM_DELROUTE of the host route to `destination` in `table`.
Bytes buildDeleteRoute(uint32_t table, const IpAddress& destination, uint32_t seq);
/// Reads one netlink message (the kernel's answer to buildGetRoute). `errorCode` gets the
/// NLMSG_ERROR code (negative errno) when the answer is an error.
RouteAnswer parseRouteAnswer(ByteSpan message, ResolvedRoute& out, int* errorCode = nullptr);

/// A NETLINK_ROUTE socket doing one request at a time (a few tens of microseconds, once per
/// peer address and refresh; never on the data path).
class RouteNetlink {
 public:
  RouteNetlink() = default;
  ~RouteNetlink();
  RouteNetlink(const RouteNetlink&) = delete;
  RouteNetlink& operator=(const RouteNetlink&) = delete;

  /// Returns 0 or -errno.
  int open();
  bool isOpen() const { return socket_ != nullptr; }
  /// The kernel's path to `destination`, or nullopt with `error` set.
  std::optional<ResolvedRoute> resolve(const IpAddress& destination, std::string& error);
  bool replace(const PeerHostRoute& route, std::string& error);
  bool remove(uint32_t table, const IpAddress& destination, std::string& error);

 private:
  /// Sends `request` and reads the answer with the same sequence number into `answer`.
  bool transact(const Bytes& request, uint32_t seq, Bytes& answer, std::string& error);
  bool expectAck(const Bytes& request, uint32_t seq, std::string& error);

  mnl_socket* socket_ = nullptr;
  uint32_t portId_ = 0;
  uint32_t seq_ = 1;
};

}  // namespace bh::redirect
