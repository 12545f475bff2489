#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bh::redirect {

/// Packet marks shared by the rules and the proxy's sockets. One byte of the mark space is
/// ours (0x1b00/0xff00) so other users of fwmark on the router are not disturbed.
struct Marks {
  static constexpr uint32_t kMask = 0xffff;
  static constexpr uint32_t kLocal = 0x1b01;        ///< deliver locally (tproxy / our sockets)
  static constexpr uint32_t kOutDiscover = 0x1b02;  ///< edge outbound leg: add the SYN option
  static constexpr uint32_t kOutPlain = 0x1b03;     ///< outbound leg never intercepted again
  static constexpr uint32_t kDiscovered = 0x1b04;   ///< core: SYN carried a peer's option
  static constexpr uint32_t kPeerReply = 0x1b05;    ///< sockets our listener accepted
};

/// What the router must do for this box, derived from config + policy.
struct InterceptionSpec {
  bool edge = false;         ///< intercept new client flows arriving on lanInterfaces
  bool core = false;         ///< accept flows whose SYN carries a peer's option
  uint16_t listenPort = 0;   ///< the transparent listener (IPv4 and IPv6)
  uint16_t queueNum = 0;     ///< NFQUEUE for SYN / SYN-ACK only, never the data path
  uint32_t routeTable = 27;  ///< policy-routing table with the `local` default route
  /// Policy-routing table of peer routes (redirect/peer_routes.h), consulted by our peer legs'
  /// lookups only (marks kOutDiscover and kPeerReply); 0: none.
  uint32_t peerRouteTable = 0;
  std::vector<std::string> lanInterfaces;  ///< edge: interfaces facing clients (empty: all)
  std::vector<uint16_t> passThroughPorts;  ///< destination ports never intercepted
  /// WCCP (interception.mode wccp, redirect/wccp_agent.h): the TUN the GRE-redirected packets
  /// come out of (also a LAN interface: list it there). Every SYN and SYN-ACK the box sends gets
  /// its MSS clamped to wccpMss (the 28 bytes of GRE must fit the router's link), and what arrives
  /// on it unmarked (no socket, not a new flow) is routed back into it through table
  /// wccpReturnTable, so the agent returns it to the router. Empty: not in wccp mode.
  std::string wccpTunnel;
  /// WCCP edge: the discovery option's TCP kind. A SYN that comes in carrying one is queued
  /// too, so the handler sees the box's own SYN when a router redirects it back (a redirect
  /// loop: its option names this box). 0: not queued.
  uint8_t wccpLoopOptionKind = 0;
  uint16_t wccpMss = 1432;
  uint32_t wccpReturnTable = 29;
  std::string tableName = "bridgehead";
  std::string chainPrefix = "BRIDGEHEAD";
};

/// The rules as text, so they can be inspected, tested and applied atomically.
struct RuleSet {
  std::string nftScript;   ///< replaces table inet <tableName> in one transaction
  std::string iptablesV4;  ///< iptables-restore --noflush input (mangle table)
  std::string iptablesV6;  ///< ip6tables-restore --noflush input
  std::vector<std::vector<std::string>> routeSetup;     ///< ip rule/route commands
  std::vector<std::vector<std::string>> routeTeardown;  ///< their inverses (errors ignored)
};

/// Builds the rule set. Pure: no I/O, so every rule is unit-tested.
RuleSet buildRules(const InterceptionSpec& spec);

/// What the kernel offers; the lab kernel has no nft `queue` expression, so SYN/SYN-ACK
/// queueing goes through iptables-nft's xt NFQUEUE there.
struct KernelFeatures {
  bool nftQueue = false;
};

}  // namespace bh::redirect
