#include "mapi/mapi_ao/core_mapi_ao.h"

#include <algorithm>
#include <limits>

#include "mapi/dcerpc/pdu_codec.h"
#include "mapi/emsmdb/ec_do_rpc_ext2.h"
#include "mapi/mapi_ao/call_description.h"
#include "mapi/mapi_ao/emsmdb_context.h"

namespace bh::mapi::mapi_ao {

namespace {
constexpr uint32_t kUnknownBytes = std::numeric_limits<uint32_t>::max();

/// Either stream through the core: PDUs only, taken as soon as they are framed (a Pdus record
/// or a socket read is framed whole first).
dcerpc::StreamLimits relayedStreamLimits(const MapiAoConfig& config) {
  dcerpc::StreamLimits l{65535, config.maxCallBytes, 1, 2 * config.maxCallBytes + (1u << 20)};
  l.reassemble = false;
  return l;
}
}  // namespace

CoreMapiAo::CoreMapiAo(MapiAoConfig config, MapiAoEvents& events)
    : config_(config),
      events_(events),
      fromClient_(dcerpc::Sender::Client, relayedStreamLimits(config)),
      fromServer_(dcerpc::Sender::Server, relayedStreamLimits(config)) {}

size_t CoreMapiAo::bufferedBytes() const {
  size_t n = peerReader_.bufferedBytes() + fromClient_.unframedBytes() + fromClient_.queuedBytes() +
             fromServer_.unframedBytes() + fromServer_.queuedBytes() + blockedBytes_;
  for (const auto& [id, answer] : candidateFragments_) {
    n += answer.wireBytes();
  }
  for (const auto& [id, inj] : injected_) {
    n += inj.answer.wireBytes();
  }
  for (const auto& [id, w] : writes_) {
    n += w.answer.wireBytes();
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
      (void)fromClient_.feed(rec.body);
      dcerpc::StreamPdu item;
      ParseResult r;
      while ((r = fromClient_.next(item)).ok()) {
        if (out.reset) {
          return;
        }
        onClientPdu(std::move(item), out);
      }
      // The edge frames and decodes every client PDU before it relays one.
      if (r.status == ParseStatus::Error) {
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
  if (fromClient_.unframedBytes() != 0 || passive_) {
    out.fail("write-behind in the middle of a client PDU");
    return;
  }
  // The call id is the client's: the first header's, and every fragment keeps it.
  uint32_t callId = dcerpc::callIdOf(wb.fragmentHeaders);
  Bytes joined = joinFragments(wb.fragmentHeaders, wb.stub, callId);
  dcerpc::CoStream framer(dcerpc::Sender::Client, relayedStreamLimits(config_));
  std::vector<Bytes> pdus;
  ParseResult fr = framer.feed(joined);
  dcerpc::StreamPdu item;
  while (fr.ok() && (fr = framer.next(item)).ok()) {
    pdus.push_back(std::move(item.raw));
  }
  if (joined.empty() || fr.status == ParseStatus::Error || framer.unframedBytes() != 0 ||
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
                              : "RopWriteStream, " + std::to_string(wb.dataBytes) + " bytes to " +
                                    hexHandle(wb.objectHandle)) +
           ") answered by the edge: to the server, its answer checked here (" +
           std::to_string(writes_.size()) + " unconfirmed)";
  });
  for (const auto& p : pdus) {
    out.toLocal.insert(out.toLocal.end(), p.begin(), p.end());
  }
}

void CoreMapiAo::onClientPdu(dcerpc::StreamPdu item, AoOutput& out) {
  const Bytes& raw = item.raw;
  if (passive_) {
    out.toLocal.insert(out.toLocal.end(), raw.begin(), raw.end());
    return;
  }
  dcerpc::PType type = item.pdu.ptype();
  uint8_t flags = item.pdu.header.pfcFlags;
  uint32_t callId = item.pdu.header.callId;
  if (type == dcerpc::PType::Bind || type == dcerpc::PType::AlterContext) {
    if (!association_.onClientPdu(item.pdu).ok()) {
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
    if ((flags & dcerpc::pfc::FirstFrag) != 0 &&
        clientCalls_.size() < 16 * config_.maxTrackedCalls) {
      clientCalls_.insert(callId);
    }
    bool whole = (flags & dcerpc::pfc::FirstFrag) && (flags & dcerpc::pfc::LastFrag);
    bool considered = config_.readAhead && readAheads_.size() < config_.maxReadAheads &&
                      candidates_.size() < config_.maxTrackedCalls;
    bool running = std::any_of(readAheads_.begin(), readAheads_.end(),
                               [](const auto& e) { return !e.second.cancelled; });
    const dcerpc::Pdu& pdu = item.pdu;
    if (whole && (considered || running) && !pdu.auth) {
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
    if (!touchedObjectsKnown(s) || std::find(s.touchedHandles.begin(), s.touchedHandles.end(),
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
           std::to_string(c.consumed) + " of " + std::to_string(ra.answered) + " answers taken, " +
           std::to_string(ra.issued - ra.answered) + " still at the server" +
           (c.releaseOnly ? " (object released)" : "");
  });
  ++restoring_;  // what the edge sends after this waits until the server is where it expects
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
  Bytes rest = fromClient_.takeUnframed();
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
  ParseResult r = fromServer_.feed(data);
  dcerpc::StreamPdu item;
  while ((r = fromServer_.next(item)).ok()) {
    if (out.reset) {
      return;
    }
    onServerPdu(std::move(item), out);
  }
  if (r.status == ParseStatus::Error && !out.reset) {
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
      injected_.empty() && writes_.empty() && candidateFragments_.empty() && !serverMidResponse_) {
    handOffServerSide(HandOffReason::Other, "edge handed off", out);
  }
}

void CoreMapiAo::onServerPdu(dcerpc::StreamPdu item, AoOutput& out) {
  Bytes& raw = item.raw;
  dcerpc::PType type = item.pdu.ptype();
  uint8_t flags = item.pdu.header.pfcFlags;
  uint32_t callId = item.pdu.header.callId;
  bool last = (flags & dcerpc::pfc::LastFrag) != 0 || type == dcerpc::PType::Fault;
  if (type == dcerpc::PType::BindAck || type == dcerpc::PType::AlterContextResp ||
      type == dcerpc::PType::BindNak) {
    if (!association_.onServerPdu(item.pdu).ok()) {
      passive_ = true;
    }
  } else if (type == dcerpc::PType::Response || type == dcerpc::PType::Fault) {
    bool first = (flags & dcerpc::pfc::FirstFrag) != 0;
    serverMidResponse_ = first ? !last : (last ? false : serverMidResponse_);
    auto wr = writes_.find(callId);
    if (wr != writes_.end()) {
      wr->second.joined &= dcerpc::addFragment(wr->second.answer, item.pdu, raw);
      if (wr->second.answer.wireBytes() > config_.maxCallBytes) {
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
      inj->second.joined &= dcerpc::addFragment(inj->second.answer, item.pdu, raw);
      if (inj->second.answer.wireBytes() > config_.maxCallBytes) {
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
      auto& answer = candidateFragments_[callId];
      dcerpc::addFragment(answer, item.pdu, raw);
      size_t total = answer.wireBytes();
      if (last || total > config_.maxCallBytes || type == dcerpc::PType::Fault) {
        Candidate c = std::move(cand->second);
        candidates_.erase(cand);
        dcerpc::Call all = std::move(answer);
        candidateFragments_.erase(callId);
        if (last && type == dcerpc::PType::Response) {
          clientCalls_.erase(callId);
          onCandidateAnswer(callId, std::move(c), std::move(all), out);
        } else {
          Bytes joined;
          for (const auto& f : all.fragments) {
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
    if (!w.joined || !releaseSucceeded(w.answer.stub)) {
      out.fail(
          "the server did not confirm a RopRelease the edge had already answered: "
          "resetting the connection");
      return;
    }
  } else if (!w.joined || !writeSucceeded(w.answer.stub, w.dataBytes)) {
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

void CoreMapiAo::onCandidateAnswer(uint32_t callId, Candidate c, dcerpc::Call answer,
                                   AoOutput& out) {
  Bytes joined;
  for (const auto& f : answer.fragments) {
    joined.insert(joined.end(), f.begin(), f.end());
  }
  // A response's last fragment: every fragment before it was a response too (a fault would
  // have ended the candidate).
  ResponseSummary s = summarizeReadAheadResponse(answer.stub, c.candidate);
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
  uint32_t window = static_cast<uint32_t>(
      std::clamp<size_t>(config_.readAheadWindowBytes / per, 2, kMaxReadAheadCalls));
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
    dcerpc::setCallId(pdu, id);
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
  const Bytes& stub = inj.answer.stub;
  bool joined = inj.joined;
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
  bool plain =
      ReadAheadData::fromFragments(ra.id, s.decoded ? s.dataBytes : 0, inj.answer.fragments, d);
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

void CoreMapiAo::handOffServerSide(HandOffReason reason, const std::string& why, AoOutput& out) {
  if (serverHandedOff_) {
    return;
  }
  if (!clientHandedOff_) {
    events_.onHandOff(reason, why);
  }
  debugLine(events_,
            reason == HandOffReason::ParseError ? MapiDebug::RpcParser : MapiDebug::CommonFlow,
            [&] {
              return std::string("hand-off to the generic AO: ") + handOffReasonName(reason) +
                     " (" + why + ")";
            });
  // Answers held to judge a read-ahead go first, whole.
  for (auto& [id, answer] : candidateFragments_) {
    for (const auto& f : answer.fragments) {
      out.appendRecord(RecordType::Pdus, f);
    }
  }
  candidateFragments_.clear();
  candidates_.clear();
  out.appendRecord(RecordType::HandOff, encodeHandOff(reason));
  serverHandedOff_ = true;
  passive_ = true;
  // What the stream did not hand out (from the PDU it refused on), as it came.
  for (const auto& p : fromServer_.takeUnreadPdus()) {
    out.toPeer.insert(out.toPeer.end(), p.begin(), p.end());
  }
  Bytes rest = fromServer_.takeUnframed();
  out.toPeer.insert(out.toPeer.end(), rest.begin(), rest.end());
}

void CoreMapiAo::onServerEof(AoOutput& out) {
  if (serverHandedOff_) {
    return;
  }
  for (auto& [id, answer] : candidateFragments_) {
    for (const auto& f : answer.fragments) {
      out.appendRecord(RecordType::Pdus, f);
    }
  }
  candidateFragments_.clear();
  Bytes rest = fromServer_.takeUnframed();
  if (!rest.empty()) {
    out.appendRecord(RecordType::Pdus, rest);
  }
}

}  // namespace bh::mapi::mapi_ao
