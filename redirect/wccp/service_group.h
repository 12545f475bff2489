#pragma once

// One WCCPv2 service group as a web cache (a Bridgehead box) lives in it
// (draft-wilson-wccp-v2-12-oct-2001, section 4): HERE_I_AM to every configured router every
// HERE_I_AM_T (10 s), each router's I_SEE_YOU checked (MD5, the service's definition, its
// capabilities) and remembered, the two-way handshake (a router is usable once its view lists
// this box), the designated web cache (the lowest address the routers list), which sends
// REDIRECT_ASSIGN once membership has been stable for 1.5 x HERE_I_AM_T and again whenever a
// router's view shows it has not executed the current assignment, REMOVAL_QUERY answered with
// three HERE_I_AMs T/10 apart, and a router that stays silent for 3 x HERE_I_AM_T forgotten.
// Pure: datagrams and the time in, datagrams out; the socket is redirect/'s agent.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "redirect/wccp/assignment.h"
#include "redirect/wccp/wccp_message.h"
#include "redirect/wccp/wccp_security.h"

namespace bh::redirect::wccp {

inline constexpr uint64_t kHereIAmIntervalMs = 10'000;  ///< HERE_I_AM_T (4.1)

struct ServiceGroupConfig {
  ServiceInfo service;
  std::optional<Md5Password> password;
  uint32_t self = 0;              ///< this box's address (its WC identity)
  std::vector<uint32_t> routers;  ///< the routers it registers with (unicast)
  uint16_t weight = 10000;
  /// What this box can do, in order of preference (the first one the router offers wins).
  std::vector<uint32_t> forwarding = {method::kGre, method::kL2};
  std::vector<uint32_t> assignment = {method::kHash, method::kMask};
  std::vector<uint32_t> returns = {method::kGre, method::kL2};
  /// Mask assignment: the bits of the client's address that choose the box (WAAS: 0xF00).
  uint32_t maskAddressBits = 0xf00;
};

struct Datagram {
  uint32_t to = 0;
  Bytes payload;
};

/// What this box knows of one router.
struct RouterState {
  uint32_t routerId = 0;
  uint32_t address = 0;    ///< where its I_SEE_YOU came from (and HERE_I_AM goes)
  uint32_t receiveId = 0;  ///< the last one it sent (echoed in our WC view)
  uint32_t memberChangeNumber = 0;
  AssignmentKey assignmentKey;      ///< the assignment it says it executes
  std::vector<uint32_t> webCaches;  ///< the caches its view lists
  uint64_t lastISeeYouMs = 0;
  bool usable = false;                                   ///< its view lists this box (two-way)
  uint32_t forwarding = 0, assignment = 0, returns = 0;  ///< negotiated (0: none)
  std::string problem;                                   ///< why it is not usable ("" when fine)
};

class ServiceGroup {
 public:
  struct Counters {
    uint64_t hereIAmSent = 0, iSeeYouReceived = 0, redirectAssignSent = 0;
    uint64_t removalQueries = 0, securityFailures = 0, serviceConflicts = 0, malformed = 0;
    uint64_t capabilityMismatches = 0, routersLost = 0;
    uint64_t routerIdChanges = 0;  ///< a router answered from its address under another ID
  };

  explicit ServiceGroup(ServiceGroupConfig config);

  /// A datagram from `from` (the router's address). Problems are recorded, never thrown.
  void onDatagram(uint32_t from, ByteSpan payload, uint64_t nowMs);
  /// Everything due at `nowMs`: HERE_I_AMs, REMOVAL_QUERY answers, REDIRECT_ASSIGNs.
  std::vector<Datagram> tick(uint64_t nowMs);
  /// When tick() next has something to do.
  uint64_t nextTickMs() const;

  const std::map<uint32_t, RouterState>& routers() const { return routers_; }
  /// The designated web cache among the caches the routers list (and this box).
  std::optional<uint32_t> designated() const;
  bool isDesignated() const { return designated() == config_.self; }
  /// The assignment this box last sent (designated only).
  const std::optional<AltAssignment>& assignmentSent() const { return sent_; }
  const Counters& counters() const { return counters_; }
  /// The last problem seen, in words for the log and `show wccp` ("" when none).
  const std::string& lastProblem() const { return lastProblem_; }
  const ServiceGroupConfig& config() const { return config_; }
  /// The caches the usable routers list, with this box, sorted.
  std::vector<uint32_t> members() const;

 private:
  Bytes hereIAm(const RouterState* router) const;
  void onISeeYou(uint32_t from, const Message& m, uint64_t nowMs);
  void onRemovalQuery(const Message& m, uint64_t nowMs);
  void problem(RouterState* router, std::string why);
  void changed(uint64_t nowMs);
  std::vector<Datagram> assignIfDue(uint64_t nowMs);
  Bytes finish(Message& m) const;

  ServiceGroupConfig config_;
  std::map<uint32_t, RouterState> routers_;  ///< by router id
  uint32_t viewChangeNumber_ = 1;
  uint32_t assignmentChangeNumber_ = 0;
  uint64_t nextHereIAmMs_ = 0;
  std::vector<uint64_t> removalAnswersMs_;
  uint64_t stableSinceMs_ = 0;
  std::optional<AltAssignment> sent_;
  uint64_t lastAssignMs_ = 0;
  std::vector<uint32_t> sentCaches_;
  /// HERE_I_AMs sent to each configured router while it has never answered (an address that
  /// has answered once is gone from here: its silence is a lost router's, named at 30 s).
  std::map<uint32_t, unsigned> unanswered_;
  std::set<uint32_t> answered_;
  Counters counters_;
  std::string lastProblem_;
};

}  // namespace bh::redirect::wccp
