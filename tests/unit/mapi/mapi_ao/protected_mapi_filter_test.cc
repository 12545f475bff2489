// The MAPI AO's protection layer (protected_mapi_filter.h, issue 18): an edge layer and a core
// layer around pass-through halves, with a fake association (fake_protection.h). Clear streams
// pass untouched at every split; a protected bind is opened at the core, its context reaches the
// edge ahead of the bind_ack and only over a confirmed secured leg; calls are opened and sealed
// again with each side's own numbering (local answers at the edge, injected calls at the core);
// what cannot be opened is named and left untouched; a PDU that does not verify reaches the
// other side exactly as sent, or the flow is reset once numbering drifted; caps.
#include "mapi/mapi_ao/protected_mapi_filter.h"

#include <doctest/doctest.h>

#include <deque>

#include "mapi/mapi_ao/hand_off_reason.h"
#include "mapi/mapi_ao/pdu_splitter.h"
#include "mapi/mapi_ao/protection_frame.h"
#include "tests/unit/mapi/mapi_ao/fake_protection.h"

using namespace bh;
using namespace bh::mapi::mapi_ao;
using namespace bh::mapi::mapi_ao::testing;
namespace dcerpc = bh::mapi::dcerpc;
using accel::FlowFilter;
using Output = FlowFilter::Output;

namespace {

Bytes header(uint8_t ptype, size_t bodyLen, uint32_t callId) {
  Bytes p = {5, 0, ptype, 3, 0x10, 0, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < 4; ++i) {
    p.push_back(static_cast<uint8_t>(callId >> (8 * i)));
  }
  put16(p, 8, static_cast<uint16_t>(16 + bodyLen));
  return p;
}

/// A bind-family PDU with a Kerberos sec_trailer at `level` and a 32-byte token.
Bytes bindLeg(uint8_t ptype, uint8_t level = 6, uint8_t authType = 16) {
  const size_t fixed = ptype == 16 ? 4 : (ptype == 12 ? 16 : 12);
  Bytes p = header(ptype, fixed + 8 + 32, 1);
  p.resize(16 + fixed, 0);
  const uint8_t trailer[8] = {authType, level, 0, 0, 0, 0, 0, 0};
  p.insert(p.end(), trailer, trailer + 8);
  for (uint8_t i = 0; i < 32; ++i) {
    p.push_back(i);
  }
  put16(p, 10, 32);
  return p;
}

Bytes plainRequest(uint32_t callId, uint16_t opnum, const Bytes& stub) {
  Bytes p = header(0, 8 + stub.size(), callId);
  const uint8_t fixed[8] = {
      static_cast<uint8_t>(stub.size()), 0, 0, 0, 0, 0, static_cast<uint8_t>(opnum),
      static_cast<uint8_t>(opnum >> 8)};
  p.insert(p.end(), fixed, fixed + 8);
  p.insert(p.end(), stub.begin(), stub.end());
  return p;
}

Bytes plainResponse(uint32_t callId, const Bytes& stub) {
  Bytes p = header(2, 8 + stub.size(), callId);
  const uint8_t fixed[8] = {static_cast<uint8_t>(stub.size()), 0, 0, 0, 0, 0, 0, 0};
  p.insert(p.end(), fixed, fixed + 8);
  p.insert(p.end(), stub.begin(), stub.end());
  return p;
}

/// A half that relays both ways (its raw mode and its framed mode look the same here). As the
/// edge it answers a request of opnum 0x77 itself; as the core it sends the server an extra
/// request after one of opnum 0x66 and keeps that extra call's answer (a read-ahead).
class PassHalf : public FlowFilter {
 public:
  bool edge = true;
  std::vector<std::pair<uint16_t, std::string>> handOffs;
  size_t holding = 0;
  void onLocalData(ByteSpan data, Output& out) override {
    if (edge) {
      out.toPeer.insert(out.toPeer.end(), data.begin(), data.end());
      return;
    }
    // Server -> edge; the injected call's answer stays here.
    std::vector<Bytes> pdus;
    (void)fromServer.feed(data, pdus);
    for (auto& p : pdus) {
      if (dcerpc::callIdOf(p) == 0xB1000001) {
        ++injectedAnswers;
        continue;
      }
      out.toPeer.insert(out.toPeer.end(), p.begin(), p.end());
    }
  }
  void onPeerData(ByteSpan data, Output& out) override {
    std::vector<Bytes> pdus;
    (void)fromPeer.feed(data, pdus);
    for (auto& p : pdus) {
      if (edge || dcerpc::ptypeOf(p) != dcerpc::PType::Request || p.size() < 24) {
        out.toLocal.insert(out.toLocal.end(), p.begin(), p.end());
        continue;
      }
      out.toLocal.insert(out.toLocal.end(), p.begin(), p.end());
      if (p[22] == 0x66) {
        Bytes inj = plainRequest(0xB1000001, 0x66, {9, 9, 9, 9});
        out.toLocal.insert(out.toLocal.end(), inj.begin(), inj.end());
      }
    }
  }
  bool onLocalEof(Output&) override { return true; }
  bool canFinishTowardsLocal() const override { return true; }
  size_t bufferedBytes() const override { return holding; }
  void requestHandOff(uint16_t reason, const std::string& why, Output&) override {
    handOffs.emplace_back(reason, why);
  }
  PduSplitter fromServer, fromPeer;
  int injectedAnswers = 0;
};

/// The edge half that answers opnum 0x77 locally.
class AnsweringEdge : public PassHalf {
 public:
  void onLocalData(ByteSpan data, Output& out) override {
    std::vector<Bytes> pdus;
    (void)fromClient.feed(data, pdus);
    for (auto& p : pdus) {
      if (dcerpc::ptypeOf(p) == dcerpc::PType::Request && p.size() >= 24 && p[22] == 0x77) {
        Bytes ans = plainResponse(dcerpc::callIdOf(p), {0x77, 0x77, 0x77, 0x77});
        out.toLocal.insert(out.toLocal.end(), ans.begin(), ans.end());
        continue;
      }
      out.toPeer.insert(out.toPeer.end(), p.begin(), p.end());
    }
  }
  PduSplitter fromClient;
};

class RecordingEvents : public ProtectionEvents {
 public:
  bool securing = true;
  bool* secured;
  int opened = 0, verbatim = 0, verbatimResets = 0;
  explicit RecordingEvents(bool* s) : secured(s) {}
  void onProtectedOpened(const std::string&) override { ++opened; }
  void onVerbatim(dcerpc::Sender, const std::string&, bool reset) override {
    ++(reset ? verbatimResets : verbatim);
  }
  bool peerLegSecuring() const override { return securing; }
  bool peerLegSecured() const override { return *secured; }
};

/// Client <-> edge layer <-> core layer <-> server.
struct Link {
  FakeProvider provider;
  bool secured = true;
  PassHalf* edgeHalf = nullptr;
  PassHalf* coreHalf = nullptr;
  RecordingEvents* coreEvents = nullptr;
  RecordingEvents* edgeEvents = nullptr;
  std::unique_ptr<ProtectedMapiFilter> edge, core;
  Bytes toClient, toServer;
  bool reset = false;
  std::string why;

