#pragma once

// The edge half of the MAPI AO (client side). It follows the client's DCE/RPC stream PDU by
// PDU and relays it to the core half as records; it answers a client's EcDoRpcExt2 call
// locally when the call is the very one a read-ahead replays (the core announced it with
// ReadAheadStart) and the next prefetched answer is here, rewriting only the call id. It hands
// the flow off to the generic accelerator for binds it must not touch (integrity/privacy,
// NTLM), unsupported clients, and any stream it cannot follow. Pure: no sockets, no clock.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "mapi/dcerpc/association.h"
#include "mapi/dcerpc/co_stream.h"
#include "mapi/mapi_ao/ao_record.h"
#include "mapi/mapi_ao/mapi_ao_types.h"
#include "mapi/mapi_ao/rop_call_summary.h"

namespace bh::mapi::mapi_ao {

class EdgeMapiAo {
 public:
  EdgeMapiAo(MapiAoConfig config, MapiAoEvents& events);

  /// Bytes from the client.
  void onClientData(ByteSpan data, AoOutput& out);
  /// The record stream from the core half.
  void onPeerData(ByteSpan data, AoOutput& out);
  /// The client finished sending. Returns true when the FIN may be passed on now; false when a
  /// call is held for read-ahead data or write window (ask again after the next onPeerData).
  bool onClientEof(AoOutput& out);
  /// A client call waits for prefetched data or for write window.
  bool holding() const { return held_.has_value(); }
  bool handedOff() const { return clientHandedOff_; }
  /// Hands the connection off from outside (another connection of its association group was
  /// handed off): same as when the AO decides itself, between two PDUs.
  void requestHandOff(HandOffReason reason, const std::string& detail, AoOutput& out) {
    handOff(reason, detail, out);
  }
  /// Unconfirmed write-behind on this connection to any of `handles` of session
  /// `contextHandle` (an empty `contextHandle`: to anything).
  bool writesPending(ByteSpan contextHandle, const std::vector<uint32_t>& handles) const;
  /// An unconfirmed release-only call of session `contextHandle` answered here (an empty
  /// `contextHandle`: of any session).
  bool releasesPending(ByteSpan contextHandle) const;
  /// Whether a call of another connection of the group touching `handles` of session
  /// `contextHandle` must wait for this one (MapiAoEvents::groupWritesPending): writes to those
  /// objects are unconfirmed, or a release in that session is. A release may change the objects
  /// it does not name: whatever a stream holds reaches its parent when it is released, so a
  /// save of the parent on another connection must not overtake it.
  bool blocksGroupCall(ByteSpan contextHandle, const std::vector<uint32_t>& handles) const {
    return writesPending(contextHandle, handles) || releasesPending(contextHandle);
  }
  /// Another connection's writes were confirmed: a call held for them goes on if nothing else
  /// of the group is pending for it (MapiAoEvents::groupWritesPending).
  void retryGroupHold(AoOutput& out);
  /// Another connection of the association group released these objects of session
  /// `contextHandle`: read-aheads of them stop and their prefetched data goes (nothing more of
  /// them can be asked; the server answers any call still on its way with an error).
  void releaseObjects(ByteSpan contextHandle, const std::vector<uint32_t>& handles, AoOutput& out);
  size_t bufferedBytes() const;
  size_t readAheadBytes() const { return readyBytes_; }

 private:
  struct ReadAhead {
    uint32_t id = 0;
    ReadAheadKind kind = ReadAheadKind::ReadStream;
    uint32_t objectHandle = 0;
    uint16_t contextId = 0;
    Bytes key;
    Bytes contextHandle;  ///< the session the object belongs to
    std::deque<ReadAheadData> ready;
    uint32_t consumed = 0;
    bool ended = false;
  };
  /// A whole client call (all its fragments, as the stream engine hands it out).
  using ClientCall = dcerpc::Call;
  /// A client call that waits: for prefetched data (readAheadId); or, a RopWriteStream, for
  /// the server to confirm earlier writes so that it fits the write window (waitsForWindow);
  /// or for writes on another connection of the group to the objects it touches
  /// (waitsForGroup).
  struct Held {
    ClientCall call;
    uint32_t readAheadId = 0;
    bool waitsForWindow = false;
    bool waitsForGroup = false;
    bool waitsFor(uint32_t id) const {
      return !waitsForWindow && !waitsForGroup && readAheadId == id;
    }
  };
  /// A write-behind call sent on and not yet confirmed (WriteAcks come in this order).
  struct UnconfirmedWrite {
    Bytes contextHandle;
    uint32_t objectHandle = 0;
    uint32_t dataBytes = 0;  ///< 0: a release-only call
  };

