// Review of the edge half's write optimization and local answering: each case is a byte
// sequence that once broke a rule of the MAPI accelerator (mapi/README.md): nothing lost or
// reordered, an error for a write the edge answered reaches the client or resets it, every
// per-flow buffer has a cap, and a local answer is only what the server would give.
#include <doctest/doctest.h>

#include "mapi/mapi_ao/core_mapi_ao.h"
#include "mapi/mapi_ao/edge_mapi_ao.h"
#include "tests/unit/mapi/mapi_ao/halves_test_util.h"
#include "tests/unit/mapi/mapi_ao/mapi_ao_test_util.h"

using namespace bh;
using namespace bh::mapi;
using namespace bh::mapi::mapi_ao;
using dcerpc::testing::encode;
using dcerpc::testing::requestPdu;
using namespace bh::mapi::mapi_ao::testing;

namespace {

/// The PDUs of the Pdus records in `toPeer`, joined, and the record types in order.
struct Records {
  Bytes pdus;
  std::vector<RecordType> types;
  Bytes raw;
};
Records records(const Bytes& toPeer) {
  Records r;
  std::vector<Record> recs;
  RecordReader reader;
  REQUIRE(reader.feed(toPeer, recs, r.raw).ok());
  for (const auto& rec : recs) {
    r.types.push_back(rec.type);
    if (rec.type == RecordType::Pdus) {
      r.pdus.insert(r.pdus.end(), rec.body.begin(), rec.body.end());
    }
  }
  return r;
}

Bytes join(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) {
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

/// A RopRelease-only call of kStream.
Bytes releaseCall(uint32_t callId) {
  return call(callId, {rop::RopReleaseRequest{}});
}

}  // namespace

// C706 12.6.4.11: a client that gives up a call after sending some of its fragments sends an
// orphaned PDU (and co_cancel, 12.6.4.8, may come between fragments). The edge held the first
// fragment to read the call whole and relayed the orphaned PDU at once: the server saw the
// orphan before the fragment it orphans, and the client's next call then looked like
// interleaved fragments, a parse-error hand-off.
TEST_CASE(
    "edge review: an orphaned PDU mid-call reaches the server after the fragments before it") {
  MapiAoEvents ev;
  EdgeMapiAo edge({}, ev);
  bindEdge(edge);
  Bytes stub = emsmdb::encodeEcDoRpcExt2Request(rpcRequest({rop::RopCommitStreamRequest{}}));
  Bytes first = encode(requestPdu(Endian::Little, 5, Bytes(stub.begin(), stub.begin() + 16),
                                  dcerpc::pfc::FirstFrag));
  dcerpc::Pdu orphan;
  orphan.header = dcerpc::testing::header(dcerpc::PType::Orphaned, 5, Endian::Little);
  Bytes orphaned = encode(orphan);
  Bytes next = commitCall(6);
  AoOutput o;
  edge.onClientData(join({first, orphaned, next}), o);
  REQUIRE_FALSE(o.reset);
  CHECK_FALSE(edge.handedOff());
  CHECK(records(o.toPeer).pdus == join({first, orphaned, next}));
}

TEST_CASE("edge review: fragments after a co_cancel follow it unread") {
  MapiAoEvents ev;
  EdgeMapiAo edge({}, ev);
  bindEdge(edge);
  Bytes stub = emsmdb::encodeEcDoRpcExt2Request(rpcRequest({rop::RopCommitStreamRequest{}}));
  Bytes first = encode(requestPdu(Endian::Little, 5, Bytes(stub.begin(), stub.begin() + 16),
                                  dcerpc::pfc::FirstFrag));
  Bytes rest = encode(
      requestPdu(Endian::Little, 5, Bytes(stub.begin() + 16, stub.end()), dcerpc::pfc::LastFrag));
  dcerpc::Pdu cancel;
  cancel.header = dcerpc::testing::header(dcerpc::PType::CoCancel, 5, Endian::Little);
  Bytes cancelled = encode(cancel);
  AoOutput o;
  edge.onClientData(join({first, cancelled, rest, commitCall(6)}), o);
  REQUIRE_FALSE(o.reset);
  CHECK_FALSE(edge.handedOff());
  CHECK(records(o.toPeer).pdus == join({first, cancelled, rest, commitCall(6)}));
}

// A hand-off (here: another connection of the association group was handed off) while a
// write the edge answered is unconfirmed. The client's bytes after it went to the server raw,
// without waiting for the server's answer to the write: a commit then overtook a failed write
// and stored a partial stream the client had been told was written.
TEST_CASE("edge review: after a hand-off the client's bytes still wait for unconfirmed writes") {
  Halves w;
  w.bound();
  Bytes w1 = writeCall(5, 3000);
  w.client(w1);
  REQUIRE_FALSE(w.reset);
  REQUIRE_FALSE(w.atClient.empty());  // answered at the edge
  REQUIRE(w.atServer == w1);
  w.handOff(HandOffReason::ParseError, "another connection of the group");
  REQUIRE(w.edge.handedOff());
  w.client(commitCall(6));
  REQUIRE_FALSE(w.reset);
  CHECK(w.atServer == w1);  // the commit waits for the write's answer
  SUBCASE("the server refuses the write: the connection is reset, the commit never sent") {
    w.server(writeAnswer(5, 3000, 0x80030005, 0));
    CHECK(w.reset);
    CHECK(w.atServer == w1);
  }
  SUBCASE("the server confirms it: the commit goes on") {
    w.server(writeAnswer(5, 3000, 0, 3000));
    REQUIRE_FALSE(w.reset);
    CHECK(w.atServer == join({w1, commitCall(6)}));
  }
}

// While a call is held (write window, prefetched data, another connection's writes), the
// client's further bytes queued at the edge without limit.
TEST_CASE("edge review: client bytes queued behind a held call have a cap") {
  MapiAoEvents ev;
  MapiAoConfig cfg;
  cfg.writeWindowBytes = 7000;
  EdgeMapiAo edge(cfg, ev);
  bindEdge(edge);
  AoOutput o;
  edge.onClientData(join({writeCall(5, 3000), writeCall(6, 3000), writeCall(7, 3000)}), o);
  REQUIRE_FALSE(o.reset);
  REQUIRE(edge.holding());
  bool reset = false;
  for (uint32_t i = 0; i < 64 && !reset; ++i) {
    AoOutput q;
    edge.onClientData(writeCall(8 + i, 60000), q);
    reset = q.reset;
  }
  CHECK((reset || edge.bufferedBytes() <= cfg.maxBlockedBytes + cfg.maxCallBytes));
}

// The write window counts data bytes; a call of RopRelease only counts none, and tiny writes
// almost none: every one was answered at once and kept in a table at both halves, without any
// limit on how many.
TEST_CASE("edge review: unconfirmed calls answered at the edge are capped in number") {
  MapiAoEvents ev;
  EdgeMapiAo edge({}, ev);
  bindEdge(edge);
  size_t answered = 0;
  constexpr size_t kCalls = 20000;
  for (uint32_t i = 0; i < kCalls; ++i) {
    AoOutput o;
    edge.onClientData(i % 2 == 0 ? releaseCall(5 + i) : writeCall(5 + i, 1), o);
    REQUIRE_FALSE(o.reset);
    answered += o.toLocal.empty() ? 0 : 1;
    if (edge.holding()) {
      break;
    }
  }
  CHECK(answered < kCalls);
  CHECK(answered <= 16 * MapiAoConfig{}.maxTrackedCalls);
}

// A local answer the client's pcbOut cannot hold: the server answers such a call with
// ecBufferTooSmall (sim/emsmdb_service.cc), and the edge's success answer carried an rgbOut
// larger than its NDR MaxCount (*pcbOut), a malformed stub.
TEST_CASE("edge review: no local answer larger than the client's pcbOut") {
  MapiAoEvents ev;
  EdgeMapiAo edge({}, ev);
  bindEdge(edge);
  rop::RopWriteStreamRequest ws;
  ws.data = Bytes(100, 0x5a);
  // The call of these ROPs with this pcbOut, as the edge sends it on or answers it.
  auto send = [&](std::vector<rop::RopRequest> rops, uint32_t pcbOut) {
    auto req = rpcRequest(rops);
    req.pcbOut = pcbOut;
    AoOutput o;
    edge.onClientData(encode(requestPdu(Endian::Little, 5, emsmdb::encodeEcDoRpcExt2Request(req))),
                      o);
    REQUIRE_FALSE(o.reset);
    return o;
  };
  SUBCASE("RopWriteStream") {
    AoOutput o = send({ws}, 16);
    CHECK(o.toLocal.empty());
    CHECK(records(o.toPeer).types == std::vector<RecordType>{RecordType::Pdus});
  }
  SUBCASE("RopRelease only") {
    AoOutput o = send({rop::RopReleaseRequest{}}, 12);
    CHECK(o.toLocal.empty());
    CHECK(records(o.toPeer).types == std::vector<RecordType>{RecordType::Pdus});
  }
  SUBCASE("a pcbOut that holds the answer: answered here, and the answer decodes") {
    AoOutput o = send({ws}, 0x8000);
    REQUIRE_FALSE(o.toLocal.empty());
    dcerpc::Pdu a;
    REQUIRE(dcerpc::decodePdu(o.toLocal, a).ok());
    emsmdb::EcDoRpcExt2Response resp;
    CHECK(emsmdb::decodeEcDoRpcExt2Response(a.response()->stub, resp).ok());
  }
}

// Relayed unread, such a call may touch the object being read ahead: the read-ahead stops
// before the call reaches the server (the core then puts the stream position back).
TEST_CASE("edge review: a call relayed unread after a co_cancel ends the read-aheads first") {
  MapiAoEvents ev;
  EdgeMapiAo edge({}, ev);
  bindEdge(edge);
  rop::RopReadStreamRequest read;
  read.byteCount = 31744;
  ReadAheadStart start{1, ReadAheadKind::ReadStream, kStream, 0,
                       emsmdb::encodeEcDoRpcExt2Request(rpcRequest({read}))};
  Bytes rec;
  encodeRecord(RecordType::ReadAheadStart, encodeReadAheadStart(start), rec);
  AoOutput p;
  edge.onPeerData(rec, p);
  REQUIRE_FALSE(p.reset);
  Bytes stub = emsmdb::encodeEcDoRpcExt2Request(rpcRequest({read}));
  Bytes first = encode(requestPdu(Endian::Little, 5, Bytes(stub.begin(), stub.begin() + 16),
                                  dcerpc::pfc::FirstFrag));
  dcerpc::Pdu cancel;
  cancel.header = dcerpc::testing::header(dcerpc::PType::CoCancel, 5, Endian::Little);
  AoOutput o;
  edge.onClientData(join({first, encode(cancel)}), o);
  REQUIRE_FALSE(o.reset);
  Records r = records(o.toPeer);
  REQUIRE_FALSE(r.types.empty());
  CHECK(r.types.front() == RecordType::ReadAheadCancel);
}

TEST_CASE("edge review: a read's answer kept to count its data is capped") {
  // The edge keeps the fragments of a server answer to a read until the last one, only to
  // count the bytes it carries (statistics). An answer beyond the call cap is relayed whole
  // and uncounted, never held beyond the cap.
  MapiAoConfig cfg;
  cfg.maxCallBytes = 4096;
  MapiAoEvents ev;
  EdgeMapiAo edge(cfg, ev);
  bindEdge(edge);
  rop::RopReadStreamRequest read;
  read.byteCount = 31744;
  AoOutput sent;
  edge.onClientData(call(2, {read}), sent);
  REQUIRE_FALSE(sent.reset);
  REQUIRE_FALSE(sent.toPeer.empty());  // to the server
  rop::RopReadStreamResponse a;
  a.data = Bytes(31744, 0x61);
  std::vector<Bytes> frags = fragmentsOf(answer(2, {a}, read), 16);
  Bytes atClient, expected;
  for (const auto& f : frags) {
    Bytes rec;
    encodeRecord(RecordType::Pdus, f, rec);
    AoOutput o;
    edge.onPeerData(rec, o);
    REQUIRE_FALSE(o.reset);
    CHECK(edge.bufferedBytes() <= cfg.maxCallBytes);
    atClient.insert(atClient.end(), o.toLocal.begin(), o.toLocal.end());
    expected.insert(expected.end(), f.begin(), f.end());
  }
  CHECK(atClient == expected);
  CHECK(edge.bufferedBytes() == 0);
}
