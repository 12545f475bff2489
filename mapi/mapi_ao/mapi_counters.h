#pragma once

// Counters of the MAPI accelerator: the accelerator-wide block of `show statistics accelerator
// mapi` and the per-connection "MAPI : <id>" block of `show statistics connection optimized
// mapi detail`, both label for label as the seed's troubleshooting guide prints them. Pure
// code: the accelerator reports events, the proxy renders.
//
// Lifecycle of one MAPI connection (the accelerator owns one MapiConnectionStats per
// connection and passes it to every event of that connection, so the gauges can never be
// decremented twice):
//
//   onConnectionHandled(c)            New -> Pending          (Total Handled, Current Pending)
//   onOptimized(c)                    Pending -> Optimized    (Total Optimized, Current Active)
//   onHandedOff(c, reason)            Pending|Optimized -> HandedOff   (to the generic AO)
//   onDropped(c)                      Pending|Optimized -> Dropped     (connection reset)
//   onConnectionClosed(c)             any -> Closed (leaves whichever gauge it was in)
//
// A MAPI session (an EMSMDB context, which spans the connections of its association group) is
// counted separately with onSessionOpened / onSessionClosed.

#include <array>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "mapi/emsmdb/client_version.h"
#include "mapi/mapi_ao/hand_off_reason.h"

namespace bh::mapi::mapi_ao {

/// Count, minimum, maximum and average of a sampled quantity. Every figure is 0 until the
/// first sample, as the seed prints counters that never moved.
struct Summary {
  uint64_t count = 0;
  uint64_t total = 0;  ///< saturates at UINT64_MAX
  uint64_t min = 0;
  uint64_t max = 0;

  void add(uint64_t value);
  /// total / count rounded to the nearest integer; 0 without samples.
  uint64_t average() const;
  /// {"count", "min", "max", "average", "total"}
  nlohmann::json toJson() const;
  bool operator==(const Summary&) const = default;
};

/// Why the MAPI AO gave a connection to the generic AO (seed: "In the following cases, the
/// MAPI AO does not handle a connection", and Problem 5, NTLM).

enum class MapiConnectionState : uint8_t { New, Pending, Optimized, HandedOff, Dropped, Closed };
/// "new", "pending", "optimized", "handed-off", "dropped", "closed"
const char* mapiConnectionStateName(MapiConnectionState s);

/// One connection's MAPI facts. Only MapiCounters' events change `state` and `handOffReason`;
/// the accelerator may set the descriptive fields (clientVersion, associationGroupId) itself.
struct MapiConnectionStats {
  uint64_t statsSinceUnix = 0;  ///< "Time Statistics were Last Reset/Cleared" (set when handled)
  MapiConnectionState state = MapiConnectionState::New;
  std::optional<HandOffReason> handOffReason;
  bool secured = false;  ///< the client asked for signing or sealing (counted once)
  /// eMAPI: the protected association this box opens and re-seals ("" when none), e.g.
  /// "Kerberos aes256-cts-hmac-sha1-96 packet privacy".
  std::string encryption;
  std::optional<emsmdb::ClientVersion> clientVersion;  ///< from EcDoConnectEx
  std::optional<uint32_t> associationGroupId;          ///< from the bind / bind_ack
  Summary synchGetBuffer;        ///< RopFastTransferSourceGetBuffer response sizes (bytes)
  Summary readStream;            ///< RopReadStream response sizes (bytes)
  Summary readAheadAccumulated;  ///< read-ahead data held for the stream when sampled (bytes)
  Summary localResponseUsec;     ///< requests answered by this box
  Summary remoteResponseUsec;    ///< requests answered by the server
  uint64_t readAheadBytesServedLocally = 0;
  uint64_t readAheadRequestsServedLocally = 0;
  uint64_t writeOptimizedBytes = 0;
  uint64_t writeOptimizedRequests = 0;

