// The connections of one association group share the session (Outlook reads or writes on one
// and releases or commits on another), so the edge halves of a group act together:
// - a release on one connection ends the read-ahead of that object on the others
//   (MapiAoEvents::onObjectsReleased, EdgeMapiAo::releaseObjects): the prefetched data goes and
//   the core forgets the read-ahead without seeking (the object is gone);
// - a call that touches an object another connection has unconfirmed write-behind for waits
//   until those writes are confirmed (MapiAoEvents::groupWritesPending, retryGroupHold), so a
//   commit cannot overtake the writes on the WAN.
#include <doctest/doctest.h>

#include "mapi/dcerpc/pdu_codec.h"
#include "mapi/mapi_ao/core_mapi_ao.h"
#include "mapi/mapi_ao/edge_mapi_ao.h"
#include "mapi/mapi_ao/rop_call_summary.h"
#include "mapi_ao_test_util.h"

using namespace bh;
using namespace bh::mapi;
using namespace bh::mapi::mapi_ao;
using dcerpc::testing::bindAckPdu;
using dcerpc::testing::bindPdu;
using dcerpc::testing::encode;
using dcerpc::testing::requestPdu;
using dcerpc::testing::responsePdu;
using namespace bh::mapi::mapi_ao::testing;

namespace {

constexpr uint32_t kMessage = 0x00000a01;
constexpr uint16_t kChunk = 31744;

rop::RopReadStreamRequest readRop() {
  rop::RopReadStreamRequest r;
  r.byteCount = kChunk;
  return r;
}

Bytes readCall(uint32_t callId) {
  return call(callId, {readRop()});
}

/// A full ReadStream answer (more follows), as the server gives it.
Bytes readAnswer(uint32_t callId) {
  rop::RopReadStreamResponse a;
  a.data = Bytes(kChunk, 0x33);
  return answer(callId, {a}, readRop());
}

Bytes releaseStub(std::vector<uint32_t> handles, uint8_t session = 0x42) {
  std::vector<rop::RopRequest> rops;
  for (size_t i = 0; i < handles.size(); ++i) {
    rop::RopReleaseRequest r;
    r.inputHandleIndex = static_cast<uint8_t>(i);
    rops.push_back(r);
  }
  return emsmdb::encodeEcDoRpcExt2Request(rpcRequest(rops, std::move(handles), session));
}

Bytes sessionOf(uint8_t session) {
  return summarizeRequest(releaseStub({kStream}, session)).contextHandle;
}

struct ReleaseRecorder : MapiAoEvents {
  std::vector<std::pair<Bytes, std::vector<uint32_t>>> released;
  void onObjectsReleased(ByteSpan cxh, const std::vector<uint32_t>& handles) override {
    released.emplace_back(Bytes(cxh.begin(), cxh.end()), handles);
  }
};

/// Edge and core of one connection, a stream being read ahead: the client read one chunk from
/// the server, and the core prefetched `window` more whose answers reached the edge.
struct ReadingConnection {
  MapiAoEvents ev;
  MapiAoConfig cfg = [] {
    MapiAoConfig c;
    c.readAheadWindowBytes = 4u * kChunk;
    return c;
  }();
  EdgeMapiAo edge{cfg, ev};
  CoreMapiAo core{cfg, ev};
  std::vector<uint32_t> injected;

  void toCore(const Bytes& records) {
    AoOutput c;
    core.onPeerData(records, c);
    REQUIRE_FALSE(c.reset);
    collectInjected(c.toLocal);
    toEdge(c.toPeer);
  }
  void toEdge(const Bytes& records) {
    if (records.empty()) {
      return;
    }
    AoOutput e;
    edge.onPeerData(records, e);
    REQUIRE_FALSE(e.reset);
    if (!e.toPeer.empty()) {
      toCore(e.toPeer);
    }
  }
  void fromServer(const Bytes& pdu) {
    AoOutput c;
    core.onServerData(pdu, c);
    REQUIRE_FALSE(c.reset);
    collectInjected(c.toLocal);
    toEdge(c.toPeer);
  }
  void collectInjected(const Bytes& atServer) {
    size_t off = 0;
    while (off + 16 <= atServer.size()) {
      ByteSpan pdu(atServer.data() + off, atServer.size() - off);
      uint16_t fragLen = static_cast<uint16_t>(pdu[8] | (pdu[9] << 8));
      uint32_t id = dcerpc::callIdOf(pdu);
      if (id >= kInjectedCallIdBase) {
        injected.push_back(id);
      }
      off += fragLen;
    }
  }
  void start() {
    AoOutput e;
    edge.onClientData(encode(bindPdu(Endian::Little)), e);
    toCore(e.toPeer);
    fromServer(encode(bindAckPdu(Endian::Little)));
    AoOutput r;
    edge.onClientData(readCall(2), r);
    toCore(r.toPeer);
    fromServer(readAnswer(2));  // full: the core starts reading ahead
    REQUIRE(core.activeReadAheads() == 1);
    REQUIRE(injected.size() >= 2);
    for (uint32_t id : std::vector<uint32_t>(injected)) {
      fromServer(readAnswer(id));
    }
    injected.clear();
  }
};

}  // namespace

