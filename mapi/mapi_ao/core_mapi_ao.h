#pragma once

// The core half of the MAPI AO (server side). It relays the client's PDUs from the edge's
// records to the server and the server's PDUs back as records. When a read-ahead candidate (a
// lone RopReadStream or RopFastTransferSourceGetBuffer, see rop_call_summary.h) comes back full,
// it announces a read-ahead to the edge and replays the same request to the server itself,
// pipelined up to a window, shipping each answer to the edge; it stops at the end of the
// stream, on an error, or when the edge cancels, and then, for a stream, seeks the server's
// pointer back over whatever the client never took (MS-OXCROPS 2.2.9.8) before the client's
// next call reaches the server. Injected calls carry call ids of their own; a client that uses
// one of them while it is outstanding gets its flow reset, never a mixed-up answer.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "mapi/dcerpc/association.h"
#include "mapi/dcerpc/co_stream.h"
#include "mapi/mapi_ao/ao_record.h"
#include "mapi/mapi_ao/mapi_ao_types.h"
#include "mapi/mapi_ao/rop_call_summary.h"

namespace bh::mapi::mapi_ao {

/// Call ids of injected calls start here (clients count up from 1).
constexpr uint32_t kInjectedCallIdBase = 0xB1000000;
/// Calls a stream read-ahead replays before the client has taken any of them: 64 ReadStream calls
/// of 31744 bytes (2 MB) cover 100 Mbit/s x 100 ms (1.25 MB) plus the round trip the client's
/// consumption takes to reach the core; at 32 the WAN went idle ~40 ms after the first burst.
constexpr uint32_t kInitialReadAheadCalls = 64;
/// Calls one read-ahead keeps in flight at most, whatever its chunk: the window is in bytes, and
/// a client asking 1-byte chunks must not make the core send the server a call per byte of it
/// (at 31744 bytes a call this is a 31 MiB window).
constexpr uint32_t kMaxReadAheadCalls = 1024;

class CoreMapiAo {
 public:
  CoreMapiAo(MapiAoConfig config, MapiAoEvents& events);

  /// The record stream from the edge half.
  void onPeerData(ByteSpan data, AoOutput& out);
  /// Bytes from the server.
  void onServerData(ByteSpan data, AoOutput& out);
  /// The edge's half-close: true when the FIN may go to the server now (false while client
  /// bytes wait for a stream position to be restored; ask again after onServerData).
  bool canFinishTowardsServer() const { return !blocked() && blockedInput_.empty(); }
  /// The server finished sending: what is left of its stream goes to the edge.
  void onServerEof(AoOutput& out);
  size_t bufferedBytes() const;
  /// Stops optimizing from outside (the protection layer could not open the bind): the server
  /// side hands off as when the core decides itself.
  void requestHandOff(HandOffReason reason, const std::string& why, AoOutput& out) {
    handOffServerSide(reason, why, out);
  }
  size_t activeReadAheads() const { return readAheads_.size(); }
  size_t outstandingInjected() const { return injected_.size(); }
  size_t trackedCandidates() const { return candidates_.size(); }

 private:
  struct ReadAhead {
    uint32_t id = 0;
    ReadAheadCandidate candidate;
    uint16_t contextId = 0;
    Bytes requestPdu;  ///< the client's request as it reached the server (replayed)
    Bytes requestStub;
    uint32_t issued = 0;              ///< injected so far
    uint32_t answered = 0;            ///< injected answers received
    uint32_t consumed = 0;            ///< answers the edge served (reported)
    std::vector<uint32_t> dataBytes;  ///< per answer, in order
    bool stopped = false;  ///< no more injections (end of data, error, window never refills)
    bool endSent = false;
    bool cancelled = false;
    bool releaseOnly = false;
    bool seeking = false;
    bool shipStopped = false;  ///< an answer could not be shipped: none after it are either
  };
  struct Candidate {
    ReadAheadCandidate candidate;
    uint16_t contextId = 0;
    Bytes requestPdu;
    Bytes requestStub;
  };
  struct Injected {
    uint32_t readAheadId = 0;
    bool seek = false;
    dcerpc::Call answer;  ///< its fragments, capped at maxCallBytes on the wire
    bool joined = true;   ///< every fragment a response (no fault)
  };
  /// An item of the edge's stream held while a stream position is being restored.
  struct BlockedItem {
    bool raw = false;  ///< unframed bytes after the edge's HandOff
    Record record;
    Bytes bytes;
  };