  nlohmann::json toJson() const;
};

/// The per-connection block of `show statistics connection optimized mapi detail`:
/// "MAPI : <connId>", then the seed's lines (Time Statistics were Last Reset/Cleared, Total
/// Bytes Read/Written, Synch Get Buffer, Read Stream, Accumulated Read Ahead, Local/Remote
/// Response), then ours (Client Version, Association Group Id, MAPI State, Hand-off Reason,
/// Read Ahead Bytes/Requests Served Locally, Write Optimized Bytes/Requests). The byte totals
/// are the flow's, which the proxy knows.
std::string mapiConnectionDetailText(uint64_t connId, const MapiConnectionStats& c,
                                     uint64_t totalBytesRead, uint64_t totalBytesWritten);

/// Everything `show statistics accelerator mapi` prints, as plain data.
struct MapiGlobalStats {
  uint64_t startedUnix = 0;    ///< Time Accelerator was started
  uint64_t lastResetUnix = 0;  ///< Time Statistics were Last Reset/Cleared
  uint64_t totalHandledConnections = 0;
  uint64_t totalOptimizedConnections = 0;
  /// "Total Connections Handed-off with Compression Policies Unchanged" (to the generic AO)
  uint64_t totalHandedOffConnections = 0;
  uint64_t totalDroppedConnections = 0;
  uint64_t currentActiveConnections = 0;
  uint64_t currentPendingConnections = 0;
  uint64_t maximumActiveConnections = 0;
  Summary synchGetBuffer;
  Summary readStream;
  Summary readAheadAccumulated;
  Summary localResponseUsec;
  Summary remoteResponseUsec;
  /// Accelerated sessions open now, by client generation (2002/XP counts with 2000).
  uint64_t current2000Sessions = 0;
  uint64_t current2003Sessions = 0;
  uint64_t current2007Sessions = 0;
  /// "Higher than 2007 Sessions": Outlook 2010 to 2016 and later over RPC/TCP, which we
  /// accelerate, so this is a gauge like the three above.
  uint64_t higherThan2007Sessions = 0;
  /// "Lower than 2000 Sessions": sessions from clients before Outlook 2000, never accelerated
  /// (handed off as UnsupportedClient), so a running total.
  uint64_t lowerThan2000Sessions = 0;
  /// Connections whose bind asked for signing or sealing, whatever became of them (seed: "the
  /// number of encrypted MAPI connections that have been requested").
  uint64_t securedConnections = 0;
  /// eMAPI (issue 18): secured connections opened and accelerated on their plain PDUs; the
  /// protected PDUs opened and sealed again; PDUs that did not verify relayed verbatim, and the
  /// connections reset because they could not be (renumbered already).
  uint64_t securedAccelerated = 0;
  uint64_t protectedPdusOpened = 0;
  uint64_t protectedPdusSealed = 0;
  uint64_t verbatimPdus = 0;
  uint64_t verbatimResets = 0;
  std::array<uint64_t, kHandOffReasonCount> handedOffByReason{};
  uint64_t readAheadBytesServedLocally = 0;
  uint64_t writeOptimizedBytes = 0;
  /// Connections of an association group the AO accelerates that it did not get (another
  /// edge/core pair, or passed through while overloaded): the seed's escaped connections.
  uint64_t escapedConnections = 0;
  /// Waits that cost the client time, so an engineer sees why a save or a sync was slow:
  /// writes held at the edge until the server confirmed earlier ones (the write window,
  /// accelerators.mapi.read_ahead_bytes, was full: normal while an upload fills the WAN; with
  /// the WAN not full, the window is smaller than its bandwidth-delay product); calls held until
  /// writes on another connection of their session were confirmed (a commit or release on the
  /// main connection of what the bulk one wrote); read-aheads ended because the client released
  /// their object on another connection (their data was dropped).
  uint64_t writeWindowWaits = 0;
  uint64_t groupWriteWaits = 0;
  uint64_t readAheadsEndedByRelease = 0;
};

/// Accelerator-wide MAPI counters, one per daemon (event loop). Not thread-safe.
class MapiCounters {
 public:
  explicit MapiCounters(uint64_t startedUnix = static_cast<uint64_t>(std::time(nullptr)));