  explicit Link(bool answeringEdge = false) {
    std::unique_ptr<PassHalf> e =
        answeringEdge ? std::make_unique<AnsweringEdge>() : std::make_unique<PassHalf>();
    auto c = std::make_unique<PassHalf>();
    c->edge = false;
    edgeHalf = e.get();
    coreHalf = c.get();
    auto ee = std::make_unique<RecordingEvents>(&secured);
    auto ce = std::make_unique<RecordingEvents>(&secured);
    edgeEvents = ee.get();
    coreEvents = ce.get();
    edge = makeProtectedEdgeFilter(std::move(e), &provider, std::move(ee));
    core = makeProtectedCoreFilter(std::move(c), &provider, std::move(ce));
  }
  void settle(Output& o, bool fromEdge) {
    if (o.reset) {
      reset = true;
      why = o.resetReason;
      return;
    }
    Bytes& local = fromEdge ? toClient : toServer;
    local.insert(local.end(), o.toLocal.begin(), o.toLocal.end());
    if (o.toPeer.empty()) {
      return;
    }
    Output next;
    (fromEdge ? core : edge)->onPeerData(o.toPeer, next);
    settle(next, !fromEdge);
  }
  void client(ByteSpan b) {
    Output o;
    edge->onLocalData(b, o);
    settle(o, true);
  }
  void server(ByteSpan b) {
    Output o;
    core->onLocalData(b, o);
    settle(o, false);
  }
  void legSecured() {
    secured = true;
    Output o;
    core->onPeerLegSecured(o);
    settle(o, false);
  }
  /// Bind, bind_ack, auth3 of a protected association.
  void open() {
    client(bindLeg(11));
    server(bindLeg(12));
    client(bindLeg(16));
  }
};

}  // namespace