TEST_CASE("summarizeRequest names the session and the objects a call releases") {
  std::vector<rop::RopRequest> rops{rop::RopReleaseRequest{}, readRop()};
  std::get<rop::RopReadStreamRequest>(rops[1]).inputHandleIndex = 1;
  RequestSummary s =
      summarizeRequest(emsmdb::encodeEcDoRpcExt2Request(rpcRequest(rops, {kMessage, kStream})));
  REQUIRE(s.decoded);
  CHECK(s.releasedHandles == std::vector<uint32_t>{kMessage});
  CHECK_FALSE(s.onlyReleases);
  CHECK(s.contextHandle.size() == 20);  // MS-OXCRPC 2.2.2.1: a 20-byte context handle
  CHECK(s.contextHandle != sessionOf(0x43));
  CHECK(summarizeRequest(releaseStub({kStream, kMessage})).releasedHandles ==
        std::vector<uint32_t>{kStream, kMessage});
}

TEST_CASE("the edge reports the objects a client's call releases, local answer or not") {
  ReleaseRecorder ev;
  EdgeMapiAo edge({}, ev);
  bindEdge(edge);
  AoOutput r;
  edge.onClientData(encode(requestPdu(Endian::Little, 7, releaseStub({kStream, kMessage}))), r);
  REQUIRE_FALSE(r.reset);
  REQUIRE(ev.released.size() == 1);
  CHECK(ev.released[0].first == sessionOf(0x42));
  CHECK(ev.released[0].second == std::vector<uint32_t>{kStream, kMessage});
  // A call that releases nothing reports nothing.
  AoOutput q;
  edge.onClientData(readCall(8), q);
  CHECK(ev.released.size() == 1);
}

TEST_CASE("a release on another connection ends this connection's read-ahead of the object") {
  ReadingConnection c;
  c.start();
  size_t held = c.edge.readAheadBytes();
  REQUIRE(held >= 2u * kChunk);

  SUBCASE("another session's object of the same handle value, or another object: untouched") {
    AoOutput o;
    c.edge.releaseObjects(sessionOf(0x43), {kStream}, o);
    c.edge.releaseObjects(sessionOf(0x42), {kMessage}, o);
    CHECK(o.toPeer.empty());
    CHECK(c.edge.readAheadBytes() == held);
  }
  SUBCASE("the same session's object: data dropped, the core forgets without a seek") {
    AoOutput o;
    c.edge.releaseObjects(sessionOf(0x42), {kStream, kMessage}, o);
    REQUIRE_FALSE(o.reset);
    CHECK(c.edge.readAheadBytes() == 0);
    CHECK(c.edge.bufferedBytes() == 0);
    std::vector<Record> recs;
    Bytes raw;
    RecordReader reader;
    REQUIRE(reader.feed(o.toPeer, recs, raw).ok());
    REQUIRE(recs.size() == 1);
    REQUIRE(recs[0].type == RecordType::ReadAheadCancel);
    ReadAheadCancel cancel;
    REQUIRE(decodeReadAheadCancel(recs[0].body, cancel));
    CHECK(cancel.releaseOnly);
    c.toCore(o.toPeer);
    // Injected reads still on their way are answered (with an error, the object being
    // released) and dropped; no RopSeekStream follows.
    for (uint32_t id : std::vector<uint32_t>(c.injected)) {
      c.fromServer(readAnswer(id));
    }
    CHECK(c.core.activeReadAheads() == 0);
    CHECK(c.core.outstandingInjected() == 0);
    CHECK(c.core.canFinishTowardsServer());
    // The client's next call goes to the server as usual.
    AoOutput n;
    c.edge.onClientData(readCall(9), n);
    CHECK(n.toLocal.empty());
    CHECK_FALSE(n.toPeer.empty());
  }
}

