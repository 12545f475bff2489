// Review of the MAPI AO's core half and its read-ahead protocol: cases where the core lost or
// reordered bytes, let a client call overtake an unconfirmed write, or held a per-flow table or
// buffer without a cap. Each case drives the edge and core halves together (or the core alone)
// with hand-built PDUs.
#include <doctest/doctest.h>

#include "mapi/dcerpc/co_stream.h"
#include "mapi/mapi_ao/core_mapi_ao.h"
#include "mapi/mapi_ao/edge_mapi_ao.h"
#include "tests/unit/mapi/mapi_ao/halves_test_util.h"
#include "tests/unit/mapi/mapi_ao/mapi_ao_test_util.h"

using namespace bh;
using namespace bh::mapi;
using namespace bh::mapi::mapi_ao;
using dcerpc::testing::bindAckPdu;
using dcerpc::testing::bindPdu;
using dcerpc::testing::encode;
using dcerpc::testing::responsePdu;
using namespace bh::mapi::mapi_ao::testing;

namespace {

constexpr uint16_t kChunk = 31744;
constexpr uint32_t kOther = 0x00000def;  ///< a server object no read-ahead is on

rop::RopReadStreamRequest readRequest() {
  rop::RopReadStreamRequest r;
  r.byteCount = kChunk;
  return r;
}

/// A full ReadStream answer (more data follows).
Bytes readAnswer(uint32_t callId, uint8_t fill) {
  rop::RopReadStreamResponse a;
  a.data = Bytes(kChunk, fill);
  return answer(callId, {a}, readRequest());
}

/// The call ids of the request PDUs in `bytes` (the server's view of its stream).
std::vector<uint32_t> requestCallIds(const Bytes& bytes) {
  dcerpc::StreamLimits l;
  l.reassemble = false;
  dcerpc::CoStream s(dcerpc::Sender::Client, l);
  REQUIRE(s.feed(bytes).ok());
  std::vector<uint32_t> ids;
  dcerpc::StreamPdu item;
  while (s.next(item).ok()) {
    if (item.pdu.ptype() == dcerpc::PType::Request) {
      ids.push_back(item.pdu.header.callId);
    }
  }
  CHECK(s.unframedBytes() == 0);
  return ids;
}

}  // namespace

TEST_CASE(
    "core review: an edge hand-off between the fragments of a candidate's answer loses none") {
  // The server answers a read-ahead candidate in fragments; the edge hands off after the core
  // held the first one to judge the answer whole. Every fragment must still reach the client,
  // in order (before: the core forgot the candidate, relayed the later fragments, and the first
  // stayed held for good).
  Halves h;
  h.bound();
  h.client(call(2, {readRequest()}));
  REQUIRE_FALSE(h.reset);
  std::vector<Bytes> frags = fragmentsOf(readAnswer(2, 0x11), 3);
  h.server(frags[0]);
  CHECK(h.atClient.empty());
  h.handOff();
  REQUIRE_FALSE(h.reset);
  h.server(frags[1]);
  h.server(frags[2]);
  REQUIRE_FALSE(h.reset);
  Bytes all;
  for (const auto& f : frags) {
    all.insert(all.end(), f.begin(), f.end());
  }
  CHECK(h.atClient == all);
  // And the core follows the edge's hand-off once nothing is held.
  Bytes later = {1, 2, 3, 4, 5};
  h.atClient.clear();
  h.server(later);
  CHECK(h.atClient == later);
}

TEST_CASE("core review: a server stream that stops framing while writes are unconfirmed resets") {
  // The edge told the client the write succeeded; a server stream the core can no longer frame
  // can never confirm it. Handing off instead would let the client commit a write the server
  // may have refused, and give it the server's own answer to a call already answered.
  Halves h;
  h.bound();
  h.client(writeCall(5, 3000));
  REQUIRE_FALSE(h.reset);
  Bytes junk = {'H', 'T', 'T', 'P', '/', '1', '.',  '1',  ' ',  '4',
                '0', '0', ' ', 'x', 'y', 'z', '\r', '\n', '\r', '\n'};
  h.atClient.clear();
  h.server(junk);
  CHECK(h.reset);
  CHECK(h.atClient.empty());
}