TEST_CASE("protection layer: a clear association passes untouched at every split point") {
  Bytes clientStream, serverStream;
  for (Bytes p : {bindLeg(11, 2, 0), plainRequest(2, 1, {1, 2, 3, 4, 5, 6, 7, 8}),
                  plainRequest(3, 0x66, Bytes(300, 7))}) {
    clientStream.insert(clientStream.end(), p.begin(), p.end());
  }
  for (Bytes p : {bindLeg(12, 2, 0), plainResponse(2, {1}), plainResponse(3, Bytes(70, 3))}) {
    serverStream.insert(serverStream.end(), p.begin(), p.end());
  }
  for (size_t cut = 0; cut <= clientStream.size(); cut += 7) {
    Link l;
    l.client(ByteSpan(clientStream).first(cut));
    l.client(ByteSpan(clientStream).subspan(cut));
    l.server(ByteSpan(serverStream).first(std::min(cut, serverStream.size())));
    l.server(ByteSpan(serverStream).subspan(std::min(cut, serverStream.size())));
    REQUIRE_FALSE(l.reset);
    // The core half's injected call (after opnum 0x66) is the only addition on a clear link.
    Bytes want = clientStream;
    Bytes inj = plainRequest(0xB1000001, 0x66, {9, 9, 9, 9});
    want.insert(want.end(), inj.begin(), inj.end());
    CHECK(l.toServer == want);
    CHECK(l.toClient == serverStream);
    CHECK(l.provider.opened == 0);
  }
}

TEST_CASE(
    "protection layer: the core opens the bind, the edge gets the context, calls are "
    "opened and sealed again") {
  Link l;
  l.open();
  REQUIRE_FALSE(l.reset);
  CHECK(l.provider.opened == 1);
  CHECK(l.edgeEvents->opened == 1);
  CHECK(l.edge->protection() == "Fake xor packet privacy");
  // The bind legs cross as they are.
  Bytes legs = bindLeg(11);
  Bytes a3 = bindLeg(16);
  legs.insert(legs.end(), a3.begin(), a3.end());
  CHECK(l.toServer == legs);
  CHECK(l.toClient == bindLeg(12));
  l.toServer.clear();
  l.toClient.clear();

  // A sealed call: the halves see it plain; the server gets it sealed with the next number.
  Bytes req = plainRequest(2, 1, {1, 2, 3, 4});
  l.client(FakeAssociation::sealWith(req, kClientStart));
  REQUIRE_FALSE(l.reset);
  CHECK(l.toServer == FakeAssociation::sealWith(req, kClientStart));
  Bytes resp = plainResponse(2, {5, 6, 7});
  l.server(FakeAssociation::sealWith(resp, kServerStart));
  CHECK(l.toClient == FakeAssociation::sealWith(resp, kServerStart));
}

