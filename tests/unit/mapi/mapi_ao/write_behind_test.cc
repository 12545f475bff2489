// Write optimization: the edge answers a lone RopWriteStream at once and the core sends the
// call on; nothing else of the client's reaches the server before the server confirmed every
// such write, and a write the server refuses resets the connection (the client was told it
// succeeded: it must not go on to commit a partial stream). MS-OXCROPS 2.2.9.3.
#include <doctest/doctest.h>

#include "halves_test_util.h"
#include "mapi/dcerpc/pdu_codec.h"
#include "mapi/mapi_ao/core_mapi_ao.h"
#include "mapi/mapi_ao/edge_mapi_ao.h"
#include "mapi_ao_test_util.h"

using namespace bh;
using namespace bh::mapi;
using namespace bh::mapi::mapi_ao;
using dcerpc::testing::bindAckPdu;
using dcerpc::testing::bindPdu;
using dcerpc::testing::encode;
using namespace bh::mapi::mapi_ao::testing;

namespace {}  // namespace

TEST_CASE("the edge answers a lone RopWriteStream at once; the server gets it unchanged") {
  Halves h;
  h.bound();
  Bytes w1 = writeCall(5, 3000);
  h.client(w1);
  REQUIRE_FALSE(h.reset);
  CHECK(h.atServer == w1);
  dcerpc::Pdu answer;
  REQUIRE(dcerpc::decodePdu(h.atClient, answer).ok());
  CHECK(answer.header.callId == 5);
  emsmdb::EcDoRpcExt2Response resp;
  REQUIRE(emsmdb::decodeEcDoRpcExt2Response(answer.response()->stub, resp).ok());
  CHECK(writeSucceeded(answer.response()->stub, 3000));

  // The commit waits at the core until the server confirmed the write...
  h.atServer.clear();
  Bytes commit = commitCall(6);
  h.client(commit);
  CHECK(h.atServer.empty());
  CHECK_FALSE(h.core.canFinishTowardsServer());
  // ...and goes once it did; the server's answer to the write never reaches the client.
  h.atClient.clear();
  h.server(writeAnswer(5, 3000, 0, 3000));
  REQUIRE_FALSE(h.reset);
  CHECK(h.atServer == commit);
  CHECK(h.atClient.empty());
  CHECK(h.core.canFinishTowardsServer());
}

TEST_CASE("a write the server refuses resets the connection before the commit reaches it") {
  for (auto [rv, written] : {std::pair<uint32_t, uint16_t>{0x80030005, 0}, {0, 1000}}) {
    CAPTURE(rv);
    Halves h;
    h.bound();
    h.client(writeCall(5, 3000));
    h.client(writeCall(6, 3000));
    h.atServer.clear();
    h.client(commitCall(7));
    h.server(writeAnswer(5, 3000, rv, written));
    CHECK(h.reset);
    CHECK(h.why.find("RopWriteStream") != std::string::npos);
    CHECK(h.atServer.empty());  // the commit never left the core
  }
}

TEST_CASE("a write beyond the window waits for the server's confirmation, then is answered here") {
  MapiAoEvents ev;
  MapiAoConfig cfg;
  cfg.writeWindowBytes = 7000;
  EdgeMapiAo edge(cfg, ev);
  bindEdge(edge);
  std::vector<AoOutput> w(4);
  for (uint32_t i = 0; i < 4; ++i) {
    edge.onClientData(writeCall(5 + i, 3000), w[i]);
    REQUIRE_FALSE(w[i].reset);
  }
  // 2 x 3000 fit in 7000: answered. The third waits, and the fourth behind it; neither goes
  // to the core yet (the server would answer it a round trip later).
  CHECK_FALSE(w[0].toLocal.empty());
  CHECK_FALSE(w[1].toLocal.empty());
  CHECK(w[2].toLocal.empty());
  CHECK(w[2].toPeer.empty());
  CHECK(w[3].toPeer.empty());
  CHECK(edge.holding());
  AoOutput eof;
  CHECK_FALSE(edge.onClientEof(eof));  // the FIN waits behind the held write
  auto credit = [&](uint32_t bytes) {
    Bytes rec;
    encodeRecord(RecordType::WriteAck, encodeReadAheadConsumed(1, bytes), rec);
    AoOutput c;
    edge.onPeerData(rec, c);
    REQUIRE_FALSE(c.reset);
    return c;
  };
  AoOutput c1 = credit(3000);
  // Call 7 now fits (3000 + 3000): answered with its own call id, sent on as write-behind;
  // call 8 waits for the next confirmation.
  REQUIRE_FALSE(c1.toLocal.empty());
  CHECK(dcerpc::callIdOf(c1.toLocal) == 7);
  std::vector<Record> recs;
  Bytes raw;
  RecordReader reader;
  REQUIRE(reader.feed(c1.toPeer, recs, raw).ok());
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].type == RecordType::WriteBehind);
  CHECK(edge.holding());
  AoOutput c2 = credit(3000);
  REQUIRE_FALSE(c2.toLocal.empty());
  CHECK(dcerpc::callIdOf(c2.toLocal) == 8);
  CHECK_FALSE(edge.holding());
  AoOutput eof2;
  CHECK(edge.onClientEof(eof2));
}