TEST_CASE(
    "core review: after the edge hands off, the client's raw bytes wait for unconfirmed writes") {
  // Write optimization: every call of the client waits at the core until the server confirmed
  // every write the edge answered. That holds after a hand-off too: the commit that follows
  // in the raw stream must not reach the server before the write's answer, and never if the
  // server refused the write.
  for (bool refused : {false, true}) {
    CAPTURE(refused);
    Halves h;
    h.bound();
    h.client(writeCall(5, 3000));
    REQUIRE_FALSE(h.reset);
    h.handOff();
    REQUIRE_FALSE(h.reset);
    h.atServer.clear();
    Bytes commit = commitCall(6);
    h.client(commit);
    REQUIRE_FALSE(h.reset);
    CHECK(h.atServer.empty());
    CHECK_FALSE(h.core.canFinishTowardsServer());
    h.server(writeAnswer(5, 3000, refused ? 0x80030005 : 0, refused ? 0 : 3000));
    if (refused) {
      CHECK(h.reset);
      CHECK(h.atServer.empty());
    } else {
      REQUIRE_FALSE(h.reset);
      CHECK(h.atServer == commit);
      CHECK(h.core.canFinishTowardsServer());
    }
  }
}

TEST_CASE("core review: an answer the core holds (injected call, write-behind) is capped") {
  // The core keeps an injected call's and a write-behind call's answer until its last fragment;
  // a server that never ends one must not grow it without bound.
  MapiAoConfig cfg;
  cfg.maxCallBytes = 64 * 1024;
  const Bytes piece(4000, 0x33);
  SUBCASE("injected call") {
    Halves h(cfg);
    h.bound();
    h.client(call(2, {readRequest()}));
    h.server(readAnswer(2, 0x11));
    REQUIRE_FALSE(h.reset);
    REQUIRE(h.core.outstandingInjected() > 0);
    h.server(encode(responsePdu(Endian::Little, kInjectedCallIdBase, piece, 0x01)));
    for (int i = 0; i < 64 && !h.reset; ++i) {
      h.server(encode(responsePdu(Endian::Little, kInjectedCallIdBase, piece, 0x00)));
    }
    CHECK(h.reset);
    CHECK(h.core.bufferedBytes() <= 2 * cfg.maxCallBytes);
  }
  SUBCASE("write-behind call") {
    Halves h(cfg);
    h.bound();
    h.client(writeCall(5, 3000));
    REQUIRE_FALSE(h.reset);
    h.server(encode(responsePdu(Endian::Little, 5, piece, 0x01)));
    for (int i = 0; i < 64 && !h.reset; ++i) {
      h.server(encode(responsePdu(Endian::Little, 5, piece, 0x00)));
    }
    CHECK(h.reset);
    CHECK(h.core.bufferedBytes() <= 2 * cfg.maxCallBytes);
  }
}

