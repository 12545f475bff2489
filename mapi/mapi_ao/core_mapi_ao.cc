#include "mapi/mapi_ao/core_mapi_ao.h"

#include <algorithm>
#include <limits>

#include "mapi/dcerpc/pdu_codec.h"
#include "mapi/mapi_ao/call_description.h"
#include "mapi/mapi_ao/emsmdb_context.h"
#include "mapi/emsmdb/ec_do_rpc_ext2.h"

namespace bh::mapi::mapi_ao {

namespace {
constexpr uint32_t kUnknownBytes = std::numeric_limits<uint32_t>::max();
} // namespace

CoreMapiAo::CoreMapiAo(MapiAoConfig config, MapiAoEvents& events)
    : config_(config), events_(events) {}

size_t CoreMapiAo::bufferedBytes() const {
  size_t n = peerReader_.bufferedBytes() + clientFramer_.bufferedBytes() +
             serverFramer_.bufferedBytes() + blockedBytes_;
  for (const auto& [id, frags] : candidateFragments_) {
    for (const auto& f : frags) {
      n += f.size();
    }
  }
  for (const auto& [id, inj] : injected_) {
    for (const auto& f : inj.fragments) {
      n += f.size();
    }
  }
  for (const auto& [id, w] : writes_) {
    for (const auto& f : w.fragments) {
      n += f.size();
    }
  }
  return n;
}

bool CoreMapiAo::isEmsmdb(uint16_t contextId) const {
  return isEmsmdbContext(association_, contextId);
}

uint32_t CoreMapiAo::nextInjectedId() {
  for (;;) {
    uint32_t id = nextInjected_++;
    if (nextInjected_ == 0) {
      nextInjected_ = kInjectedCallIdBase;
    }
    if (clientCalls_.count(id) == 0 && injected_.count(id) == 0 && writes_.count(id) == 0) {
      return id;
    }
  }
}

// ---- edge -> server ----------------------------------------------------------------------

void CoreMapiAo::onPeerData(ByteSpan data, AoOutput& out) {
  std::vector<Record> records;
  Bytes raw;
  ParseResult r = peerReader_.feed(data, records, raw);
  if (!r.ok()) {
    out.fail("MAPI AO record stream from the edge: " + r.error);
    return;
  }
  for (auto& rec : records) {
    if (out.reset) {
      return;
    }
    if (blocked() || !blockedInput_.empty()) {
      blockedBytes_ += rec.body.size();
      blockedInput_.push_back({false, std::move(rec), {}});
    } else {
      onRecord(std::move(rec), out);
    }
  }
  if (!raw.empty()) {
    if (!writes_.empty()) {
      // The edge handed off with writes it answered unconfirmed: the client's bytes after them
      // wait for the server's answers like its framed calls did (a commit must not overtake a
      // failed write).
      writeWait_ = true;
    }
    if (blocked() || !blockedInput_.empty()) {
      blockedBytes_ += raw.size();
      blockedInput_.push_back({true, {}, std::move(raw)});
    } else {
      out.toLocal.insert(out.toLocal.end(), raw.begin(), raw.end());
    }
  }
  if (blockedBytes_ > config_.maxBlockedBytes) {
    out.fail("client bytes held while restoring a stream position exceed the cap");
  }
}

void CoreMapiAo::onRecord(Record rec, AoOutput& out) {
  debugLine(events_, MapiDebug::Transport, [&] {
    return "from edge: " + recordTypeName(static_cast<uint8_t>(rec.type)) + " " +
           std::to_string(rec.body.size()) + " bytes";
  });
  switch (rec.type) {
  case RecordType::Pdus: {
    if (!writes_.empty()) {
      // The edge already told the client its writes succeeded: nothing else of the client's
      // reaches the server before the server confirmed them (a commit after a failed write
      // would store a partial stream).
      writeWait_ = true;
      blockedBytes_ += rec.body.size();
      blockedInput_.push_front({false, std::move(rec), {}});
      return;
    }
    std::vector<Bytes> pdus;
    ParseResult r = clientFramer_.feed(rec.body, pdus);
    for (auto& p : pdus) {
      if (out.reset) {
        return;
      }
      onClientPdu(std::move(p), out);
    }
    if (!r.ok()) {
      out.fail("client stream does not frame (the edge should have handed off): " + r.error);
    }
    return;
  }
  case RecordType::ReadAheadConsumed: {
    uint32_t id = 0, count = 0;
    if (!decodeReadAheadConsumed(rec.body, id, count)) {
      out.fail("malformed ReadAheadConsumed");
      return;
    }
    auto it = readAheads_.find(id);
    if (it == readAheads_.end()) {
      return;
    }
    ReadAhead& ra = it->second;
    if (count > ra.answered - std::min(ra.consumed, ra.answered)) {
      out.fail("the edge consumed read-ahead answers it was never sent");
      return;
    }
    ra.consumed += count;
    inject(ra, out);
    return;
  }
  case RecordType::ReadAheadCancel: {
    ReadAheadCancel c;
    if (!decodeReadAheadCancel(rec.body, c)) {
      out.fail("malformed ReadAheadCancel");
      return;
    }
    onCancel(c, out);
    return;
  }
  case RecordType::HandOff: {
    HandOffReason reason{};
    if (!decodeHandOff(rec.body, reason)) {
      out.fail("malformed HandOff");
      return;
    }
    onEdgeHandOff(out);
    return;
  }
  case RecordType::WriteBehind: {
    WriteBehind wb;
    if (!decodeWriteBehind(rec.body, wb)) {
      out.fail("malformed WriteBehind");
      return;
    }
    onWriteBehind(wb, out);
    return;
  }
  case RecordType::ReadAheadStart:
  case RecordType::ReadAheadData:
  case RecordType::ReadAheadEnd:
  case RecordType::WriteAck:
    out.fail("core-to-edge record received from the edge");
    return;
  }
}

void CoreMapiAo::onWriteBehind(const WriteBehind& wb, AoOutput& out) {
  if (clientFramer_.bufferedBytes() != 0 || passive_) {
    out.fail("write-behind in the middle of a client PDU");
    return;
  }
  // The call id is the client's: the first header's, and every fragment keeps it.
  uint32_t callId = pduCallId(wb.fragmentHeaders);
  Bytes joined = joinFragments(wb.fragmentHeaders, wb.stub, callId);
  PduFramer framer;
  std::vector<Bytes> pdus;
  if (joined.empty() || !framer.feed(joined, pdus).ok() || framer.bufferedBytes() != 0 ||
      pdus.empty()) {
    out.fail("write-behind call does not frame");
    return;
  }
  if (injected_.count(callId) != 0 || writes_.count(callId) != 0) {
    out.fail("write-behind call id " + std::to_string(callId) + " already in use");
    return;
  }
  writes_[callId] = PendingWrite{wb.objectHandle, wb.dataBytes, {}};
  debugLine(events_, MapiDebug::CommonFlow, [&] {
    return "call " + std::to_string(callId) + " (" +
           (wb.dataBytes == 0 ? std::string("RopRelease only")
                              : "RopWriteStream, " + std::to_string(wb.dataBytes) +
                                    " bytes to " + hexHandle(wb.objectHandle)) +
           ") answered by the edge: to the server, its answer checked here (" +
           std::to_string(writes_.size()) + " unconfirmed)";
  });
  for (const auto& p : pdus) {
    out.toLocal.insert(out.toLocal.end(), p.begin(), p.end());
  }
}

void CoreMapiAo::onClientPdu(Bytes raw, AoOutput& out) {
  if (passive_) {
    out.toLocal.insert(out.toLocal.end(), raw.begin(), raw.end());
    return;
  }
  dcerpc::PType type = pduType(raw);
  uint8_t flags = pduFlags(raw);
  uint32_t callId = pduCallId(raw);
  if (type == dcerpc::PType::Bind || type == dcerpc::PType::AlterContext) {
    dcerpc::Pdu pdu;
    if (!dcerpc::decodePdu(raw, pdu).ok() || !association_.onClientPdu(pdu).ok()) {
      passive_ = readAheads_.empty() && injected_.empty();
      if (!passive_) {
        out.fail("client bind does not parse during read-ahead");
        return;
      }
    }
  } else if (type == dcerpc::PType::Request) {
    if (injected_.count(callId) != 0) {
      out.fail("client call id " + std::to_string(callId) + " collides with an injected call");
      return;
    }
    if ((flags & dcerpc::pfc::FirstFrag) != 0 && clientCalls_.size() < 16 * config_.maxTrackedCalls) {
      clientCalls_.insert(callId);
    }
    bool whole = (flags & dcerpc::pfc::FirstFrag) && (flags & dcerpc::pfc::LastFrag);
    bool considered = config_.readAhead && readAheads_.size() < config_.maxReadAheads &&
                      candidates_.size() < config_.maxTrackedCalls;
    bool running = std::any_of(readAheads_.begin(), readAheads_.end(),
                               [](const auto& e) { return !e.second.cancelled; });
    dcerpc::Pdu pdu;
    if (whole && (considered || running) && dcerpc::decodePdu(raw, pdu).ok() && !pdu.auth) {
      const auto* req = pdu.request();
      if (req && isEmsmdb(req->contextId)) {
        RequestSummary s;
        if (req->opnum == emsmdb::kOpnumEcDoRpcExt2) {
          s = summarizeRequest(req->stub);
        }
        if (running && touchesRunningReadAhead(s, out)) {
          return;
        }
        if (considered && s.candidate) {
          candidates_[callId] = Candidate{*s.candidate, req->contextId, raw, req->stub};
        }
      }
    }
  }
  out.toLocal.insert(out.toLocal.end(), raw.begin(), raw.end());
}

bool CoreMapiAo::touchesRunningReadAhead(const RequestSummary& s, AoOutput& out) {
  // The edge ends a read-ahead (ReadAheadCancel, ahead of the call on the record stream) before
  // it sends on any call that touches its object, and ends all of them before a call whose
  // objects it cannot tell (one it cannot decode, one that is not EcDoRpcExt2). A call that
  // reaches the server while a read-ahead of its object still runs therefore left the edge
  // before the edge heard of the read-ahead: the client sent it before the answer that started
  // it (a synchronous RPC owns its connection until answered, so a Windows client does not).
  // The server would answer it behind the injected calls, from a position the client never
  // asked for; reset rather than let it read the wrong bytes.
  for (const auto& [id, ra] : readAheads_) {
    if (ra.cancelled) {
      continue;
    }
    if (!touchedObjectsKnown(s) ||
        std::find(s.touchedHandles.begin(), s.touchedHandles.end(),
                  ra.candidate.objectHandle) != s.touchedHandles.end()) {
      out.fail("a client call reached the core while read-ahead " + std::to_string(id) +
               " of an object it touches ran unannounced to the edge (calls pipelined on one "
               "connection)");
      return true;
    }
  }
  return false;
}

void CoreMapiAo::onCancel(const ReadAheadCancel& c, AoOutput& out) {
  auto it = readAheads_.find(c.id);
  if (it == readAheads_.end() || it->second.cancelled) {
    return;
  }
  ReadAhead& ra = it->second;
  if (c.consumed > ra.answered) {
    out.fail("ReadAheadCancel claims answers never sent");
    return;
  }
  ra.cancelled = true;
  ra.consumed = c.consumed;
  ra.releaseOnly = c.releaseOnly;
  debugLine(events_, MapiDebug::CommonFlow, [&] {
    return "read-ahead " + std::to_string(ra.id) + " cancelled by the edge after " +
           std::to_string(c.consumed) + " of " + std::to_string(ra.answered) +
           " answers taken, " + std::to_string(ra.issued - ra.answered) + " still at the server" +
           (c.releaseOnly ? " (object released)" : "");
  });
  ++restoring_; // what the edge sends after this waits until the server is where it expects
  if (ra.answered == ra.issued) {
    finishCancel(ra, out);
  }
}

void CoreMapiAo::finishCancel(ReadAhead& ra, AoOutput& out) {
  uint64_t unread = 0;
  bool unknown = false;
  for (size_t i = ra.consumed; i < ra.dataBytes.size(); ++i) {
    if (ra.dataBytes[i] == kUnknownBytes) {
      unknown = true;
    } else {
      unread += ra.dataBytes[i];
    }
  }
  uint32_t id = ra.id;
  if (ra.releaseOnly || (unread == 0 && !unknown)) {
    readAheads_.erase(id);
    --restoring_;
    unblock(out);
    return;
  }
  if (ra.candidate.kind == ReadAheadKind::FastTransferGetBuffer) {
    out.fail("FastTransfer read-ahead abandoned with " + std::to_string(unread) +
             " bytes the client never took (a FastTransfer stream cannot be rewound)");
    return;
  }
  if (unknown) {
    out.fail("cannot restore the stream position: an injected answer did not decode");
    return;
  }
  Bytes stub = makeSeekCurrentRequest(ra.requestStub, ra.candidate.logonId,
                                      ra.candidate.objectHandle, -static_cast<int64_t>(unread));
  dcerpc::Pdu pdu;
  if (stub.empty() || !dcerpc::decodePdu(ra.requestPdu, pdu).ok() || !pdu.request()) {
    out.fail("cannot build the RopSeekStream that restores the stream position");
    return;
  }
  dcerpc::Request req = *pdu.request();
  req.stub = std::move(stub);
  req.allocHint = static_cast<uint32_t>(req.stub.size());
  pdu.body = req;
  uint32_t callId = nextInjectedId();
  pdu.header.callId = callId;
  auto bytes = dcerpc::encodePdu(pdu);
  if (!bytes) {
    out.fail("RopSeekStream request does not fit one fragment");
    return;
  }
  injected_[callId] = Injected{id, true, {}};
  ra.seeking = true;
  out.toLocal.insert(out.toLocal.end(), bytes->begin(), bytes->end());
}

void CoreMapiAo::unblock(AoOutput& out) {
  while (!blocked() && !blockedInput_.empty() && !out.reset) {
    BlockedItem item = std::move(blockedInput_.front());
    blockedInput_.pop_front();
    if (item.raw) {
      blockedBytes_ -= item.bytes.size();
      out.toLocal.insert(out.toLocal.end(), item.bytes.begin(), item.bytes.end());
    } else {
      blockedBytes_ -= item.record.body.size();
      onRecord(std::move(item.record), out);
    }
  }
}

void CoreMapiAo::onEdgeHandOff(AoOutput& out) {
  clientHandedOff_ = true;
  // Whatever of a client PDU was framed so far continues in the raw bytes that follow.
  Bytes rest = clientFramer_.takeBuffered();
  out.toLocal.insert(out.toLocal.end(), rest.begin(), rest.end());
  passive_ = true;
  // Read-aheads the edge had not heard of when it handed off: nothing more will be consumed.
  std::vector<uint32_t> open;
  for (const auto& [id, ra] : readAheads_) {
    if (!ra.cancelled) {
      open.push_back(id);
    }
  }
  for (uint32_t id : open) {
    auto it = readAheads_.find(id);
    onCancel(ReadAheadCancel{id, it->second.consumed, false}, out);
  }
  // A candidate whose answer is partly held here keeps its entry: the rest of the answer must
  // join the fragments held, not overtake them (onCandidateAnswer then relays it whole).
  for (auto it = candidates_.begin(); it != candidates_.end();) {
    it = candidateFragments_.count(it->first) != 0 ? std::next(it) : candidates_.erase(it);
  }
}

// ---- server -> edge ----------------------------------------------------------------------

void CoreMapiAo::onServerData(ByteSpan data, AoOutput& out) {
  if (serverHandedOff_) {
    out.toPeer.insert(out.toPeer.end(), data.begin(), data.end());
    return;
  }
  std::vector<Bytes> pdus;
  ParseResult r = serverFramer_.feed(data, pdus);
  for (auto& p : pdus) {
    if (out.reset) {
      return;
    }
    onServerPdu(std::move(p), out);
  }
  if (!r.ok() && !out.reset) {
    if (!readAheads_.empty() || !injected_.empty()) {
      out.fail("server stream does not frame during read-ahead: " + r.error);
      return;
    }
    if (!writes_.empty()) {
      // The edge already answered these calls: their answers can no longer be checked.
      out.fail("server stream does not frame with writes the edge answered unconfirmed: " +
               r.error);
      return;
    }
    handOffServerSide(HandOffReason::ParseError, "server stream: " + r.error, out);
    return;
  }
  // After the edge handed off, this side follows once nothing injected is left.
  if (clientHandedOff_ && !serverHandedOff_ && !out.reset && readAheads_.empty() &&
      injected_.empty() && writes_.empty() && candidateFragments_.empty() &&
      !serverMidResponse_) {
    handOffServerSide(HandOffReason::Other, "edge handed off", out);
  }
}

void CoreMapiAo::onServerPdu(Bytes raw, AoOutput& out) {
  dcerpc::PType type = pduType(raw);
  uint8_t flags = pduFlags(raw);
  uint32_t callId = pduCallId(raw);
  bool last = (flags & dcerpc::pfc::LastFrag) != 0 || type == dcerpc::PType::Fault;
  if (type == dcerpc::PType::BindAck || type == dcerpc::PType::AlterContextResp ||
      type == dcerpc::PType::BindNak) {
    dcerpc::Pdu pdu;
    if (!dcerpc::decodePdu(raw, pdu).ok() || !association_.onServerPdu(pdu).ok()) {
      passive_ = true;
    }
  } else if (type == dcerpc::PType::Response || type == dcerpc::PType::Fault) {
    bool first = (flags & dcerpc::pfc::FirstFrag) != 0;
    serverMidResponse_ = first ? !last : (last ? false : serverMidResponse_);
    auto wr = writes_.find(callId);
    if (wr != writes_.end()) {
      wr->second.bytes += raw.size();
      wr->second.fragments.push_back(std::move(raw));
      if (wr->second.bytes > config_.maxCallBytes) {
        out.fail("the server's answer to a write the edge answered exceeds the call cap");
        return;
      }
      if (last) {
        onWriteAnswer(callId, out);
      }
      return;
    }
    auto inj = injected_.find(callId);
    if (inj != injected_.end()) {
      inj->second.bytes += raw.size();
      inj->second.fragments.push_back(std::move(raw));
      if (inj->second.bytes > config_.maxCallBytes) {
        out.fail("the server's answer to an injected call exceeds the call cap");
        return;
      }
      if (last) {
        Injected done = std::move(inj->second);
        injected_.erase(inj);
        onInjectedAnswer(callId, std::move(done), out);
      }
      return;
    }
    auto cand = candidates_.find(callId);
    if (cand != candidates_.end()) {
      auto& frags = candidateFragments_[callId];
      frags.push_back(std::move(raw));
      size_t total = 0;
      for (const auto& f : frags) {
        total += f.size();
      }
      if (last || total > config_.maxCallBytes || type == dcerpc::PType::Fault) {
        Candidate c = std::move(cand->second);
        candidates_.erase(cand);
        std::vector<Bytes> all = std::move(frags);
        candidateFragments_.erase(callId);
        if (last && type == dcerpc::PType::Response) {
          clientCalls_.erase(callId);
          onCandidateAnswer(callId, std::move(c), std::move(all), out);
        } else {
          Bytes joined;
          for (const auto& f : all) {
            joined.insert(joined.end(), f.begin(), f.end());
          }
          out.appendRecord(RecordType::Pdus, joined);
          if (last) {
            clientCalls_.erase(callId);
          }
        }
      }
      return;
    }
    if (last) {
      clientCalls_.erase(callId);
    }
  }
  out.appendRecord(RecordType::Pdus, raw);
}

void CoreMapiAo::onWriteAnswer(uint32_t callId, AoOutput& out) {
  PendingWrite w = std::move(writes_[callId]);
  writes_.erase(callId);
  Bytes stub;
  if (w.dataBytes == 0) {
    // A release-only call the edge answered (ao_record.h).
    if (!joinStubs(w.fragments, stub) || !releaseSucceeded(stub)) {
      out.fail("the server did not confirm a RopRelease the edge had already answered: "
               "resetting the connection");
      return;
    }
  } else if (!joinStubs(w.fragments, stub) || !writeSucceeded(stub, w.dataBytes)) {
    // MS-OXCROPS 2.2.9.3: the client was told all was written. It must not take the stream
    // as good: the connection goes, so its commit never happens and it sees the failure.
    out.fail("the server did not confirm a RopWriteStream of " + std::to_string(w.dataBytes) +
             " bytes the edge had already acknowledged: resetting the connection");
    return;
  }
  out.appendRecord(RecordType::WriteAck, encodeReadAheadConsumed(1, w.dataBytes));
  debugLine(events_, MapiDebug::CommonFlow, [&] {
    return "call " + std::to_string(callId) + " confirmed by the server (" +
           std::to_string(writes_.size()) + " unconfirmed)";
  });
  if (writes_.empty() && writeWait_) {
    writeWait_ = false;
    unblock(out);
  }
}

void CoreMapiAo::onCandidateAnswer(uint32_t callId, Candidate c, std::vector<Bytes> fragments,
                                   AoOutput& out) {
  Bytes joined;
  for (const auto& f : fragments) {
    joined.insert(joined.end(), f.begin(), f.end());
  }
  Bytes stub;
  ResponseSummary s;
  if (joinStubs(fragments, stub)) {
    s = summarizeReadAheadResponse(stub, c.candidate);
  }
  // A client that pipelines its reads (the next one left before this answer came) has its
  // next read answered full too: a second read-ahead on the stream would inject behind the
  // first one's calls, and the first one's, once its window opens, behind the second one's
  // (the client would read the stream out of order). One read-ahead per object at a time.
  bool running = std::any_of(readAheads_.begin(), readAheads_.end(), [&](const auto& e) {
    return !e.second.cancelled && e.second.candidate.objectHandle == c.candidate.objectHandle;
  });
  if (!s.decoded || !s.success || !s.more || passive_ || clientHandedOff_ || running ||
      readAheads_.size() >= config_.maxReadAheads) {
    out.appendRecord(RecordType::Pdus, joined);
    return;
  }
  // The start goes before the answer: the client's next call can only follow the answer, and
  // by then the edge knows to wait for the prefetched data rather than ask the server.
  ReadAhead ra;
  ra.id = nextReadAheadId_++;
  ra.candidate = c.candidate;
  ra.contextId = c.contextId;
  ra.requestPdu = std::move(c.requestPdu);
  ra.requestStub = std::move(c.requestStub);
  ReadAheadStart start{ra.id, ra.candidate.kind, ra.candidate.objectHandle, ra.contextId,
                       ra.requestStub};
  out.appendRecord(RecordType::ReadAheadStart, encodeReadAheadStart(start));
  out.appendRecord(RecordType::Pdus, joined);
  events_.onReadAheadStarted(ra.candidate.kind);
  debugLine(events_, MapiDebug::CommonFlow, [&] {
    return "read-ahead " + std::to_string(ra.id) + " (" + readAheadKindName(ra.candidate.kind) +
           ", " + std::to_string(ra.candidate.requestedBytes) + " bytes a call) on " +
           hexHandle(ra.candidate.objectHandle) + " starts after call " + std::to_string(callId);
  });
  auto [it, inserted] = readAheads_.emplace(ra.id, std::move(ra));
  inject(it->second, out);
}

void CoreMapiAo::inject(ReadAhead& ra, AoOutput& out) {
  uint32_t per = std::max<uint32_t>(ra.candidate.requestedBytes, 1);
  uint32_t window = static_cast<uint32_t>(std::clamp<size_t>(
      config_.readAheadWindowBytes / per, 2, kMaxReadAheadCalls));
  // A stream's window opens as the client proves it reads on (like TCP slow start): a client
  // that takes two chunks and seeks away costs a few wasted reads on the WAN, not a whole
  // window. A FastTransfer stream cannot be sought or read again (MS-OXCFXICS 3.3.5.7.1): the
  // client reads it to its end or releases it, so its whole window goes at once. (With DRE a
  // warm sync's first 64 answers crossed in 50 ms and the rest waited most of a round trip for
  // the edge's first ReadAheadConsumed.)
  if (ra.candidate.kind == ReadAheadKind::ReadStream) {
    window = std::min<uint32_t>(window, kInitialReadAheadCalls + 4 * ra.consumed);
  }
  while (!ra.stopped && !ra.cancelled && ra.issued - ra.consumed < window) {
    uint32_t id = nextInjectedId();
    Bytes pdu = ra.requestPdu;
    setPduCallId(pdu, id);
    injected_[id] = Injected{ra.id, false, {}};
    ++ra.issued;
    out.toLocal.insert(out.toLocal.end(), pdu.begin(), pdu.end());
  }
}

void CoreMapiAo::maybeEnd(ReadAhead& ra, AoOutput& out) {
  if (ra.stopped && ra.answered == ra.issued && !ra.endSent && !ra.cancelled) {
    out.appendRecord(RecordType::ReadAheadEnd, encodeReadAheadId(ra.id));
    ra.endSent = true;
    debugLine(events_, MapiDebug::CommonFlow, [&] {
      return "read-ahead " + std::to_string(ra.id) + " ends: the server's answer " +
             std::to_string(ra.answered) + " was the last (end of data, or an error)";
    });
  }
}

void CoreMapiAo::onInjectedAnswer(uint32_t callId, Injected inj, AoOutput& out) {
  (void)callId;
  auto it = readAheads_.find(inj.readAheadId);
  if (it == readAheads_.end()) {
    return;
  }
  ReadAhead& ra = it->second;
  Bytes stub;
  bool joined = joinStubs(inj.fragments, stub);
  if (inj.seek) {
    if (!joined || !seekSucceeded(stub)) {
      out.fail("could not restore the stream position after read-ahead (RopSeekStream failed)");
      return;
    }
    readAheads_.erase(it);
    --restoring_;
    unblock(out);
    return;
  }
  ++ra.answered;
  ResponseSummary s;
  if (joined) {
    s = summarizeReadAheadResponse(stub, ra.candidate);
  }
  ReadAheadData d;
  bool plain = ReadAheadData::fromFragments(ra.id, s.decoded ? s.dataBytes : 0, inj.fragments, d);
  // A fault (the call did not run: the session ended, the server is busy) moved nothing; a
  // plain answer we cannot read moved an unknown amount.
  ra.dataBytes.push_back(!plain ? 0 : s.decoded ? s.dataBytes : kUnknownBytes);
  if (!plain || !s.decoded || !s.success || !s.more) {
    ra.stopped = true;
  }
  if (!plain) {
    // Answers after a gap can never be served in order: ship nothing more. When the client
    // asks again the edge cancels, and what the later answers moved is sought back.
    ra.shipStopped = true;
  }
  if (!ra.cancelled) {
    if (!ra.shipStopped) {
      std::vector<size_t> cuts;
      Bytes body = encodeReadAheadData(d, &cuts);
      out.appendRecord(RecordType::ReadAheadData, body, cuts);
      // The answer that ended the read-ahead (a short read, Done, an error) is the last one
      // the client can want: those already asked after it stay here (what they moved, if
      // anything, is sought back should the client read on).
      if (ra.stopped) {
        ra.shipStopped = true;
      }
    }
    inject(ra, out);
    maybeEnd(ra, out);
  } else if (ra.answered == ra.issued) {
    finishCancel(ra, out);
  }
}

void CoreMapiAo::handOffServerSide(HandOffReason reason, const std::string& why,
                                   AoOutput& out) {
  if (serverHandedOff_) {
    return;
  }
  if (!clientHandedOff_) {
    events_.onHandOff(reason, why);
  }
  debugLine(events_, reason == HandOffReason::ParseError ? MapiDebug::RpcParser
                                                         : MapiDebug::CommonFlow,
            [&] {
              return std::string("hand-off to the generic AO: ") + handOffReasonName(reason) +
                     " (" + why + ")";
            });
  // Answers held to judge a read-ahead go first, whole.
  for (auto& [id, frags] : candidateFragments_) {
    for (const auto& f : frags) {
      out.appendRecord(RecordType::Pdus, f);
    }
  }
  candidateFragments_.clear();
  candidates_.clear();
  out.appendRecord(RecordType::HandOff, encodeHandOff(reason));
  serverHandedOff_ = true;
  passive_ = true;
  Bytes rest = serverFramer_.takeBuffered();
  out.toPeer.insert(out.toPeer.end(), rest.begin(), rest.end());
}

void CoreMapiAo::onServerEof(AoOutput& out) {
  if (serverHandedOff_) {
    return;
  }
  for (auto& [id, frags] : candidateFragments_) {
    for (const auto& f : frags) {
      out.appendRecord(RecordType::Pdus, f);
    }
  }
  candidateFragments_.clear();
  Bytes rest = serverFramer_.takeBuffered();
  if (!rest.empty()) {
    out.appendRecord(RecordType::Pdus, rest);
  }
}

} // namespace bh::mapi::mapi_ao
