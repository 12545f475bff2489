#pragma once

// The router side of one WCCPv2 service group, for the lab's router simulator (a test tool, held
// to the protocol like exchange-sim: draft-wilson-wccp-v2-12-oct-2001 section 4, router's part).
// What a Cisco router does with the boxes that join it: the first HERE_I_AM defines a dynamic
// service and a later conflicting one is refused; every HERE_I_AM is answered with a unicast
// I_SEE_YOU (Receive ID incremented each time); a box whose HERE_I_AM echoes a Receive ID this
// router sent is usable (two-way) and listed in the view; the designated box's REDIRECT_ASSIGN
// is executed when it comes from the lowest usable address and names this router's current
// Receive ID and change number; a box silent for 2.5 x HERE_I_AM_T is sent a REMOVAL_QUERY, at
// 3 x it is removed and its buckets forwarded normally until the next assignment. Pure: datagrams
// and time in, datagrams and redirect decisions out.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "redirect/wccp/redirect_hash.h"
#include "redirect/wccp/service_group.h"
#include "redirect/wccp/wccp_message.h"
#include "redirect/wccp/wccp_security.h"

namespace bh::lab {

namespace wccp = bh::redirect::wccp;

struct WccpRouterConfig {
  uint32_t routerId = 0;  ///< its address (GRE packets come from it)
  /// Where the boxes send their HERE_I_AMs ("sent to" in its messages); 0: the router id.
  uint32_t address = 0;
  uint8_t serviceId = 61;
  std::optional<wccp::Md5Password> password;
  /// What it offers in its Capabilities (a Catalyst: L2 and mask only).
  uint32_t forwarding = wccp::method::kGre | wccp::method::kL2;
  uint32_t assignment = wccp::method::kHash | wccp::method::kMask;
  uint32_t returns = wccp::method::kGre | wccp::method::kL2;
  /// Send no Capabilities component at all (an old IOS: GRE/hash/GRE implied).
  bool omitCapabilities = false;
};

struct WccpCacheState {
  uint32_t address = 0;
  uint16_t weight = 0;
  uint64_t lastHereIAmMs = 0;
  uint32_t lastReceiveIdSent = 0;
  bool usable = false;
  bool queried = false;  ///< a REMOVAL_QUERY went out since its last HERE_I_AM
};

class WccpRouter {
 public:
  struct Counters {
    uint64_t hereIAmReceived = 0, iSeeYouSent = 0, assignmentsExecuted = 0;
    uint64_t assignmentsRefused = 0, removalQueriesSent = 0, cachesRemoved = 0;
    uint64_t securityFailures = 0, serviceConflicts = 0, malformed = 0;
  };

  explicit WccpRouter(WccpRouterConfig config) : config_(std::move(config)) {}

  /// A datagram from a box; returns what the router answers (an I_SEE_YOU to a HERE_I_AM).
  std::vector<wccp::Datagram> onDatagram(uint32_t from, ByteSpan payload, uint64_t nowMs);
  /// Timers: REMOVAL_QUERY at 2.5 x T of silence, removal at 3 x T.
  std::vector<wccp::Datagram> tick(uint64_t nowMs);

  /// Where a packet of this service goes: the box its bucket or mask names, or nullopt
  /// (forwarded normally: no assignment, an unassigned bucket, or a box that left).
  std::optional<uint32_t> redirectTarget(const wccp::PacketFields& packet) const;
  /// Whether the assignment in force gives `address` a share (a bucket or a mask value): false
  /// for a box that joined after it, until the designated box assigns again.
  bool assigned(uint32_t address) const;
  /// Whether every bucket (or mask value) of the assignment in force names a usable box: false
  /// with no assignment, and after a box left until the designated box assigns again.
  bool assignmentComplete() const;
  /// The primary bucket of a packet (for the GRE redirect header).
  uint8_t bucketOf(const wccp::PacketFields& packet) const;
  /// The router takes another ID (an IOS router takes its highest loopback address): its
  /// messages name the new one from now on; the boxes, the assignment and the tables stay.
  void changeRouterId(uint32_t routerId);
  uint32_t routerId() const { return config_.routerId; }

  const std::map<uint32_t, WccpCacheState>& caches() const { return caches_; }
  const std::optional<wccp::ServiceInfo>& service() const { return service_; }
  const wccp::AssignmentKey& assignmentKey() const { return key_; }
  uint32_t memberChangeNumber() const { return changeNumber_; }
  const Counters& counters() const { return counters_; }
  const std::string& lastProblem() const { return lastProblem_; }

 private:
  Bytes iSeeYou(const WccpCacheState& cache);
  void onHereIAm(uint32_t from, const wccp::Message& m, uint64_t nowMs,
                 std::vector<wccp::Datagram>& out);
  void onRedirectAssign(uint32_t from, const wccp::Message& m);
  void membershipChanged();
  Bytes finish(wccp::Message& m) const;
  uint32_t sentTo() const { return config_.address != 0 ? config_.address : config_.routerId; }

  WccpRouterConfig config_;
  std::optional<wccp::ServiceInfo> service_;  ///< defined by the first HERE_I_AM
  std::map<uint32_t, WccpCacheState> caches_;
  uint32_t receiveId_ = 0;
  uint32_t changeNumber_ = 1;  ///< starts at 1 (Squid never assigns on 0)
  wccp::AssignmentKey key_;
  std::optional<wccp::HashAssignment> hash_;
  std::optional<wccp::MaskAssignment> mask_;
  Counters counters_;
  std::string lastProblem_;
};

}  // namespace bh::lab