TEST_CASE("core review: an injected call id never equals an unconfirmed write-behind call's") {
  // The client's call ids are its own (it counts up from 1, but nothing stops it from using the
  // injected range): an injected call must not go to the server under the call id of a write
  // still awaiting the server's answer.
  MapiAoConfig cfg;
  cfg.readAheadWindowBytes = 200 * kChunk;  // the window opens by the stream rule alone
  Halves h(cfg);
  h.bound();
  h.client(call(2, {readRequest()}));
  h.server(readAnswer(2, 0x11));
  REQUIRE_FALSE(h.reset);
  REQUIRE(h.core.outstandingInjected() == kInitialReadAheadCalls);
  h.server(readAnswer(kInjectedCallIdBase, 0x12));  // the first injected answer: at the edge now
  REQUIRE_FALSE(h.reset);
  // A write to another object (the read-ahead goes on) under the next injected call id.
  const uint32_t writeId = kInjectedCallIdBase + kInitialReadAheadCalls;
  rop::RopWriteStreamRequest w;
  w.data = Bytes(3000, 0x5a);
  h.atServer.clear();
  h.client(call(writeId, {w}, {kOther}));
  REQUIRE_FALSE(h.reset);
  REQUIRE(requestCallIds(h.atServer) == std::vector<uint32_t>{writeId});
  // The client reads on: answered at the edge, the core injects more.
  h.atClient.clear();
  h.client(call(3, {readRequest()}));
  REQUIRE_FALSE(h.reset);
  CHECK_FALSE(h.atClient.empty());
  std::vector<uint32_t> ids = requestCallIds(h.atServer);
  CHECK(ids.size() > 1);
  CHECK(std::count(ids.begin(), ids.end(), writeId) == 1);
}

TEST_CASE("core review: tiny read-ahead chunks do not flood the server with injected calls") {
  // The window is in bytes; a FastTransfer download asking 1-byte buffers must not make the
  // core put hundreds of thousands of calls in flight (and as many entries in its table).
  MapiAoEvents ev;
  MapiAoConfig cfg;
  cfg.readAheadWindowBytes = 256 * 1024;
  CoreMapiAo core(cfg, ev);
  Bytes bind, first;
  encodeRecord(RecordType::Pdus, encode(bindPdu(Endian::Little)), bind);
  rop::RopFastTransferSourceGetBufferRequest get;
  get.bufferSize = 1;
  encodeRecord(RecordType::Pdus, call(2, {get}), first);
  AoOutput o;
  core.onPeerData(bind, o);
  core.onServerData(encode(bindAckPdu(Endian::Little)), o);
  core.onPeerData(first, o);
  rop::RopFastTransferSourceGetBufferResponse partial;
  partial.transferStatus = static_cast<uint16_t>(rop::TransferStatus::Partial);
  partial.transferBuffer = Bytes(1, 0x22);
  AoOutput a;
  core.onServerData(answer(2, {partial}, get), a);
  REQUIRE_FALSE(a.reset);
  REQUIRE(core.activeReadAheads() == 1);
  CHECK(core.outstandingInjected() <= 1024);
}

namespace {

/// A server with one stream: it answers every request in atServer it has not answered yet, in
/// order; a ReadStream gets the next kChunk bytes, their first two bytes the chunk's number.
struct StreamServer {
  size_t seen = 0;
  uint16_t next = 0;
  void answerAll(Halves& h) {
    for (int round = 0; round < 64 && !h.reset; ++round) {
      std::vector<uint32_t> ids = requestCallIds(h.atServer);
      if (seen == ids.size()) {
        return;
      }
      std::vector<uint32_t> fresh(ids.begin() + static_cast<ptrdiff_t>(seen), ids.end());
      seen = ids.size();
      for (uint32_t id : fresh) {
        rop::RopReadStreamResponse a;
        a.data = Bytes(kChunk, 0);
        a.data[0] = static_cast<uint8_t>(next);
        a.data[1] = static_cast<uint8_t>(next >> 8);
        ++next;
        h.server(answer(id, {a}, readRequest()));
      }
    }
  }
};

/// The chunk numbers of the ReadStream answers the client got, in order.
std::vector<uint16_t> chunksAtClient(const Bytes& atClient) {
  dcerpc::CoStream s(dcerpc::Sender::Server);
  REQUIRE(s.feed(atClient).ok());
  std::vector<uint16_t> chunks;
  dcerpc::StreamPdu item;
  while (s.next(item).ok()) {
    REQUIRE(item.call);  // every answer of one fragment
    const Bytes& stub = item.call->stub;
    emsmdb::EcDoRpcExt2Response resp;
    REQUIRE(emsmdb::decodeEcDoRpcExt2Response(stub, resp).ok());
    Bytes plain;
    REQUIRE(emsmdb::decodeExtendedPayload(resp.rgbOut, plain).ok());
    rop::RopResponseBuffer buf;
    REQUIRE(rop::decodeResponseBuffer(plain, buf).ok());
    const auto* rs = std::get_if<rop::RopReadStreamResponse>(&buf.rops.front());
    REQUIRE(rs != nullptr);
    chunks.push_back(static_cast<uint16_t>(rs->data[0] | (rs->data[1] << 8)));
  }
  return chunks;
}

}  // namespace

