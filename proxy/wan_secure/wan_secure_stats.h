#pragma once

// WAN secure's counters (`show statistics wan-secure`) and the rule for its log lines: each
// failure reason is logged once per peer, and after more than four consecutive failures with
// one peer the seed's line ("disconnected more than four consecutive times", Problem 4) names
// the cause and the remedy. Pure: the flow manager feeds it and logs what it returns.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace bh::proxy {

/// The failure name of a mode mismatch (not a TLS failure: the discovery option told it).
inline constexpr const char* kModeMismatch = "mode-mismatch";

struct WanSecurePeerStats {
  uint64_t done = 0;     ///< handshakes completed (full or resumed), leg opened
  uint64_t resumed = 0;  ///< of those, resumed with a ticket
  uint64_t failed = 0;
  std::map<std::string, uint64_t> failedBy;  ///< by failure name
  uint32_t consecutiveFailures = 0;
  std::string lastFailure;  ///< "<name>: <detail>" of the latest failure
};

struct WanSecureTotals {
  uint64_t done = 0;
  uint64_t resumed = 0;
  uint64_t failed = 0;
  std::map<std::string, uint64_t> failedBy;
  uint64_t bytesSealed = 0;    ///< plaintext bytes sealed into records
  uint64_t bytesOpened = 0;    ///< plaintext bytes opened from records
  uint64_t handedOff = 0;      ///< flows that went on without WAN secure after a failure
  uint64_t earlyAccepted = 0;  ///< legs whose first bytes crossed as 0-RTT early data
  uint64_t earlyRejected = 0;  ///< legs whose early data the core refused (sent again after)
  /// Edge, WAN secure `auto` on both ends (leg_security.h PerFlow): legs the flow's first bytes
  /// secured (a sealed bind), and legs they left in clear.
  uint64_t autoSecured = 0;
  uint64_t autoClear = 0;
};

/// What to tell the operator about a failure: its cause in words and what to do.
struct FailureAdvice {
  std::string cause;
  std::string remedy;
};
FailureAdvice adviceFor(const std::string& failureName, const std::string& detail);

class WanSecureStats {
 public:
  /// Peers tracked one by one; the rest count under "other".
  static constexpr size_t kMaxPeers = 1024;
  static constexpr uint32_t kConsecutiveLimit = 4;

  void handshakeDone(const std::string& peer, bool resumed);
  /// Counts a failure; returns the lines to log now (none, the first of this peer and reason,
  /// and/or the consecutive-failures line).
  std::vector<std::string> handshakeFailed(const std::string& peer, const std::string& name,
                                           const std::string& detail);
  void handedOff() { ++totals_.handedOff; }
  /// Edge, both ends `auto`: what a flow's first bytes decided for its leg.
  void autoDecided(bool secured) { ++(secured ? totals_.autoSecured : totals_.autoClear); }
  /// A leg that offered 0-RTT early data opened: accepted, or rejected (and sent again).
  void earlyData(bool accepted) { ++(accepted ? totals_.earlyAccepted : totals_.earlyRejected); }
  void addBytes(uint64_t sealed, uint64_t opened) {
    totals_.bytesSealed += sealed;
    totals_.bytesOpened += opened;
  }

  const WanSecureTotals& totals() const { return totals_; }
  const std::map<std::string, WanSecurePeerStats>& peers() const { return peers_; }

 private:
  WanSecurePeerStats& peerStats(const std::string& peer);

  WanSecureTotals totals_;
  std::map<std::string, WanSecurePeerStats> peers_;
  std::set<std::pair<std::string, std::string>> logged_;
};

}  // namespace bh::proxy