TEST_CASE("a folder's sync configured with its state upload leaves another object's read-ahead") {
  // RopSynchronizationConfigure with the ICS state upload chained behind it (MS-OXCFXICS
  // 3.3.4.3.1) touches the folder and the new synchronization context only. The AO decodes
  // the whole call (not merely bounds it by its handle table), so the stream being read ahead
  // keeps its prefetched data.
  ReadingConnection c;
  c.start();
  size_t held = c.edge.readAheadBytes();
  REQUIRE(held >= 2u * kChunk);
  rop::RopSynchronizationConfigureRequest configure;
  configure.outputHandleIndex = 1;
  configure.synchronizationType = 0x01;
  rop::RopSynchronizationUploadStateStreamBeginRequest begin;
  begin.inputHandleIndex = 1;
  begin.stateProperty = 0x40170003;  // MetaTagIdsetGiven
  rop::RopSynchronizationUploadStateStreamEndRequest end;
  end.inputHandleIndex = 1;
  std::vector<rop::RopRequest> upload{configure, begin, end};
  RequestSummary s = summarizeRequest(
      emsmdb::encodeEcDoRpcExt2Request(rpcRequest(upload, {kMessage, 0xffffffff})));
  REQUIRE(s.decoded);
  CHECK_FALSE(s.objectsBounded);
  AoOutput o;
  c.edge.onClientData(call(9, upload, {kMessage, 0xffffffff}), o);
  REQUIRE_FALSE(o.reset);
  CHECK(c.edge.readAheadBytes() == held);
  std::vector<Record> recs;
  Bytes raw;
  RecordReader reader;
  REQUIRE(reader.feed(o.toPeer, recs, raw).ok());
  REQUIRE(recs.size() == 1);  // the call itself, relayed; no ReadAheadCancel
  CHECK(recs[0].type == RecordType::Pdus);

  // The same upload naming the stream being read ahead does end its read-ahead.
  AoOutput t;
  c.edge.onClientData(call(10, {begin, end}, {kMessage, kStream}), t);
  REQUIRE_FALSE(t.reset);
  CHECK(c.edge.readAheadBytes() == 0);
}

namespace {

/// Two edge connections of one group: each asks the other (as the daemon does).
struct GroupEvents : MapiAoEvents {
  const EdgeMapiAo* other = nullptr;
  int settled = 0;
  bool groupWritesPending(ByteSpan cxh, const std::vector<uint32_t>& handles) override {
    return other != nullptr && other->blocksGroupCall(cxh, handles);
  }
  void onWritesSettled(ByteSpan, uint32_t) override { ++settled; }
  int groupWaits = 0;
  void onGroupWriteWait() override { ++groupWaits; }
};

struct TwoConnections {
  GroupEvents evX, evY;
  EdgeMapiAo x{{}, evX};
  EdgeMapiAo y{{}, evY};
  TwoConnections() {
    evX.other = &y;
    evY.other = &x;
    bindEdge(x);
    bindEdge(y);
  }
  static AoOutput ack(EdgeMapiAo& e, uint32_t bytes) {
    Bytes rec;
    encodeRecord(RecordType::WriteAck, encodeReadAheadConsumed(1, bytes), rec);
    AoOutput o;
    e.onPeerData(rec, o);
    REQUIRE_FALSE(o.reset);
    return o;
  }
};

}  // namespace