  bool blocked() const { return restoring_ > 0 || writeWait_; }
  void onWriteBehind(const WriteBehind& wb, AoOutput& out);
  void onWriteAnswer(uint32_t callId, AoOutput& out);
  void onRecord(Record rec, AoOutput& out);
  void onClientPdu(dcerpc::StreamPdu item, AoOutput& out);
  void onServerPdu(dcerpc::StreamPdu item, AoOutput& out);
  void onCandidateAnswer(uint32_t callId, Candidate c, dcerpc::Call answer, AoOutput& out);
  void onInjectedAnswer(uint32_t callId, Injected inj, AoOutput& out);
  void inject(ReadAhead& ra, AoOutput& out);
  void maybeEnd(ReadAhead& ra, AoOutput& out);
  void onCancel(const ReadAheadCancel& c, AoOutput& out);
  /// A whole client request to the server touches the object of a read-ahead the edge has not
  /// ended: it overtook the read-ahead's announcement. Resets the flow (true).
  bool touchesRunningReadAhead(const RequestSummary& s, AoOutput& out);
  /// All injected answers of a cancelled read-ahead are in: restore or forget.
  void finishCancel(ReadAhead& ra, AoOutput& out);
  void unblock(AoOutput& out);
  void onEdgeHandOff(AoOutput& out);
  void handOffServerSide(HandOffReason reason, const std::string& why, AoOutput& out);
  uint32_t nextInjectedId();
  bool isEmsmdb(uint16_t contextId) const;

  MapiAoConfig config_;
  MapiAoEvents& events_;
  dcerpc::Association association_;

  RecordReader peerReader_;
  /// The client's stream as the edge relays it: PDUs only (whole calls are the edge's concern).
  dcerpc::CoStream fromClient_;
  bool clientHandedOff_ = false;  ///< the edge's records ended
  std::deque<BlockedItem> blockedInput_;
  size_t blockedBytes_ = 0;
  int restoring_ = 0;  ///< cancelled read-aheads not yet settled

  /// The server's stream: PDUs only; the answers looked at are joined in candidateFragments_,
  /// injected_ and writes_ (each capped at maxCallBytes).
  dcerpc::CoStream fromServer_;
  bool serverHandedOff_ = false;    ///< we sent HandOff: the server stream goes unframed
  bool passive_ = false;            ///< stopped optimizing: relay only
  bool serverMidResponse_ = false;  ///< between the fragments of one server answer

  std::map<uint32_t, Candidate> candidates_;  ///< by call id, awaiting the answer
  std::map<uint32_t, dcerpc::Call> candidateFragments_;
  std::map<uint32_t, Injected> injected_;  ///< by injected call id
  std::set<uint32_t> clientCalls_;         ///< client calls awaiting answers
  std::map<uint32_t, ReadAhead> readAheads_;
  uint32_t nextReadAheadId_ = 1;
  struct PendingWrite {
    uint32_t objectHandle = 0;
    uint16_t dataBytes = 0;
    dcerpc::Call answer;  ///< its fragments, capped at maxCallBytes on the wire
    bool joined = true;   ///< every fragment a response (no fault)
  };
  /// Write-behind calls sent to the server, by call id, awaiting its answer.
  std::map<uint32_t, PendingWrite> writes_;
  /// A client call waits until every write-behind is confirmed (the next synchronous point).
  bool writeWait_ = false;
  uint32_t nextInjected_ = kInjectedCallIdBase;
};

}  // namespace bh::mapi::mapi_ao
