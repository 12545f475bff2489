#pragma once

// What the two halves of the MAPI AO share: their configuration, what one step of either half
// asks the proxy to do, and the events it reports (statistics and log lines live behind this
// interface, so the halves stay pure and tests can record them).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "mapi/emsmdb/client_version.h"
#include "mapi/mapi_ao/ao_record.h"
#include "mapi/mapi_ao/mapi_debug.h"

namespace bh::mapi::mapi_ao {

struct MapiAoConfig {
  /// Read optimization (read-ahead of ReadStream and FastTransfer downloads).
  bool readAhead = true;
  /// Data one read-ahead keeps in flight or waiting at the edge (the seed's "Accumulated Read
  /// Ahead Data Size" reaches about 1.1 MB): ~1.5 MiB fills 100 Mbit/s at 100 ms RTT.
  size_t readAheadWindowBytes = 1536 * 1024;
  /// Read-aheads one connection may run at once (a client reads one stream at a time; more
  /// is a client that opens streams and abandons them).
  size_t maxReadAheads = 4;
  /// Bytes of one call (all fragments) the AO will hold to look at it whole.
  size_t maxCallBytes = 512 * 1024;
  /// Write optimization: lone RopWriteStream calls answered at the edge, at most this many
  /// data bytes unconfirmed by the server at a time.
  bool writeBehind = true;
  size_t writeWindowBytes = 1u << 20;
  /// Calls answered at the edge (writes, releases) the server has not confirmed yet, at most.
  size_t maxUnconfirmedCalls = 1024;
  /// Client calls the core keeps track of at once (read-ahead candidates awaiting their answer,
  /// call ids in use); beyond it a call is relayed without being considered.
  size_t maxTrackedCalls = 64;
  /// Client bytes the core may hold while it restores a stream position or waits for writes,
  /// and the edge behind a call that waits.
  size_t maxBlockedBytes = 1u << 20;
  /// eMAPI: Kerberos binds at integrity or privacy are not handed off by the edge half: the
  /// protection layer around it opens them (protected_mapi_filter.h). Set by the accelerator
  /// when the box has a ProtectionProvider.
  bool openProtectedBinds = false;
};

/// What one step of a half asks of the proxy: bytes for its own side (the client at the edge,
/// the server at the core), bytes for the other half (the record stream), or a reset of the
/// whole flow (never a silent loss).
struct AoOutput {
  Bytes toLocal;
  Bytes toPeer;
  /// Offsets in toPeer where the data codec should end a chunk (DRE sees the stable part of a
  /// prefetched answer as a unit of its own).
  std::vector<size_t> peerCuts;
  bool reset = false;
  std::string resetReason;
  /// One record for the other half; `cuts` (offsets in `body`) end the data codec's chunks
  /// there, so DRE sees the stable parts of a taken-apart call as units of their own.
  void appendRecord(RecordType type, ByteSpan body, const std::vector<size_t>& cuts = {}) {
    size_t base = toPeer.size() + kRecordHeaderSize;
    encodeRecord(type, body, toPeer);
    for (size_t c : cuts) {
      peerCuts.push_back(base + c);
    }
  }
  void fail(std::string why) {
    if (!reset) {
      reset = true;
      resetReason = std::move(why);
    }
  }
};

/// Events for statistics and logs (the edge reports the client's view; the core only what it
/// alone sees). Default: ignore.
class MapiAoEvents {
 public:
  virtual ~MapiAoEvents() = default;
  /// The client's bind joins an existing association group (assoc_group_id != 0, C706
  /// 12.6.3.1): it must be one this box accelerates, else the group escaped us (edge).
  /// Returns a reason when the whole group was handed off already: this connection follows.
  virtual std::optional<HandOffReason> onJoinGroup(uint32_t assocGroupId) {
    (void)assocGroupId;
    return std::nullopt;
  }
  /// The server accepted an EMSMDB presentation context on this connection (edge).
  virtual void onBound(uint32_t assocGroupId) { (void)assocGroupId; }
  /// EcDoConnectEx seen with this client version (edge).
  virtual void onClientVersion(const emsmdb::ClientVersion& v) { (void)v; }
  /// The flow leaves the MAPI AO for the generic accelerator.
  virtual void onHandOff(HandOffReason reason, const std::string& detail) {
    (void)reason, (void)detail;
  }
  /// A whole EMSMDB call from the client arrived (edge); its answer follows as a local or a
  /// remote response with the same call id.
  virtual void onClientCall(uint32_t callId) { (void)callId; }
  /// The edge answered `callId` from read-ahead data.
  virtual void onLocalResponse(uint32_t callId) { (void)callId; }
  /// The server's answer to `callId` reached the client.
  virtual void onRemoteResponse(uint32_t callId) { (void)callId; }
  /// A ReadStream / GetBuffer answer the client got, local or remote, carrying `dataBytes`.
  virtual void onReadResponse(ReadAheadKind kind, uint32_t dataBytes) {
    (void)kind, (void)dataBytes;
  }
  /// Read-ahead data now waiting at the edge for this connection.
  virtual void onReadAheadAccumulated(size_t bytes) { (void)bytes; }
  /// The edge answered a RopWriteStream of `bytes` itself (write optimization).
  virtual void onWriteOptimized(uint32_t bytes) { (void)bytes; }
  /// Read-ahead started (core).
  virtual void onReadAheadStarted(ReadAheadKind kind) { (void)kind; }
  /// The client released these server objects of session `contextHandle` on this connection
  /// (edge). A client may release on one connection what it read on another (Outlook's
  /// connections share the session): the group's other connections stop their read-aheads of
  /// them (EdgeMapiAo::releaseObjects).
  virtual void onObjectsReleased(ByteSpan contextHandle, const std::vector<uint32_t>& handles) {
    (void)contextHandle, (void)handles;
  }
  /// Write-behind across connections (edge). The client was told a RopWriteStream succeeded
  /// once the edge answered it, so it may commit or release the stream on another connection
  /// of the session, whose call could then overtake the writes on the WAN and commit a
  /// partial stream. Such a call waits at the edge until no other connection of the group has
  /// unconfirmed writes to an object it touches, nor an unconfirmed release in its session
  /// (EdgeMapiAo::blocksGroupCall; an empty `contextHandle` asks for any object of any
  /// session).
  virtual bool groupWritesPending(ByteSpan contextHandle, const std::vector<uint32_t>& handles) {
    (void)contextHandle, (void)handles;
    return false;
  }
  /// A call waits at the edge (edge): a write for the write window, or a call for writes on
  /// another connection of the group.
  virtual void onWriteWindowWait() {}
  virtual void onGroupWriteWait() {}
  /// Read-aheads of this connection ended because another connection released their object.
  virtual void onReadAheadsEndedByRelease(size_t count) { (void)count; }
  /// The server confirmed this connection's last write to the object (edge): a call of the
  /// group waiting for it may go on (EdgeMapiAo::retryGroupHold).
  virtual void onWritesSettled(ByteSpan contextHandle, uint32_t objectHandle) {
    (void)contextHandle, (void)objectHandle;
  }
  /// The `debug accelerator mapi` categories on for this connection (MapiDebug bits; 0:
  /// none). Asked before a line is built, so debugging that is off costs one call.
  virtual uint32_t debugMask() const { return 0; }
  /// One debug line of `category`: structure only (call_description.h), never payload bytes.
  virtual void onDebug(MapiDebug category, const std::string& line) { (void)category, (void)line; }
};

/// Emits a debug line of `category` when it is on for the connection; `make` builds the line
/// only then.
template <class Make>
void debugLine(MapiAoEvents& events, MapiDebug category, Make&& make) {
  if ((events.debugMask() & static_cast<uint32_t>(category)) != 0) {
    events.onDebug(category, make());
  }
}

}  // namespace bh::mapi::mapi_ao