TEST_CASE("a window smaller than one write sends the write to the server") {
  MapiAoEvents ev;
  MapiAoConfig cfg;
  cfg.writeWindowBytes = 2000;
  EdgeMapiAo edge(cfg, ev);
  bindEdge(edge);
  AoOutput w;
  edge.onClientData(writeCall(5, 3000), w);
  CHECK(w.toLocal.empty());
  CHECK_FALSE(w.toPeer.empty());
  CHECK_FALSE(edge.holding());
}

TEST_CASE("the core tracks at most maxTrackedCalls read-ahead candidates at once") {
  MapiAoEvents ev;
  MapiAoConfig cfg;
  cfg.maxTrackedCalls = 8;
  CoreMapiAo core(cfg, ev);
  Bytes records;
  encodeRecord(RecordType::Pdus, encode(bindPdu(Endian::Little)), records);
  AoOutput o;
  core.onPeerData(records, o);
  AoOutput o2;
  core.onServerData(encode(bindAckPdu(Endian::Little)), o2);
  rop::RopReadStreamRequest r;
  r.byteCount = 31744;
  for (uint32_t id = 2; id < 200; ++id) {
    Bytes rec;
    encodeRecord(RecordType::Pdus, call(id, {r}), rec);
    AoOutput out;
    core.onPeerData(rec, out);
    REQUIRE_FALSE(out.reset);
    CHECK(out.toLocal.size() > 0);  // relayed all the same
  }
  CHECK(core.trackedCandidates() == 8);
}

namespace {

Bytes releaseCall(uint32_t callId, bool withCommit = false) {
  std::vector<rop::RopRequest> rops{rop::RopReleaseRequest{}};
  if (withCommit) {
    rops.push_back(rop::RopCommitStreamRequest{});
  }
  return call(callId, rops);
}

/// The server's answer to a release-only call: no ROP answer, the handle table echoed.
Bytes releaseAnswer(uint32_t callId, uint32_t returnValue) {
  return answer(callId, {}, rop::RopReleaseRequest{}, {kStream}, returnValue);
}

}  // namespace

TEST_CASE("the edge answers a call of RopRelease only at once, as the server would") {
  Halves h;
  h.bound();
  Bytes rel = releaseCall(9);
  h.client(rel);
  REQUIRE_FALSE(h.reset);
  CHECK(h.atServer == rel);  // the server still gets it, unchanged
  dcerpc::Pdu answer;
  REQUIRE(dcerpc::decodePdu(h.atClient, answer).ok());
  CHECK(answer.header.callId == 9);
  // Byte for byte what the server answers (MS-OXCROPS 2.2.15.3: no ROP answer, the table echoed).
  CHECK(h.atClient == releaseAnswer(9, 0));
  CHECK(releaseSucceeded(answer.response()->stub));

  // The next call waits at the core for the server's answer, which never reaches the client.
  h.atServer.clear();
  h.atClient.clear();
  Bytes commit = commitCall(10);
  h.client(commit);
  CHECK(h.atServer.empty());
  h.server(releaseAnswer(9, 0));
  INFO(h.why);
  REQUIRE_FALSE(h.reset);
  CHECK(h.atServer == commit);
  CHECK(h.atClient.empty());
}

TEST_CASE("a release the server fails resets the connection; mixed calls go to the server") {
  Halves h;
  h.bound();
  h.client(releaseCall(9));
  h.atServer.clear();
  h.client(commitCall(10));
  h.server(releaseAnswer(9, 0x000004b9));  // ecRpcFailed
  CHECK(h.reset);
  CHECK(h.why.find("RopRelease") != std::string::npos);
  CHECK(h.atServer.empty());

  Halves m;
  m.bound();
  Bytes mixed = releaseCall(11, true);
  m.client(mixed);
  CHECK(m.atServer == mixed);
  CHECK(m.atClient.empty());  // RopRelease with RopCommitStream: the server answers
  CHECK(makeReleaseAnswer(ByteSpan()).empty());
}

TEST_CASE("release-behind is write optimization: off with it") {
  MapiAoEvents ev;
  MapiAoConfig cfg;
  cfg.writeBehind = false;
  EdgeMapiAo edge(cfg, ev);
  bindEdge(edge);
  AoOutput r;
  edge.onClientData(releaseCall(9), r);
  CHECK(r.toLocal.empty());
}
