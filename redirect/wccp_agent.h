#pragma once

// The WCCPv2 agent of a box in interception mode wccp (issue 19): it runs inside the daemon, on
// its libuv loop, so the box is a member of its service groups exactly while its proxy is
// there to take the redirected flows (a daemon that dies stops saying HERE_I_AM and the router
// removes it within 30 s: fail open, as the inline rules do when bridgehead.service ends).
//
// - UDP 2048: one wccp::ServiceGroup per configured service (pure protocol engine), ticked
//   every 100 ms; what they send goes to the routers, what arrives is handed to each.
// - GRE forwarding: the kernel has no GRE (../shared/references/wccp-lab.md 2.1), so a raw
//   IPPROTO_GRE socket reads the redirected packets, only from the routers of a service group;
//   GRE 0x883E and the redirect header are stripped and the client's packet, untouched, is
//   written to a TUN (kTunnelName) whose traffic the interception rules send to the TPROXY
//   listener like a LAN interface's (redirect/interception.h, wccpTunnel).
// - Return (draft 4.12): what the proxy does not take (no socket, not a new flow) is routed back
//   into the TUN (a policy-routing rule for unmarked packets that came in on it); the agent
//   reads it there and returns it to the router: GRE-encapsulated, or unchanged as an IP
//   packet with the router as next hop (L2 return), as negotiated.
// - L2 forwarding: the router rewrites the MAC only; the packets arrive on `interface()`, which
//   the interception rules also treat as a LAN interface.

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "policy/config.h"
#include "redirect/wccp/service_group.h"
#include "redirect/wccp_status.h"

namespace bh::redirect {

class WccpAgent {
 public:
  static constexpr const char* kTunnelName = "bhwccp0";
  /// Largest datagram/packet read at once (a GRE datagram is at most an IPv4 packet).
  static constexpr size_t kMaxPacket = 65536;

  using Log = std::function<void(const std::string&)>;
  WccpAgent(uv_loop_t* loop, policy::WccpConfig config, Log info, Log error);
  ~WccpAgent();
  WccpAgent(const WccpAgent&) = delete;
  WccpAgent& operator=(const WccpAgent&) = delete;

  /// Finds this box's address (the route to the first router), opens UDP 2048, the raw GRE
  /// socket and the TUN. Needs CAP_NET_ADMIN and CAP_NET_RAW: call before privileges are
  /// dropped. False with error().
  bool open();
  /// Starts the timers and the readers (HERE_I_AM at once).
  void start();
  /// Stops everything (the routers remove the box after 3 x HERE_I_AM_T); closes the handles.
  void stop();

  uint32_t self() const { return self_; }
  const std::string& interface() const { return interface_; }
  /// The TCP MSS redirected connections are clamped to: the interface's MTU less the GRE
  /// overhead (28) and the IPv4 and TCP headers (40).
  uint16_t mss() const { return mss_; }
  const std::string& error() const { return error_; }
  WccpStatus status() const;
  /// The proxy saw one of the box's own outbound SYNs come back in (`flow`: its addresses): a
  /// router redirects this box's traffic back to it. Counted; named in the log once per router
  /// the box is redirected by, with the remedy.
  void noteRedirectLoop(const std::string& flow);

 private:
  void onTimer();
  void onUdpReadable();
  void onGreReadable();
  void onTunReadable();
  void send(const std::vector<wccp::Datagram>& out);
  void returnPacket(ByteSpan packet);
  bool fromRouter(uint32_t address) const;
  void reportProblems();

  uv_loop_t* loop_;
  policy::WccpConfig config_;
  Log info_, error_log_;
  std::string error_;
  uint32_t self_ = 0;
  std::string interface_;
  uint16_t mss_ = 1432;
  int linkMtu_ = 1500;  ///< the MTU of interface_ (a GRE datagram over it came in fragments)
  uint64_t overMtuLoggedMs_ = 0;
  int udpFd_ = -1, greFd_ = -1, tunFd_ = -1, rawFd_ = -1;
  uv_poll_t* udpPoll_ = nullptr;
  uv_poll_t* grePoll_ = nullptr;
  uv_poll_t* tunPoll_ = nullptr;
  uv_timer_t* timer_ = nullptr;
  uint64_t startedMs_ = 0;
  std::vector<std::unique_ptr<wccp::ServiceGroup>> groups_;
  std::vector<uint8_t> serviceIds_;
  std::vector<std::string> lastProblems_;
  WccpGreCounters gre_;
  Bytes buffer_;
  std::string lastGreProblem_;
  uint64_t redirectLoops_ = 0;
  std::string redirectLoop_;
  std::vector<uint32_t> loopLoggedFor_;  ///< routers a redirect loop was logged for
  void noteOverMtu(uint32_t router, size_t bytes);
};

}  // namespace bh::redirect