TEST_CASE(
    "protection layer: local answers and injected calls renumber each side for the "
    "connection's life") {
  Link l(true);
  l.open();
  l.toServer.clear();
  l.toClient.clear();
  // 1. The edge answers opnum 0x77 itself: the client sees the answer with the server's next
  //    number; the server never sees that call.
  Bytes q1 = plainRequest(2, 0x77, {1});
  l.client(FakeAssociation::sealWith(q1, kClientStart));
  CHECK(l.toServer.empty());
  CHECK(l.toClient ==
        FakeAssociation::sealWith(plainResponse(2, {0x77, 0x77, 0x77, 0x77}), kServerStart));
  l.toClient.clear();
  // 2. The client's next call carries its next number; the server gets it with the number the
  //    server expects next (one less: it never saw the call answered at the edge).
  Bytes q2 = plainRequest(3, 0x66, {2, 2});
  l.client(FakeAssociation::sealWith(q2, kClientStart + 1));
  Bytes want = FakeAssociation::sealWith(q2, kClientStart);
  Bytes inj =
      FakeAssociation::sealWith(plainRequest(0xB1000001, 0x66, {9, 9, 9, 9}), kClientStart + 1);
  want.insert(want.end(), inj.begin(), inj.end());
  CHECK(l.toServer == want);  // the core's injected call takes the next number
  l.toServer.clear();
  // 3. The server answers both (its numbers run on); the injected answer stays at the core,
  //    and the client gets the other with the number after the local answer.
  Bytes r3 = plainResponse(3, {3});
  Bytes both = FakeAssociation::sealWith(r3, kServerStart);
  Bytes ri = FakeAssociation::sealWith(plainResponse(0xB1000001, {4}), kServerStart + 1);
  both.insert(both.end(), ri.begin(), ri.end());
  l.server(both);
  REQUIRE_FALSE(l.reset);
  CHECK(l.coreHalf->injectedAnswers == 1);
  CHECK(l.toClient == FakeAssociation::sealWith(r3, kServerStart + 1));
  // 4. And on: the next call from the client (its number +2) reaches the server as +2 (one
  //    skipped at the edge, one injected at the core).
  l.toServer.clear();
  Bytes q4 = plainRequest(4, 1, {4});
  l.client(FakeAssociation::sealWith(q4, kClientStart + 2));
  CHECK(l.toServer == FakeAssociation::sealWith(q4, kClientStart + 2));
}

TEST_CASE("protection layer: what cannot be opened is named and passes untouched") {
  Link l;
  l.provider.haveKey = false;
  l.open();
  Bytes req = FakeAssociation::sealWith(plainRequest(2, 1, {1}), kClientStart);
  l.client(req);
  REQUIRE_FALSE(l.reset);
  REQUIRE(l.edgeHalf->handOffs.size() == 1);
  CHECK(l.edgeHalf->handOffs[0].first == static_cast<uint16_t>(HandOffReason::Encrypted));
  CHECK(l.edgeHalf->handOffs[0].second.find("retrieval in progress") != std::string::npos);
  REQUIRE(l.coreHalf->handOffs.size() == 1);
  Bytes want = bindLeg(11);
  for (const Bytes& p : {bindLeg(16), req}) {
    want.insert(want.end(), p.begin(), p.end());
  }
  CHECK(l.toServer == want);
  CHECK(l.toClient == bindLeg(12));
}

TEST_CASE("protection layer: the keys cross only a confirmed secured leg") {
  SUBCASE("a leg still in its handshake: the bind_ack waits for the confirmation") {
    Link l;
    l.secured = false;
    l.client(bindLeg(11));
    l.server(bindLeg(12));
    CHECK(l.toClient.empty());
    CHECK(l.edgeEvents->opened == 0);
    l.legSecured();
    CHECK(l.toClient == bindLeg(12));
    CHECK(l.edgeEvents->opened == 1);
  }
  SUBCASE("a clear leg: handed off, named") {
    Link l;
    l.secured = false;
    l.coreEvents->securing = false;
    l.open();
    REQUIRE_FALSE(l.reset);
    CHECK(l.edgeEvents->opened == 0);
    REQUIRE(l.edgeHalf->handOffs.size() == 1);
    CHECK(l.edgeHalf->handOffs[0].second.find("WAN secure") != std::string::npos);
    CHECK(l.toClient == bindLeg(12));
  }
}