  // Connection lifecycle (see the top of this file). onOptimized, onHandedOff and onDropped on
  // a New connection count it handled first; events that do not fit the connection's state (a
  // second onOptimized, anything after HandedOff, Dropped or Closed but onConnectionClosed)
  // change nothing.
  void onConnectionHandled(MapiConnectionStats& conn);
  void onOptimized(MapiConnectionStats& conn);
  void onHandedOff(MapiConnectionStats& conn, HandOffReason why);
  void onDropped(MapiConnectionStats& conn);
  void onConnectionClosed(MapiConnectionStats& conn);
  /// The client asked for signing or sealing on this connection ("Secured Connections"); once
  /// per connection, whatever the accelerator then does with it. onHandedOff(Encrypted) implies
  /// it, so calling both counts the connection once.
  void onSecuredConnection(MapiConnectionStats& conn);
  /// eMAPI: the secured connection was opened (`description` of its protection).
  void onSecuredAccelerated(MapiConnectionStats& conn, const std::string& description);
  void onProtectedPdus(uint64_t opened, uint64_t sealed) {
    s_.protectedPdusOpened += opened;
    s_.protectedPdusSealed += sealed;
  }
  void onVerbatim(bool reset) { ++(reset ? s_.verbatimResets : s_.verbatimPdus); }
  /// A connection of an accelerated association group escaped the AO.
  void onEscapedConnection() { ++s_.escapedConnections; }
  void onWriteWindowWait() { ++s_.writeWindowWaits; }
  void onGroupWriteWait() { ++s_.groupWriteWaits; }
  void onReadAheadEndedByRelease() { ++s_.readAheadsEndedByRelease; }

  // Sessions (EcDoConnectEx accepted / EcDoDisconnect or the context ended). Sessions from
  // clients before Outlook 2000 only count "Lower than 2000 Sessions" (the caller hands the
  // connection off); onSessionClosed for them is a no-op. `conn`, when given, records the
  // client version on the connection too.
  void onSessionOpened(const emsmdb::ClientVersion& version, MapiConnectionStats* conn = nullptr);
  void onSessionClosed(const emsmdb::ClientVersion& version);

  // Samples: each updates the connection's and the accelerator's figures.
  void recordSynchGetBuffer(MapiConnectionStats& conn, uint64_t bytes);
  void recordReadStream(MapiConnectionStats& conn, uint64_t bytes);
  void recordReadAheadAccumulated(MapiConnectionStats& conn, uint64_t bytes);
  /// A request this box answered itself (from read-ahead data or a locally acknowledged write).
  void recordLocalResponse(MapiConnectionStats& conn, std::chrono::microseconds elapsed);
  /// A request the server answered.
  void recordRemoteResponse(MapiConnectionStats& conn, std::chrono::microseconds elapsed);
  /// Read-ahead data handed to the client without a WAN round trip (one request).
  void recordReadAheadServed(MapiConnectionStats& conn, uint64_t bytes);
  /// Write data acknowledged locally and sent on behind the client (one request).
  void recordWriteOptimized(MapiConnectionStats& conn, uint64_t bytes);

  /// `clear statistics accelerator mapi`: zeroes the totals and samples, keeps the current
  /// gauges (Maximum Active restarts from Current Active) and the start time.
  void reset(uint64_t nowUnix = static_cast<uint64_t>(std::time(nullptr)));

  const MapiGlobalStats& stats() const { return s_; }

  /// The text of `show statistics accelerator mapi`: the seed's 30 lines in its order, then
  /// ours (hand-offs by reason, read-ahead and write-optimized bytes).
  std::string toText() const;
  /// The same facts for `--json`.
  nlohmann::json toJson() const;

 private:
  /// Leaves whichever gauge the connection is counted in (Pending or Optimized).
  void leaveGauge(const MapiConnectionStats& conn);

  MapiGlobalStats s_;
};

/// "Thu Nov  5 19:45:19 2009" in local time, as the seed prints times.
std::string seedTimeText(uint64_t unixSeconds);

}  // namespace bh::mapi::mapi_ao
