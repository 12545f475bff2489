#include "mapi/mapi_ao/edge_mapi_ao.h"

#include <algorithm>

#include "mapi/dcerpc/pdu_codec.h"
#include "mapi/emsmdb/ec_do_connect_ex.h"
#include "mapi/emsmdb/ec_do_rpc_ext2.h"
#include "mapi/mapi_ao/call_description.h"
#include "mapi/mapi_ao/emsmdb_context.h"
#include "mapi/mapi_ao/rop_call_summary.h"

namespace bh::mapi::mapi_ao {

namespace {

constexpr uint16_t kOpnumEcDoDisconnect = 1;
constexpr uint16_t kOpnumEcDoConnectEx = 10;
/// EcDoConnectEx ulFlags: "requests administrator behavior" (MS-OXCRPC 3.1.4.1).
constexpr uint32_t kConnectAdministrator = 0x00000001;
/// The debug categories that describe a call's answer: the edge keeps the call's stub for it.
constexpr uint32_t kCallDebugLayers =
    static_cast<uint32_t>(MapiDebug::EmsmdbLayer) | static_cast<uint32_t>(MapiDebug::RopLayer);

}  // namespace

namespace {
/// The client's stream as the edge follows it: one call at a time of at most maxCallBytes; the
/// aggregate cap sits above what the edge resets at (maxBlockedBytes queued), so the edge's
/// own limits decide.
dcerpc::StreamLimits clientStreamLimits(const MapiAoConfig& config) {
  return dcerpc::StreamLimits{65535, config.maxCallBytes, 1,
                              config.maxBlockedBytes + 2 * config.maxCallBytes + (1u << 20)};
}
/// The server's stream as the core relays it: PDUs only; a Pdus record (an answer of up to
/// maxCallBytes, or a few PDUs) is framed whole before its PDUs are taken.
dcerpc::StreamLimits serverStreamLimits(const MapiAoConfig& config) {
  dcerpc::StreamLimits l{65535, config.maxCallBytes, 1, 2 * config.maxCallBytes + (1u << 20)};
  l.reassemble = false;
  return l;
}
}  // namespace

EdgeMapiAo::EdgeMapiAo(MapiAoConfig config, MapiAoEvents& events)
    : config_(config),
      events_(events),
      fromClient_(dcerpc::Sender::Client, clientStreamLimits(config)),
      fromServer_(dcerpc::Sender::Server, serverStreamLimits(config)) {}

size_t EdgeMapiAo::bufferedBytes() const {
  size_t n = fromClient_.unframedBytes() + fromClient_.queuedBytes() + fromClient_.callWireBytes() +
             fromServer_.unframedBytes() + fromServer_.queuedBytes() + peerReader_.bufferedBytes() +
             readyBytes_ + pendingLocal_.size();
  for (const auto& p : unsent_) {
    n += p.size();
  }
  if (held_) {
    for (const auto& f : held_->call.fragments) {
      n += f.size();
    }
  }
  n += debugAnswerBytes_ <= config_.maxCallBytes ? debugAnswerBytes_ : 0;
  for (const auto& [id, stub] : debugCalls_) {
    n += stub.size();
  }
  for (const auto& [id, answer] : remoteReadFragments_) {
    n += answer.wireBytes();
  }
  return n;
}

bool EdgeMapiAo::isEmsmdb(uint16_t contextId) const {
  return isEmsmdbContext(association_, contextId);
}

// ---- client -> core ----------------------------------------------------------------------

void EdgeMapiAo::onClientData(ByteSpan data, AoOutput& out) {
  if (clientHandedOff_) {
    out.toPeer.insert(out.toPeer.end(), data.begin(), data.end());
    return;
  }
  ParseResult r = fromClient_.feed(data);
  if (!r.ok()) {
    if (fromClient_.errorKind() == dcerpc::StreamError::BufferFull) {
      out.fail("client bytes queued behind a held call exceed the cap");
      return;
    }
    handOff(HandOffReason::ParseError, "client stream: " + r.error, out);
    return;
  }
  drainClientQueue(out);
  if (fromClient_.queuedBytes() > config_.maxBlockedBytes) {
    out.fail("client bytes queued behind a held call exceed the cap");
  }
}

void EdgeMapiAo::drainClientQueue(AoOutput& out) {
  while (!clientHandedOff_ && !held_ && !out.reset) {
    dcerpc::StreamPdu item;
    ParseResult r = fromClient_.next(item);
    if (r.status == ParseStatus::NeedMore) {
      return;
    }
    if (!r.ok()) {
      onClientStreamError(out);
      return;
    }
    processClientPdu(std::move(item), out);
  }
}

void EdgeMapiAo::onClientStreamError(AoOutput& out) {
  using dcerpc::StreamError;
  if (fromClient_.errorKind() == StreamError::BufferFull) {
    out.fail("client bytes queued behind a held call exceed the cap");
    return;
  }
  // The PDU the stream refused is still its next one (it goes on raw after the hand-off).
  ByteSpan raw = fromClient_.peekNext();
  debugLine(events_, MapiDebug::DcerpcLayer, [&] { return "client " + describePdu(raw); });
  switch (fromClient_.errorKind()) {
    case StreamError::DuplicateFirst:
    case StreamError::TooManyCalls:
      // Interleaved calls (PFC_CONC_MPX): not something this AO follows.
      handOff(HandOffReason::ParseError, "interleaved request fragments", out);
      return;
    case StreamError::FragmentWithoutFirst:
      handOff(HandOffReason::ParseError, "request fragment without its first fragment", out);
      return;
    case StreamError::CallTooLarge:
      handOff(HandOffReason::ParseError, "request larger than the AO's cap", out);
      return;
    default:
      handOff(HandOffReason::ParseError, "client PDU: " + fromClient_.error(), out);
      return;
  }
}

void EdgeMapiAo::processClientPdu(dcerpc::StreamPdu item, AoOutput& out) {
  Bytes& raw = item.raw;
  const dcerpc::Pdu& pdu = item.pdu;
  debugLine(events_, MapiDebug::DcerpcLayer, [&] { return "client " + describePdu(raw); });
  ParseResult r = association_.onClientPdu(pdu);
  if (!r.ok()) {
    // A bind (nothing else fails here), so never a fragment the stream holds.
    for (auto& cut : item.abandoned) {
      unsent_.insert(unsent_.end(), cut.fragments.begin(), cut.fragments.end());
    }
    unsent_.push_back(std::move(raw));
    handOff(HandOffReason::ParseError, "client PDU: " + r.error, out);
    return;
  }
  if (!item.abandoned.empty()) {
    // A PDU between a call's fragments (co_cancel, orphaned: C706 12.6.4.8, 12.6.4.11): the
    // fragments before it go first, and the call's others follow unread. Unread, it may touch
    // any object: read-aheads stop before it reaches the server.
    const ClientCall& cut = item.abandoned.front();
    if (isEmsmdb(cut.contextId)) {
      std::vector<uint32_t> ids;
      for (const auto& [id, ra] : readAheads_) {
        ids.push_back(id);
      }
      for (uint32_t id : ids) {
        cancel(id, false, out);
      }
    }
    forward(cut.fragments, out);
  }
  switch (pdu.ptype()) {
    case dcerpc::PType::Bind:
    case dcerpc::PType::AlterContext:
      if (pdu.auth) {
        const auto& t = pdu.auth->trailer;
        // MS-OXCRPC 3.1.4: signed or sealed calls cannot be read or answered here (eMAPI is
        // what would let us; without it the flow goes to the generic AO).
        const bool kerberos =
            t.authType == dcerpc::AuthType::Kerberos || t.authType == dcerpc::AuthType::Spnego;
        // eMAPI: the protection layer around this half opens Kerberos binds and hands us plain
        // PDUs (or hands the flow off itself, naming why).
        if (t.authLevel >= dcerpc::AuthLevel::PktIntegrity &&
            !(config_.openProtectedBinds && kerberos)) {
          unsent_.push_back(std::move(raw));
          handOff(
              HandOffReason::Encrypted,
              std::string(t.authLevel == dcerpc::AuthLevel::PktPrivacy ? "PRIVACY" : "INTEGRITY") +
                  " AuthType:" + std::to_string(static_cast<int>(t.authType)) +
                  " AuthCtxId: " + std::to_string(t.authContextId),
              out);
          return;
        }
        if (t.authType == dcerpc::AuthType::Ntlm) {
          unsent_.push_back(std::move(raw));
          handOff(HandOffReason::Ntlm,
                  "AuthType:NTLM AuthCtxId: " + std::to_string(t.authContextId), out);
          return;
        }
      }
      if (pdu.ptype() == dcerpc::PType::Bind && pdu.bind()->assocGroupId != 0) {
        if (auto reason = events_.onJoinGroup(pdu.bind()->assocGroupId)) {
          unsent_.push_back(std::move(raw));
          handOff(*reason, "its association group was handed off", out);
          return;
        }
      }
      forward(raw, out);
      return;
    case dcerpc::PType::Request:
      if (item.unread) {
        forward(raw, out);
      } else if (item.call) {
        onClientCall(std::move(*item.call), out);
      }
      // Otherwise a fragment of the call in progress: the stream holds it until the last.
      return;
    default:
      forward(raw, out);
      return;
  }
}

void EdgeMapiAo::onClientCall(ClientCall call, AoOutput& out) {
  if (!isEmsmdb(call.contextId)) {
    forward(call.fragments, out);
    return;
  }
  events_.onClientCall(call.callId);
  const Bytes stub = call.stub;
  if (call.opnum == kOpnumEcDoConnectEx) {
    emsmdb::EcDoConnectExRequest req;
    if (!emsmdb::decodeEcDoConnectExRequest(stub, req).ok()) {
      unsent_.insert(unsent_.begin(), call.fragments.begin(), call.fragments.end());
      handOff(HandOffReason::ParseError, "EcDoConnectEx request", out);
      return;
    }
    emsmdb::ClientVersion v = emsmdb::decodeClientVersion(req.rgwClientVersion);
    if ((req.ulFlags & kConnectAdministrator) != 0) {
      // MS-OXCRPC 3.1.4.1: administrator behaviour is what Exchange servers ask of each
      // other (moves, replication); the seed leaves Exchange-to-Exchange to the generic AO.
      unsent_.insert(unsent_.begin(), call.fragments.begin(), call.fragments.end());
      handOff(HandOffReason::ExchangeToExchange,
              "EcDoConnectEx with administrator privilege from " + v.toString(), out);
      return;
    }
    events_.onClientVersion(v);
    emsmdb::OutlookVersion ov = emsmdb::outlookVersion(v);
    if (ov == emsmdb::OutlookVersion::Unknown || ov == emsmdb::OutlookVersion::Newer) {
      unsent_.insert(unsent_.begin(), call.fragments.begin(), call.fragments.end());
      handOff(HandOffReason::UnsupportedClient, "client version " + v.toString(), out);
      return;
    }
    forwardRemote(call, std::nullopt, out);
    return;
  }
  if (call.opnum != emsmdb::kOpnumEcDoRpcExt2) {
    // EcDoDisconnect ends the session (every object goes); anything else we cannot read may
    // touch any object.
    std::vector<uint32_t> ids;
    for (const auto& [id, ra] : readAheads_) {
      ids.push_back(id);
    }
    for (uint32_t id : ids) {
      cancel(id, call.opnum == kOpnumEcDoDisconnect, out);
    }
    forwardRemote(call, std::nullopt, out);
    return;
  }
  RequestSummary s = summarizeRequest(stub);
  debugLine(events_, MapiDebug::EmsmdbLayer, [&] {
    return "call " + std::to_string(call.callId) + ": " + describeEcDoRpcExt2Request(stub);
  });
  debugLine(events_, MapiDebug::RopLayer, [&] {
    return "call " + std::to_string(call.callId) + ": " + describeRopRequests(stub);
  });
  if (!s.decoded) {
    debugLine(events_, MapiDebug::RopParser, [&] {
      return "call " + std::to_string(call.callId) + ": ROP buffer not decoded whole; " +
             (s.objectsBounded ? "it touches at most the objects of its handle table"
                               : "it may touch any object");
    });
  }
  if (groupWritesPendingFor(s)) {
    debugLine(events_, MapiDebug::CommonFlow, [&] {
      return "call " + std::to_string(call.callId) +
             " held: another connection of the association group has unconfirmed writes to "
             "an object it touches";
    });
    Held h;
    h.call = std::move(call);
    h.waitsForGroup = true;
    held_ = std::move(h);
    events_.onGroupWriteWait();
    return;
  }
  onRpcCall(call, stub, s, out);
}

bool EdgeMapiAo::groupWritesPendingFor(const RequestSummary& s) {
  return touchedObjectsKnown(s) ? events_.groupWritesPending(s.contextHandle, s.touchedHandles)
                                : events_.groupWritesPending({}, {});
}

void EdgeMapiAo::onRpcCall(ClientCall& call, const Bytes& stub, const RequestSummary& s,
                           AoOutput& out) {
  if (touchedObjectsKnown(s) && !s.releasedHandles.empty()) {
    events_.onObjectsReleased(s.contextHandle, s.releasedHandles);
  }
  if (s.decoded) {
    for (auto& [id, ra] : readAheads_) {
      if (ra.key == s.key && ra.contextId == call.contextId) {
        if (tryLocal(call, ra, out)) {
          return;
        }
        break;
      }
    }
  }
  // Not answered here: a read-ahead on an object this call touches must stop before the
  // call reaches the server (the core puts the stream position back first).
  std::vector<uint32_t> touched;
  for (const auto& [id, ra] : readAheads_) {
    if (!touchedObjectsKnown(s) || std::find(s.touchedHandles.begin(), s.touchedHandles.end(),
                                             ra.objectHandle) != s.touchedHandles.end()) {
      touched.push_back(id);
    }
  }
  for (uint32_t id : touched) {
    cancel(id, s.decoded && s.onlyReleases, out);
  }
  if (s.write && writeBehind(call, stub, s, out)) {
    return;
  }
  if (s.decoded && s.onlyReleases && releaseBehind(call, stub, s.contextHandle, out)) {
    return;
  }
  forwardRemote(call, s.candidate, out);
}

bool EdgeMapiAo::writeBehind(ClientCall& call, const Bytes& stub, const RequestSummary& s,
                             AoOutput& out) {
  const WriteCandidate& w = *s.write;
  // dataBytes 0 marks a release-only call on the record (ao_record.h): an empty write is
  // simply sent on.
  if (!config_.writeBehind || w.dataBytes == 0) {
    return false;
  }
  // The window counts data bytes; unconfirmed calls are capped in number too (a release-only
  // call carries none, and both halves keep every unconfirmed call until the server answers).
  if (writeInFlight_ + w.dataBytes > config_.writeWindowBytes ||
      unconfirmed_.size() >= config_.maxUnconfirmedCalls) {
    if (writeInFlight_ == 0) {
      return false;  // a window smaller than one write: the server answers it
    }
    // The window is full: the client waits for the next WriteAck, which frees window within
    // about a round trip of the oldest write, not for this write's own round trip (as it did
    // when such a write went to the server: the WAN then idled for most of an RTT).
    debugLine(events_, MapiDebug::CommonFlow, [&] {
      return "call " + std::to_string(call.callId) + " (RopWriteStream, " +
             std::to_string(w.dataBytes) + " bytes) held: write window full (" +
             std::to_string(writeInFlight_) + " of " + std::to_string(config_.writeWindowBytes) +
             " bytes unconfirmed)";
    });
    held_ = Held{std::move(call), 0, true};
    events_.onWriteWindowWait();
    return true;
  }
  if (!answerBehind(call, makeWriteStreamAnswer(stub), s.contextHandle, w.objectHandle, w.dataBytes,
                    out)) {
    return false;
  }
  events_.onWriteOptimized(w.dataBytes);
  debugLine(events_, MapiDebug::CommonFlow, [&] {
    return "call " + std::to_string(call.callId) + " (RopWriteStream, " +
           std::to_string(w.dataBytes) + " bytes to " + hexHandle(w.objectHandle) +
           ") answered at the edge; " + std::to_string(writeInFlight_) + " bytes unconfirmed";
  });
  return true;
}

bool EdgeMapiAo::releaseBehind(ClientCall& call, const Bytes& stub, const Bytes& contextHandle,
                               AoOutput& out) {
  // RopRelease has no answer to wait for (MS-OXCROPS 2.2.15.3): the client's round trip buys
  // nothing. It is answered here like a write, and the server's own answer is checked at the
  // core before any later call of the client's reaches the server.
  if (!config_.writeBehind || unconfirmed_.size() >= config_.maxUnconfirmedCalls ||
      !answerBehind(call, makeReleaseAnswer(stub), contextHandle, 0, 0, out)) {
    return false;
  }
  debugLine(events_, MapiDebug::CommonFlow, [&] {
    return "call " + std::to_string(call.callId) + " (RopRelease only) answered at the edge";
  });
  return true;
}

bool EdgeMapiAo::answerBehind(ClientCall& call, Bytes answerStub, const Bytes& contextHandle,
                              uint32_t objectHandle, uint16_t dataBytes, AoOutput& out) {
  dcerpc::Pdu first;
  if (answerStub.empty() || !dcerpc::decodePdu(call.fragments.front(), first).ok()) {
    return false;
  }
  dcerpc::Pdu answer;
  answer.header = first.header;
  answer.header.ptype = dcerpc::PType::Response;
  answer.header.pfcFlags = dcerpc::pfc::FirstFrag | dcerpc::pfc::LastFrag;
  answer.header.callId = call.callId;
  dcerpc::Response body;
  body.allocHint = static_cast<uint32_t>(answerStub.size());
  body.contextId = call.contextId;
  body.stub = std::move(answerStub);
  answer.body = std::move(body);
  auto bytes = dcerpc::encodePdu(answer);
  if (!bytes || (association_.maxXmitFrag() != 0 && bytes->size() > association_.maxXmitFrag())) {
    return false;
  }
  // The server gets the call as the client sent it; its answer stays at the core, which resets
  // the connection if that answer is not the success given here (MS-OXCROPS 2.2.9.3).
  WriteBehind wb;
  wb.objectHandle = objectHandle;
  wb.dataBytes = dataBytes;
  if (!splitFragments(call.fragments, 0 /* request */, wb.fragmentHeaders, wb.stub)) {
    return false;
  }
  std::vector<size_t> cuts;
  Bytes record = encodeWriteBehind(wb, &cuts);
  out.appendRecord(RecordType::WriteBehind, record, cuts);
  writeInFlight_ += dataBytes;
  unconfirmed_.push_back({contextHandle, objectHandle, dataBytes});
  toClient(std::move(*bytes), out);
  events_.onLocalResponse(call.callId);
  return true;
}

void EdgeMapiAo::forwardRemote(ClientCall& call, std::optional<ReadAheadCandidate> read,
                               AoOutput& out) {
  forward(call.fragments, out);
  // Bounded: a client has few calls outstanding; one that never hears back stops counting.
  if (remoteCalls_.size() < 64) {
    remoteCalls_[call.callId] = read;
  }
  if ((events_.debugMask() & kCallDebugLayers) != 0 && debugCalls_.size() < 64) {
    if (call.opnum == emsmdb::kOpnumEcDoRpcExt2) {
      debugCalls_[call.callId] = call.stub;
    }
  }
}

void EdgeMapiAo::debugServerAnswer(const dcerpc::StreamPdu& item, bool last) {
  const uint32_t callId = item.pdu.header.callId;
  auto request = debugCalls_.find(callId);
  if ((events_.debugMask() & kCallDebugLayers) != 0 && request != debugCalls_.end() &&
      item.pdu.ptype() == dcerpc::PType::Response) {
    debugAnswerBytes_ += item.raw.size();
    if (debugAnswerBytes_ <= config_.maxCallBytes) {  // capped like a client's call
      dcerpc::addFragment(debugAnswer_, item.pdu, item.raw);
    }
    if (last && debugAnswerBytes_ <= config_.maxCallBytes) {
      const Bytes& stub = debugAnswer_.stub;
      debugLine(events_, MapiDebug::EmsmdbLayer, [&] {
        return "answer " + std::to_string(callId) + ": " + describeEcDoRpcExt2Response(stub);
      });
      debugLine(events_, MapiDebug::RopLayer, [&] {
        return "answer " + std::to_string(callId) + ": " +
               describeRopResponses(stub, request->second);
      });
    }
  }
  if (last) {
    debugCalls_.erase(callId);
    debugAnswer_ = dcerpc::Call{};
    debugAnswerBytes_ = 0;
  }
}

bool EdgeMapiAo::tryLocal(ClientCall& call, ReadAhead& ra, AoOutput& out) {
  if (!ra.ready.empty()) {
    serve(call, ra, out);
    return true;
  }
  if (!ra.ended) {
    debugLine(events_, MapiDebug::CommonFlow, [&] {
      return "call " + std::to_string(call.callId) + " waits for read-ahead " +
             std::to_string(ra.id) + "'s next answer";
    });
    held_ = Held{std::move(call), ra.id};
    return true;
  }
  // Everything prefetched was used and the core stopped: the server's position is exactly
  // where the client thinks it is, so the call simply goes to the server.
  cancel(ra.id, false, out);
  return false;
}

void EdgeMapiAo::serve(ClientCall& call, ReadAhead& ra, AoOutput& out) {
  ReadAheadData d = std::move(ra.ready.front());
  ra.ready.pop_front();
  readyBytes_ -= d.stub.size() + d.fragmentHeaders.size();
  ++ra.consumed;
  toClient(d.toFragments(call.callId), out);
  out.appendRecord(RecordType::ReadAheadConsumed, encodeReadAheadConsumed(ra.id, 1));
  events_.onLocalResponse(call.callId);
  events_.onReadResponse(ra.kind, d.dataBytes);
  events_.onReadAheadAccumulated(readyBytes_);
  debugLine(events_, MapiDebug::CommonFlow, [&] {
    return "call " + std::to_string(call.callId) + " answered locally from read-ahead " +
           std::to_string(ra.id) + " (" + std::to_string(d.dataBytes) + " data bytes; " +
           std::to_string(readyBytes_) + " bytes still prefetched here)";
  });
  retireIfDone(ra.id, out);
}

void EdgeMapiAo::releaseHeld(AoOutput& out) {
  if (!held_) {
    return;
  }
  Held h = std::move(*held_);
  held_.reset();
  auto it = readAheads_.find(h.readAheadId);
  if (it == readAheads_.end() || !tryLocal(h.call, it->second, out)) {
    std::optional<ReadAheadCandidate> read = summarizeRequest(h.call.stub).candidate;
    forwardRemote(h.call, read, out);
  }
  drainClientQueue(out);
}

void EdgeMapiAo::releaseHeldWrite(AoOutput& out) {
  if (!held_ || !held_->waitsForWindow) {
    return;
  }
  Held h = std::move(*held_);
  held_.reset();
  const Bytes stub = h.call.stub;
  RequestSummary s = summarizeRequest(stub);
  if (!s.write || !writeBehind(h.call, stub, s, out)) {
    forwardRemote(h.call, std::nullopt, out);
  }
  drainClientQueue(out);
}

bool EdgeMapiAo::releasesPending(ByteSpan contextHandle) const {
  for (const auto& w : unconfirmed_) {
    if (w.dataBytes == 0 &&
        (contextHandle.empty() || std::equal(w.contextHandle.begin(), w.contextHandle.end(),
                                             contextHandle.begin(), contextHandle.end()))) {
      return true;
    }
  }
  return false;
}

bool EdgeMapiAo::writesPending(ByteSpan contextHandle, const std::vector<uint32_t>& handles) const {
  for (const auto& w : unconfirmed_) {
    if (w.dataBytes == 0) {
      continue;
    }
    if (contextHandle.empty()) {
      return true;
    }
    if (std::equal(w.contextHandle.begin(), w.contextHandle.end(), contextHandle.begin(),
                   contextHandle.end()) &&
        std::find(handles.begin(), handles.end(), w.objectHandle) != handles.end()) {
      return true;
    }
  }
  return false;
}

void EdgeMapiAo::retryGroupHold(AoOutput& out) {
  if (!held_ || !held_->waitsForGroup || clientHandedOff_) {
    return;
  }
  const Bytes stub = held_->call.stub;
  RequestSummary s = summarizeRequest(stub);
  if (groupWritesPendingFor(s)) {
    return;
  }
  Held h = std::move(*held_);
  held_.reset();
  onRpcCall(h.call, stub, s, out);
  drainClientQueue(out);
}

void EdgeMapiAo::releaseObjects(ByteSpan contextHandle, const std::vector<uint32_t>& handles,
                                AoOutput& out) {
  if (clientHandedOff_) {
    return;
  }
  std::vector<uint32_t> ids;
  for (const auto& [id, ra] : readAheads_) {
    if (std::equal(ra.contextHandle.begin(), ra.contextHandle.end(), contextHandle.begin(),
                   contextHandle.end()) &&
        std::find(handles.begin(), handles.end(), ra.objectHandle) != handles.end()) {
      ids.push_back(id);
    }
  }
  if (!ids.empty()) {
    events_.onReadAheadsEndedByRelease(ids.size());
  }
  for (uint32_t id : ids) {
    // Released: the core forgets it without restoring a stream position (releaseOnly).
    cancel(id, true, out);
    if (held_ && held_->waitsFor(id)) {
      releaseHeld(out);  // a call on the released object: the server answers it (an error)
    }
  }
}

void EdgeMapiAo::retireIfDone(uint32_t id, AoOutput& out) {
  auto it = readAheads_.find(id);
  // Ended and every answer taken: the client has had the last one (a short read, Done), so
  // both halves forget it (a stream read to its end is often released on another connection,
  // and a connection runs only maxReadAheads at a time).
  if (it != readAheads_.end() && it->second.ended && it->second.ready.empty() &&
      !(held_ && held_->waitsFor(id))) {
    cancel(id, false, out);
  }
}

void EdgeMapiAo::cancel(uint32_t id, bool releaseOnly, AoOutput& out) {
  auto it = readAheads_.find(id);
  if (it == readAheads_.end()) {
    return;
  }
  for (const auto& d : it->second.ready) {
    readyBytes_ -= d.stub.size() + d.fragmentHeaders.size();
  }
  ReadAheadCancel c{id, it->second.consumed, releaseOnly};
  debugLine(events_, MapiDebug::CommonFlow, [&] {
    return "read-ahead " + std::to_string(id) + " on " + hexHandle(it->second.objectHandle) +
           " ends after " + std::to_string(c.consumed) + " local answers" +
           (it->second.ready.empty()
                ? ""
                : ", " + std::to_string(it->second.ready.size()) + " prefetched answers dropped") +
           (releaseOnly ? " (object released)" : "");
  });
  out.appendRecord(RecordType::ReadAheadCancel, encodeReadAheadCancel(c));
  readAheads_.erase(it);
}

void EdgeMapiAo::forward(const std::vector<Bytes>& fragments, AoOutput& out) {
  for (const auto& f : fragments) {
    forward(f, out);
  }
}

void EdgeMapiAo::forward(const Bytes& pdu, AoOutput& out) {
  out.appendRecord(RecordType::Pdus, pdu);
}

void EdgeMapiAo::handOff(HandOffReason reason, const std::string& detail, AoOutput& out) {
  if (clientHandedOff_) {
    return;
  }
  events_.onHandOff(reason, detail);
  debugLine(events_,
            reason == HandOffReason::ParseError ? MapiDebug::RpcParser : MapiDebug::CommonFlow,
            [&] {
              return std::string("hand-off to the generic AO: ") + handOffReasonName(reason) +
                     " (" + detail + ")";
            });
  std::vector<uint32_t> ids;
  for (const auto& [id, ra] : readAheads_) {
    ids.push_back(id);
  }
  for (uint32_t id : ids) {
    cancel(id, false, out);
  }
  out.appendRecord(RecordType::HandOff, encodeHandOff(reason));
  clientHandedOff_ = true;
  // Everything not yet relayed, in the order the client sent it, unframed from here on.
  Bytes& raw = out.toPeer;
  if (held_) {
    for (const auto& f : held_->call.fragments) {
      raw.insert(raw.end(), f.begin(), f.end());
    }
    held_.reset();
  }
  for (const auto& p : unsent_) {
    raw.insert(raw.end(), p.begin(), p.end());
  }
  unsent_.clear();
  for (const auto& p : fromClient_.takeUnreadPdus()) {
    raw.insert(raw.end(), p.begin(), p.end());
  }
  Bytes rest = fromClient_.takeUnframed();
  raw.insert(raw.end(), rest.begin(), rest.end());
}

bool EdgeMapiAo::onClientEof(AoOutput& out) {
  if (held_) {
    return false;
  }
  if (clientHandedOff_) {
    return true;
  }
  // A call that will never be complete still goes to the server as it is.
  for (const auto& f : fromClient_.takeUnreadPdus()) {
    forward(f, out);
  }
  Bytes rest = fromClient_.takeUnframed();
  if (!rest.empty()) {
    out.appendRecord(RecordType::Pdus, rest);
  }
  return true;
}

// ---- core -> client ----------------------------------------------------------------------

void EdgeMapiAo::onPeerData(ByteSpan data, AoOutput& out) {
  std::vector<Record> records;
  Bytes raw;
  ParseResult r = peerReader_.feed(data, records, raw);
  if (!r.ok()) {
    out.fail("MAPI AO record stream from the core: " + r.error);
    return;
  }
  for (auto& rec : records) {
    if (out.reset) {
      return;
    }
    onRecord(rec, out);
  }
  if (!raw.empty() && !out.reset) {
    out.toLocal.insert(out.toLocal.end(), raw.begin(), raw.end());
  }
}

void EdgeMapiAo::onRecord(Record& rec, AoOutput& out) {
  debugLine(events_, MapiDebug::Transport, [&] {
    return "from core: " + recordTypeName(static_cast<uint8_t>(rec.type)) + " " +
           std::to_string(rec.body.size()) + " bytes";
  });
  switch (rec.type) {
    case RecordType::Pdus: {
      (void)fromServer_.feed(rec.body);
      dcerpc::StreamPdu item;
      ParseResult r;
      while ((r = fromServer_.next(item)).ok()) {
        onServerPdu(std::move(item), out);
      }
      // The core hands off what it cannot frame and decode, before it would reach us.
      if (r.status == ParseStatus::Error) {
        out.fail("server stream does not frame (the core should have handed off): " + r.error);
      }
      return;
    }
    case RecordType::ReadAheadStart: {
      ReadAheadStart s;
      if (!decodeReadAheadStart(rec.body, s)) {
        out.fail("malformed ReadAheadStart");
        return;
      }
      if (clientHandedOff_) {
        return;  // the core learns from our HandOff that nothing will be consumed
      }
      RequestSummary sum = summarizeRequest(s.requestStub);
      if (!sum.decoded || !sum.candidate || readAheads_.count(s.id) != 0 ||
          readAheads_.size() >= config_.maxReadAheads) {
        out.fail("ReadAheadStart for a request that is not a read-ahead candidate");
        return;
      }
      ReadAhead ra;
      ra.id = s.id;
      ra.kind = s.kind;
      ra.objectHandle = s.objectHandle;
      ra.contextId = s.contextId;
      ra.key = std::move(sum.key);
      ra.contextHandle = std::move(sum.contextHandle);
      debugLine(events_, MapiDebug::CommonFlow, [&] {
        return "read-ahead " + std::to_string(s.id) + " (" + readAheadKindName(s.kind) + ") on " +
               hexHandle(s.objectHandle) + " announced by the core";
      });
      readAheads_.emplace(s.id, std::move(ra));
      return;
    }
    case RecordType::ReadAheadData: {
      ReadAheadData d;
      if (!decodeReadAheadData(rec.body, d)) {
        out.fail("malformed ReadAheadData");
        return;
      }
      auto it = readAheads_.find(d.id);
      if (it == readAheads_.end()) {
        return;  // cancelled here already: the core drops it too once it reads our Cancel
      }
      readyBytes_ += d.stub.size() + d.fragmentHeaders.size();
      // The core keeps at most a window in flight per read-ahead; twice that over all of them
      // (plus framing) means it does not honour the window.
      if (readyBytes_ > 2 * config_.readAheadWindowBytes * config_.maxReadAheads + (1u << 20)) {
        out.fail("read-ahead data beyond the window");
        return;
      }
      it->second.ready.push_back(std::move(d));
      events_.onReadAheadAccumulated(readyBytes_);
      if (held_ && held_->waitsFor(it->first)) {
        releaseHeld(out);
      }
      return;
    }
    case RecordType::ReadAheadEnd: {
      uint32_t id = 0;
      if (!decodeReadAheadId(rec.body, id)) {
        out.fail("malformed ReadAheadEnd");
        return;
      }
      auto it = readAheads_.find(id);
      if (it == readAheads_.end()) {
        return;
      }
      it->second.ended = true;
      if (held_ && held_->waitsFor(id)) {
        releaseHeld(out);
      } else {
        retireIfDone(id, out);
      }
      return;
    }
    case RecordType::HandOff: {
      HandOffReason reason{};
      if (!decodeHandOff(rec.body, reason)) {
        out.fail("malformed HandOff");
        return;
      }
      if (!pendingLocal_.empty() || serverMidResponse_) {
        out.fail("hand-off inside a fragmented server response");
        return;
      }
      serverHandedOff_ = true;
      for (const auto& p : fromServer_.takeUnreadPdus()) {
        out.toLocal.insert(out.toLocal.end(), p.begin(), p.end());
      }
      Bytes rest = fromServer_.takeUnframed();
      out.toLocal.insert(out.toLocal.end(), rest.begin(), rest.end());
      handOff(reason, "the core handed off", out);
      return;
    }
    case RecordType::WriteAck: {
      uint32_t count = 0, bytes = 0;
      if (!decodeReadAheadConsumed(rec.body, count, bytes) || count > unconfirmed_.size()) {
        out.fail("malformed WriteAck");
        return;
      }
      uint64_t confirmed = 0;
      std::vector<UnconfirmedWrite> done;
      for (uint32_t i = 0; i < count; ++i) {
        confirmed += unconfirmed_.front().dataBytes;
        done.push_back(std::move(unconfirmed_.front()));
        unconfirmed_.pop_front();
      }
      if (confirmed != bytes) {
        out.fail("WriteAck does not match the writes sent");
        return;
      }
      writeInFlight_ -= bytes;
      for (const auto& w : done) {
        if (w.dataBytes != 0 ? !writesPending(w.contextHandle, {w.objectHandle})
                             : !releasesPending(w.contextHandle)) {
          events_.onWritesSettled(w.contextHandle, w.objectHandle);
        }
      }
      releaseHeldWrite(out);
      return;
    }
    case RecordType::ReadAheadConsumed:
    case RecordType::ReadAheadCancel:
    case RecordType::WriteBehind:
      out.fail("edge-to-core record received from the core");
      return;
  }
}

void EdgeMapiAo::onServerPdu(dcerpc::StreamPdu item, AoOutput& out) {
  const Bytes& raw = item.raw;
  debugLine(events_, MapiDebug::DcerpcLayer, [&] { return "server " + describePdu(raw); });
  dcerpc::PType type = item.pdu.ptype();
  uint8_t flags = item.pdu.header.pfcFlags;
  if (type == dcerpc::PType::BindAck || type == dcerpc::PType::AlterContextResp ||
      type == dcerpc::PType::BindNak) {
    if (!association_.onServerPdu(item.pdu).ok()) {
      out.toLocal.insert(out.toLocal.end(), raw.begin(), raw.end());
      handOff(HandOffReason::ParseError, "bind answer", out);
      return;
    }
    if (!bound_ && !clientHandedOff_) {
      for (const auto& [id, ctx] : association_.contexts()) {
        if (isEmsmdb(id) || isAsyncEmsmdbContext(association_, id)) {
          bound_ = true;
          events_.onBound(association_.assocGroupId());
          break;
        }
      }
    }
  } else if (type == dcerpc::PType::Response || type == dcerpc::PType::Fault) {
    bool first = (flags & dcerpc::pfc::FirstFrag) != 0;
    bool last = (flags & dcerpc::pfc::LastFrag) != 0 || type == dcerpc::PType::Fault;
    if (first && !last) {
      serverMidResponse_ = true;
    }
    uint32_t callId = item.pdu.header.callId;
    auto rc = remoteCalls_.find(callId);
    if (rc != remoteCalls_.end() && rc->second && type == dcerpc::PType::Response) {
      auto& answer = remoteReadFragments_[callId];
      size_t held = raw.size() + answer.wireBytes();
      if (held > config_.maxCallBytes) {
        // Kept only to count the data it carries (statistics): an answer beyond the call cap
        // is relayed uncounted rather than held.
        remoteReadFragments_.erase(callId);
        rc->second.reset();
      } else {
        dcerpc::addFragment(answer, item.pdu, raw);
        if (last) {
          ResponseSummary sum = summarizeReadAheadResponse(answer.stub, *rc->second);
          if (sum.decoded) {
            events_.onReadResponse(rc->second->kind, sum.dataBytes);
          }
          remoteReadFragments_.erase(callId);
        }
      }
    }
    debugServerAnswer(item, last);
    if (last) {
      serverMidResponse_ = false;
      remoteReadFragments_.erase(callId);
      if (remoteCalls_.erase(callId) != 0) {
        events_.onRemoteResponse(callId);
      }
    }
  }
  out.toLocal.insert(out.toLocal.end(), raw.begin(), raw.end());
  if (!serverMidResponse_ && !pendingLocal_.empty()) {
    out.toLocal.insert(out.toLocal.end(), pendingLocal_.begin(), pendingLocal_.end());
    pendingLocal_.clear();
  }
}

void EdgeMapiAo::toClient(Bytes&& pdus, AoOutput& out) {
  if (serverMidResponse_) {
    pendingLocal_.insert(pendingLocal_.end(), pdus.begin(), pdus.end());
    return;
  }
  out.toLocal.insert(out.toLocal.end(), pdus.begin(), pdus.end());
}

}  // namespace bh::mapi::mapi_ao