TEST_CASE("a commit on another connection waits until the writes on this one are confirmed") {
  TwoConnections g;
  for (uint32_t id : {5u, 6u}) {
    AoOutput w;
    g.x.onClientData(writeCall(id, 3000), w);
    REQUIRE_FALSE(w.toLocal.empty());  // answered at the edge
  }
  CHECK(g.x.writesPending(sessionOf(0x42), {kStream}));
  CHECK_FALSE(g.x.writesPending(sessionOf(0x43), {kStream}));
  CHECK_FALSE(g.x.writesPending(sessionOf(0x42), {kMessage}));
  CHECK(g.x.writesPending({}, {}));

  // Another session's object, or another object: no wait.
  AoOutput other;
  g.y.onClientData(commitCall(20, kStream, 0x43), other);
  CHECK_FALSE(other.toPeer.empty());
  AoOutput elsewhere;
  g.y.onClientData(commitCall(21, kMessage), elsewhere);
  CHECK_FALSE(elsewhere.toPeer.empty());

  // The same session's stream: held at the edge, and the next call behind it.
  AoOutput c;
  g.y.onClientData(commitCall(22, kStream), c);
  CHECK(c.toPeer.empty());
  CHECK(c.toLocal.empty());
  CHECK(g.y.holding());
  CHECK(g.evY.groupWaits == 1);
  AoOutput eof;
  CHECK_FALSE(g.y.onClientEof(eof));

  // One write confirmed: still one pending, a retry changes nothing.
  TwoConnections::ack(g.x, 3000);
  CHECK(g.evX.settled == 0);
  AoOutput r1;
  g.y.retryGroupHold(r1);
  CHECK(r1.toPeer.empty());
  // The last one: X reports the stream settled; Y's commit goes on.
  TwoConnections::ack(g.x, 3000);
  CHECK(g.evX.settled == 1);
  CHECK_FALSE(g.x.writesPending({}, {}));
  AoOutput r2;
  g.y.retryGroupHold(r2);
  REQUIRE_FALSE(r2.toPeer.empty());
  std::vector<Record> recs;
  Bytes raw;
  RecordReader reader;
  REQUIRE(reader.feed(r2.toPeer, recs, raw).ok());
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].type == RecordType::Pdus);
  CHECK(dcerpc::callIdOf(recs[0].body) == 22);
  CHECK_FALSE(g.y.holding());
}

TEST_CASE("a WriteAck that does not match the writes sent resets the connection") {
  TwoConnections g;
  AoOutput w;
  g.x.onClientData(writeCall(5, 3000), w);
  Bytes rec;
  encodeRecord(RecordType::WriteAck, encodeReadAheadConsumed(1, 2999), rec);
  AoOutput o;
  g.x.onPeerData(rec, o);
  CHECK(o.reset);
  Bytes two;
  encodeRecord(RecordType::WriteAck, encodeReadAheadConsumed(2, 3000), two);
  TwoConnections h;
  AoOutput w2;
  h.x.onClientData(writeCall(5, 3000), w2);
  AoOutput o2;
  h.x.onPeerData(two, o2);
  CHECK(o2.reset);  // confirms more writes than were sent
}

// Outlook sends many ROPs the codec does not know (RopGetPropertiesAll, RopSetProperties,
// RopSaveChangesMessage...). Such a call still names its objects through its handle table
// (MS-OXCROPS 2.2.1), so it waits for, and ends, only work on those objects.

TEST_CASE("summarizeRequest bounds a call with an unknown ROP by its handle table") {
  rop::RopReleaseRequest release;
  release.inputHandleIndex = 1;
  RequestSummary s =
      summarizeRequest(unknownRopStub({release}, {kMessage, kStream, 0xffffffff, kMessage}));
  CHECK_FALSE(s.decoded);
  REQUIRE(s.objectsBounded);
  CHECK(touchedObjectsKnown(s));
  CHECK(s.contextHandle == sessionOf(0x42));
  // The table, once each, without the output placeholder.
  CHECK(s.touchedHandles == std::vector<uint32_t>{kMessage, kStream});
  // The release decoded before the unknown ROP counts.
  CHECK(s.releasedHandles == std::vector<uint32_t>{kStream});
  CHECK_FALSE(s.onlyReleases);
  CHECK(s.key.empty());
  CHECK_FALSE(s.candidate);
  CHECK_FALSE(s.write);

  SUBCASE("a malformed known ROP is not bounded: nothing is known") {
    // RopSize 4 ends the RopsList inside a RopReadStream (RopId, LogonId, no more).
    Bytes plain = {0x04, 0x00, 0x2c, 0x00, 0xbc, 0x0a, 0x00, 0x00};
    RequestSummary m = summarizeRequest(rawRopBufferStub(plain));
    CHECK_FALSE(m.decoded);
    CHECK_FALSE(m.objectsBounded);
    CHECK_FALSE(touchedObjectsKnown(m));
  }
}