TEST_CASE("protection layer: a PDU that does not verify is never repaired") {
  Bytes req = plainRequest(2, 1, {1, 2, 3, 4});
  Bytes bad = FakeAssociation::sealWith(req, kClientStart);
  bad[bad.size() - 1] ^= 1;  // the verifier
  SUBCASE("nothing renumbered yet: the server gets exactly what the client sent") {
    Link l;
    l.open();
    l.toServer.clear();
    l.client(bad);
    REQUIRE_FALSE(l.reset);
    CHECK(l.toServer == bad);
    CHECK(l.edgeEvents->verbatim == 1);
    CHECK(l.edgeHalf->handOffs.size() == 1);
    // The client goes on with its next number: relayed as sent too (the server judges).
    Bytes next = FakeAssociation::sealWith(plainRequest(3, 1, {5}), kClientStart + 1);
    l.toServer.clear();
    l.client(next);
    CHECK(l.toServer == next);
  }
  SUBCASE("after renumbering: reset, nothing relayed") {
    Link l(true);
    l.open();
    l.client(FakeAssociation::sealWith(plainRequest(2, 0x77, {1}), kClientStart));
    l.toServer.clear();
    Bytes bad2 = FakeAssociation::sealWith(plainRequest(3, 1, {1}), kClientStart + 1);
    bad2[bad2.size() - 1] ^= 1;
    l.client(bad2);
    CHECK(l.reset);
    CHECK(l.toServer.empty());
    CHECK(l.coreEvents->verbatimResets == 1);
  }
  SUBCASE("a server PDU after the edge answered locally: reset") {
    Link l(true);
    l.open();
    l.client(FakeAssociation::sealWith(plainRequest(2, 0x77, {1}), kClientStart));
    l.toClient.clear();
    Bytes badResp = FakeAssociation::sealWith(plainResponse(3, {1}), kServerStart);
    badResp[badResp.size() - 1] ^= 1;
    l.server(badResp);
    CHECK(l.reset);
    CHECK(l.toClient.empty());
  }
  SUBCASE("the half holds data: reset rather than reorder") {
    Link l;
    l.open();
    l.edgeHalf->holding = 10;
    l.client(bad);
    CHECK(l.reset);
  }
}

TEST_CASE("protection layer: caps") {
  SUBCASE("client bytes held while the context is awaited") {
    Link l;
    l.client(bindLeg(11));  // the core has no bind_ack yet: the edge awaits the context
    Bytes call = FakeAssociation::sealWith(plainRequest(2, 1, Bytes(60000, 1)), kClientStart);
    size_t sent = 0;
    while (!l.reset && sent <= kMaxHeldBytes) {
      l.client(call);
      sent += call.size();
    }
    CHECK(l.reset);
    CHECK(sent > kMaxHeldBytes - call.size());
  }
  SUBCASE("frames above their cap are refused from the header") {
    ProtectionFrameReader r;
    Bytes f = {static_cast<uint8_t>(ProtectionFrameType::Context), 0, 0, 0x10, 0x01};
    size_t pos = 0;
    ProtectionFrameReader::Item item;
    CHECK(r.next(f, pos, item).status == ParseStatus::Error);
    ProtectionFrameReader r2;
    Bytes g = {9, 0, 0, 0, 0};
    pos = 0;
    CHECK(r2.next(g, pos, item).status == ParseStatus::Error);
  }
}

TEST_CASE("protection frames: round trip at every split point") {
  Bytes stream;
  encodeInnerHeader(3, stream);
  stream.insert(stream.end(), {1, 2, 3});
  encodeProtectionFrame(ProtectionFrameType::Context, Bytes(40, 7), stream);
  encodeProtectionFrame(ProtectionFrameType::OpenRequest, {}, stream);
  Bytes v = encodeVerbatim(77, bindLeg(0x0b));
  encodeProtectionFrame(ProtectionFrameType::Verbatim, v, stream);
  encodeInnerHeader(0, stream);
  encodeInnerHeader(2, stream);
  stream.insert(stream.end(), {4, 5});
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    ProtectionFrameReader r;
    Bytes inner;
    std::vector<std::pair<uint8_t, Bytes>> others;
    for (ByteSpan part : {ByteSpan(stream).first(cut), ByteSpan(stream).subspan(cut)}) {
      size_t pos = 0;
      ProtectionFrameReader::Item item;
      while (true) {
        ParseResult res = r.next(part, pos, item);
        REQUIRE(res.status != ParseStatus::Error);
        if (res.status == ParseStatus::NeedMore) {
          break;
        }
        if (item.type == ProtectionFrameType::Inner) {
          inner.insert(inner.end(), item.body.begin(), item.body.end());
        } else {
          others.emplace_back(static_cast<uint8_t>(item.type),
                              Bytes(item.body.begin(), item.body.end()));
        }
      }
    }
    CHECK(inner == Bytes{1, 2, 3, 4, 5});
    REQUIRE(others.size() == 3);
    CHECK(others[0].second == Bytes(40, 7));
    CHECK(others[1].second.empty());
    uint64_t due = 0;
    ByteSpan pdu;
    REQUIRE(decodeVerbatim(others[2].second, due, pdu));
    CHECK(due == 77);
    CHECK(Bytes(pdu.begin(), pdu.end()) == bindLeg(0x0b));
  }
}