TEST_CASE("core review: two pipelined reads of a stream do not start two read-aheads on it") {
  // A client that sends its next ReadStream before the answer to the previous one: both reach
  // the server before any injected call, both answers are full, and each would start a
  // read-ahead on the same stream. The second one's calls go to the server after the first
  // one's, so once the first one's window opens past them the client would read the stream
  // out of order.
  MapiAoConfig cfg;
  cfg.readAheadWindowBytes = 200 * kChunk;
  Halves h(cfg);
  h.bound();
  StreamServer server;
  Bytes two = call(2, {readRequest()});
  Bytes three = call(3, {readRequest()});
  two.insert(two.end(), three.begin(), three.end());
  h.client(two);
  server.answerAll(h);
  REQUIRE_FALSE(h.reset);
  for (uint32_t id = 4; id < 4 + 100 && !h.reset; ++id) {
    h.client(call(id, {readRequest()}));
    server.answerAll(h);
  }
  REQUIRE_FALSE(h.reset);
  std::vector<uint16_t> chunks = chunksAtClient(h.atClient);
  REQUIRE(chunks.size() == 102);
  for (uint16_t i = 0; i < chunks.size(); ++i) {
    CAPTURE(i);
    REQUIRE(chunks[i] == i);
  }
}

TEST_CASE(
    "core review: a pipelined read that reaches the core after its read-ahead started "
    "resets") {
  // The client's second read left the edge before the edge heard of the read-ahead its first
  // read started, and reaches the core after the core injected its calls: the server would
  // answer it behind them, chunk 65 where the client wants 1. A synchronous RPC owns its
  // connection until answered (a Windows client never sends this), so the core resets rather
  // than let the read reach the server. A pipelined call on another object is no such race.
  for (bool sameObject : {true, false}) {
    CAPTURE(sameObject);
    MapiAoConfig cfg;
    cfg.readAheadWindowBytes = 200 * kChunk;
    Halves h(cfg);
    h.bound();
    h.client(call(2, {readRequest()}));
    REQUIRE(requestCallIds(h.atServer).size() == 1);
    rop::RopReadStreamResponse first;
    first.data = Bytes(kChunk, 0);
    AoOutput toEdge;
    h.core.onServerData(answer(2, {first}, readRequest()), toEdge);  // the Start is on its way...
    REQUIRE_FALSE(toEdge.reset);
    h.atServer.insert(h.atServer.end(), toEdge.toLocal.begin(), toEdge.toLocal.end());
    toEdge.toLocal.clear();
    size_t injected = requestCallIds(h.atServer).size() - 1;
    REQUIRE(injected > 0);
    // ...when the client sends its next call.
    h.client(sameObject ? call(3, {readRequest()}) : call(3, {readRequest()}, {kOther}));
    std::vector<uint32_t> ids = requestCallIds(h.atServer);
    bool reachedServer = std::find(ids.begin(), ids.end(), 3u) != ids.end();
    if (sameObject) {
      CHECK(h.reset);
      CHECK(h.why.find("pipelined") != std::string::npos);
      CHECK_FALSE(reachedServer);
    } else {
      CHECK_FALSE(h.reset);
      CHECK(reachedServer);
    }
  }
}