  void drainClientQueue(AoOutput& out);
  void processClientPdu(dcerpc::StreamPdu item, AoOutput& out);
  /// The client's stream stopped (a PDU that does not decode, calls it cannot follow).
  void onClientStreamError(AoOutput& out);
  void onClientCall(ClientCall call, AoOutput& out);
  /// An EcDoRpcExt2 call once no other connection's writes hold it back.
  void onRpcCall(ClientCall& call, const Bytes& stub, const RequestSummary& s, AoOutput& out);
  /// Answers `call` from `ra` if data is ready; holds it if more is coming; otherwise false.
  bool tryLocal(ClientCall& call, ReadAhead& ra, AoOutput& out);
  void serve(ClientCall& call, ReadAhead& ra, AoOutput& out);
  void releaseHeld(AoOutput& out);
  /// A WriteAck freed window: the held write is answered here now if it fits.
  void releaseHeldWrite(AoOutput& out);
  /// Answers a lone RopWriteStream at once and sends it on as write-behind, or holds it while
  /// the write window is full; false if it cannot.
  bool writeBehind(ClientCall& call, const Bytes& stub, const RequestSummary& s, AoOutput& out);
  /// Writes the client was told succeeded on another connection must reach the server before
  /// this call does, if it touches their object (an undecodable call may touch anything).
  bool groupWritesPendingFor(const RequestSummary& s);
  bool releaseBehind(ClientCall& call, const Bytes& stub, const Bytes& contextHandle,
                     AoOutput& out);
  /// Answers `call` with `answerStub` now and sends the call on as a WriteBehind record.
  bool answerBehind(ClientCall& call, Bytes answerStub, const Bytes& contextHandle,
                    uint32_t objectHandle, uint16_t dataBytes, AoOutput& out);
  void cancel(uint32_t id, bool releaseOnly, AoOutput& out);
  void retireIfDone(uint32_t id, AoOutput& out);
  void forward(const std::vector<Bytes>& fragments, AoOutput& out);
  void forward(const Bytes& pdu, AoOutput& out);
  /// Forwards an EMSMDB call the server answers (`read`: the read request it carries).
  void forwardRemote(ClientCall& call, std::optional<ReadAheadCandidate> read, AoOutput& out);
  void handOff(HandOffReason reason, const std::string& detail, AoOutput& out);
  void onRecord(Record& rec, AoOutput& out);
  void onServerPdu(dcerpc::StreamPdu item, AoOutput& out);
  void toClient(Bytes&& pdus, AoOutput& out);
  bool isEmsmdb(uint16_t contextId) const;

  MapiAoConfig config_;
  MapiAoEvents& events_;
  dcerpc::Association association_;

  // client -> core
  /// The client's stream: one call at a time (interleaved calls are not followed), a call of
  /// at most maxCallBytes. PDUs framed behind a held call wait in it (queuedBytes(): at most
  /// maxBlockedBytes). A call cut by a co_cancel or orphaned PDU goes on unread.
  dcerpc::CoStream fromClient_;
  /// PDUs taken from the stream and not relayed, ahead of what it still holds at a hand-off.
  std::vector<Bytes> unsent_;
  std::optional<Held> held_;
  bool clientHandedOff_ = false;
  /// EMSMDB calls sent to the server and awaiting their answer: the read candidates among
  /// them keep their answer's fragments to count the data it carries.
  std::map<uint32_t, std::optional<ReadAheadCandidate>> remoteCalls_;
  std::map<uint32_t, dcerpc::Call> remoteReadFragments_;
  /// `debug accelerator mapi` EMSMDB-layer/ROP-layer: the EcDoRpcExt2 calls sent on while
  /// debugging is on (their stubs: an answer's layout may depend on its request), and the
  /// server's answer being collected (capped at maxCallBytes).
  std::map<uint32_t, Bytes> debugCalls_;
  dcerpc::Call debugAnswer_;
  size_t debugAnswerBytes_ = 0;
  void debugServerAnswer(const dcerpc::StreamPdu& item, bool last);
  bool bound_ = false;

  // core -> client
  RecordReader peerReader_;
  /// The server's stream as the core relays it: PDUs only (the answers the edge looks at are
  /// joined in remoteReadFragments_ and debugAnswer_, capped at maxCallBytes).
  dcerpc::CoStream fromServer_;
  bool serverHandedOff_ = false;
  /// Inside a fragmented server response: local answers wait so fragments are not split.
  bool serverMidResponse_ = false;
  Bytes pendingLocal_;

  std::map<uint32_t, ReadAhead> readAheads_;
  size_t readyBytes_ = 0;
  /// Data bytes of write-behind calls the server has not confirmed yet.
  size_t writeInFlight_ = 0;
  std::deque<UnconfirmedWrite> unconfirmed_;
};

}  // namespace bh::mapi::mapi_ao