TEST_CASE("a call with an unknown ROP waits only for writes to the objects of its table") {
  TwoConnections g;
  AoOutput w;
  g.x.onClientData(writeCall(5, 3000), w);
  REQUIRE_FALSE(w.toLocal.empty());  // answered at the edge, unconfirmed

  // Other objects: it goes on at once.
  AoOutput other;
  g.y.onClientData(unknownRopCall(20, {}, {kMessage, 0xffffffff}), other);
  CHECK_FALSE(other.toPeer.empty());
  CHECK_FALSE(g.y.holding());
  // Another session's object of the same handle value: goes on.
  AoOutput session;
  g.y.onClientData(unknownRopCall(21, {}, {kStream}, 0x43), session);
  CHECK_FALSE(session.toPeer.empty());
  CHECK(g.evY.groupWaits == 0);

  // The stream with unconfirmed writes is in its table: held until they are confirmed.
  AoOutput held;
  g.y.onClientData(unknownRopCall(22, {}, {kMessage, kStream}), held);
  CHECK(held.toPeer.empty());
  CHECK(g.y.holding());
  CHECK(g.evY.groupWaits == 1);
  TwoConnections::ack(g.x, 3000);
  AoOutput r;
  g.y.retryGroupHold(r);
  CHECK_FALSE(r.toPeer.empty());
  CHECK_FALSE(g.y.holding());
}

TEST_CASE("a call that cannot be framed still waits for every write of the group") {
  TwoConnections g;
  AoOutput w;
  g.x.onClientData(writeCall(5, 3000), w);
  // RopSize larger than the payload: no handle table to bound it.
  Bytes plain = {0x40, 0x00, 0x08, 0x00, 0x00};
  AoOutput held;
  g.y.onClientData(encode(requestPdu(Endian::Little, 30, rawRopBufferStub(plain))), held);
  CHECK(held.toPeer.empty());
  CHECK(g.y.holding());
}

TEST_CASE("a call with an unknown ROP ends the read-ahead only of an object in its table") {
  ReadingConnection c;
  c.start();
  size_t held = c.edge.readAheadBytes();
  REQUIRE(held >= 2u * kChunk);
  AoOutput o;
  c.edge.onClientData(unknownRopCall(9, {}, {kMessage}), o);
  REQUIRE_FALSE(o.reset);
  CHECK(c.edge.readAheadBytes() == held);  // another object: the stream's data stays
  CHECK(c.core.activeReadAheads() == 1);
  AoOutput t;
  c.edge.onClientData(unknownRopCall(10, {}, {kMessage, kStream}), t);
  REQUIRE_FALSE(t.reset);
  CHECK(c.edge.readAheadBytes() == 0);  // the stream is in its table: the read-ahead ends
}

TEST_CASE("a call of the session on another connection waits for a release this one answered") {
  // Whatever a stream holds reaches its parent when it is released: a save of the parent on
  // another connection must reach the server after the release the edge already answered,
  // which names only the stream.
  TwoConnections g;
  AoOutput rel;
  g.x.onClientData(call(5, {rop::RopReleaseRequest{}}, {kStream}), rel);
  REQUIRE_FALSE(rel.toLocal.empty());  // answered at the edge, unconfirmed
  CHECK(g.x.releasesPending(sessionOf(0x42)));
  CHECK(g.x.releasesPending({}));
  CHECK_FALSE(g.x.releasesPending(sessionOf(0x43)));
  // Not a write: a connection that ends with it unconfirmed does not reset its group.
  CHECK_FALSE(g.x.writesPending({}, {}));
  CHECK(g.x.blocksGroupCall(sessionOf(0x42), {kMessage}));
  CHECK_FALSE(g.x.blocksGroupCall(sessionOf(0x43), {kMessage}));

  // Another session: goes on.
  AoOutput other;
  g.y.onClientData(commitCall(20, kMessage, 0x43), other);
  CHECK_FALSE(other.toPeer.empty());
  // The same session, another object than the one released: held until the release is
  // confirmed, then X says so and Y's call goes on.
  AoOutput held;
  g.y.onClientData(commitCall(21, kMessage), held);
  CHECK(held.toPeer.empty());
  CHECK(g.y.holding());
  CHECK(g.evY.groupWaits == 1);
  TwoConnections::ack(g.x, 0);
  CHECK(g.evX.settled == 1);
  CHECK_FALSE(g.x.releasesPending({}));
  AoOutput r;
  g.y.retryGroupHold(r);
  REQUIRE_FALSE(r.toPeer.empty());
  CHECK_FALSE(g.y.holding());
}
