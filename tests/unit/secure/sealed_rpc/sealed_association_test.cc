// secure/sealed_rpc: the client side of a DCE/RPC association at packet privacy, driven with a
// fake security provider (fake_security.h) and a fake DC (fake_server.h). What the real Kerberos
// provider does is proven against Samba by tests/lab/sealed_rpc_test.sh.
#include "secure/sealed_rpc/sealed_association.h"

#include <doctest/doctest.h>

#include "tests/unit/secure/sealed_rpc/fake_server.h"

using namespace bh;
using namespace bh::secure::sealed_rpc;
using namespace bh::secure::sealed_rpc::test;

namespace {

AssociationConfig drsConfig() {
  AssociationConfig c;
  c.interface = drsuapiSyntax();
  return c;
}

Bytes pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) {
    b[i] = static_cast<uint8_t>(i * 7 + 3);
  }
  return b;
}

/// A client bound through the fake server (bind, bind_ack, auth3).
struct Bound {
  FakeSecurity client;
  FakeServer server;
  SealedClientAssociation a;
  Bytes bindPdu;
  Bytes auth3Pdu;

  explicit Bound(AssociationConfig c = drsConfig(), uint16_t serverMaxRecv = 5840,
                 uint16_t serverMaxXmit = 5840)
      : a(client, c) {
    server.maxRecvFrag = serverMaxRecv;
    server.maxXmitFrag = serverMaxXmit;
    REQUIRE(a.bind(bindPdu));
    ParseResult r = a.onBindAck(server.bindAck(1), auth3Pdu);
    REQUIRE(r.ok());
    REQUIRE(a.state() == SealedClientAssociation::State::Ready);
  }
};

}  // namespace

TEST_CASE("bind: one NDR context for the interface, auth_type 16 at level 6, the AP-REQ") {
  FakeSecurity sec;
  SealedClientAssociation a(sec, drsConfig());
  Bytes out;
  REQUIRE(a.bind(out));
  // 05 00 0b 07: rpc_vers 5.0, bind, PFC_FIRST_FRAG | PFC_LAST_FRAG | PFC_SUPPORT_HEADER_SIGN;
  // 10 00 00 00: little-endian drep.
  CHECK(toHex(ByteSpan(out).first(8)) == "05000b0710000000");
  dce::Pdu p;
  REQUIRE(dce::decodePdu(out, p).ok());
  CHECK(p.header.callId == 1);
  const dce::Bind& b = *p.bind();
  CHECK(b.maxXmitFrag == 5840);
  CHECK(b.maxRecvFrag == 5840);
  REQUIRE(b.contexts.size() == 1);
  CHECK(b.contexts[0].abstractSyntax == drsuapiSyntax());
  REQUIRE(b.contexts[0].transferSyntaxes.size() == 1);
  CHECK(b.contexts[0].transferSyntaxes[0] == dce::syntax::ndr());
  REQUIRE(p.auth);
  CHECK(p.auth->trailer.authType == dce::AuthType::Kerberos);
  CHECK(p.auth->trailer.authLevel == dce::AuthLevel::PktPrivacy);
  CHECK(p.auth->trailer.authContextId == 1);
  CHECK(p.auth->credentials == fakeApReq());
  // The sec_trailer is 4-aligned (C706 13.2.6.1).
  CHECK((out.size() - p.header.authLength - dce::kSecTrailerSize) % 4 == 0);
  CHECK(a.state() == SealedClientAssociation::State::BindSent);
  Bytes again;
  CHECK_FALSE(a.bind(again));
  CHECK(a.error().failure == AssociationFailure::BadState);
}

TEST_CASE("bind_ack with the AP-REP gives rpc_auth_3 with the client's AP-REP") {
  FakeSecurity sec;
  FakeServer server;
  server.maxRecvFrag = 4280;
  SealedClientAssociation a(sec, drsConfig());
  Bytes out;
  REQUIRE(a.bind(out));
  Bytes ack = server.bindAck(1);
  // Split delivery: every prefix asks for more, never fails.
  Bytes auth3;
  for (size_t n = 0; n < ack.size(); ++n) {
    ParseResult r = a.onBindAck(ByteSpan(ack).first(n), auth3);
    REQUIRE(r.status == ParseStatus::NeedMore);
  }
  ParseResult r = a.onBindAck(ack, auth3);
  REQUIRE(r.ok());
  CHECK(r.consumed == ack.size());
  CHECK(a.state() == SealedClientAssociation::State::Ready);
  CHECK(a.negotiatedXmitFrag() == 4280);  // the server's max_recv_frag
  CHECK(a.negotiatedRecvFrag() == 5840);
  // A server that sends more than we offered (Samba: never under 2048) is read up to its size.
  FakeSecurity sec2;
  FakeServer samba;
  samba.maxXmitFrag = samba.maxRecvFrag = 2048;
  AssociationConfig small = drsConfig();
  small.maxXmitFrag = small.maxRecvFrag = 1024;
  SealedClientAssociation a2(sec2, small);
  Bytes out2;
  REQUIRE(a2.bind(out2));
  Bytes auth3b;
  REQUIRE(a2.onBindAck(samba.bindAck(1), auth3b).ok());
  CHECK(a2.negotiatedXmitFrag() == 1024);
  CHECK(a2.negotiatedRecvFrag() == 2048);
  CHECK(a.headerSigning());
  CHECK(a.assocGroupId() == 0x1234);
  // 4280 - 24 - 8 - 32 = 4216, a multiple of 16 already... rounded down to 16 in any case.
  CHECK(a.fragmentPayload() == (4280 - 24 - 8 - FakeSecurity::kTokenSize) / 16 * 16);
  dce::Pdu p;
  REQUIRE(dce::decodePdu(auth3, p).ok());
  CHECK(p.ptype() == dce::PType::Auth3);
  CHECK(p.header.callId == 1);
  REQUIRE(p.auth);
  CHECK(p.auth->credentials == fakeClientApRep());
  CHECK(p.auth->trailer.authType == dce::AuthType::Kerberos);
  CHECK(p.auth->trailer.authLevel == dce::AuthLevel::PktPrivacy);
  CHECK(std::get<dce::Auth3>(p.body).pad.size() == 4);
}

TEST_CASE("a request is sealed with its stub padded to 16, header and trailer signed") {
  for (size_t n : {0u, 1u, 15u, 16u, 17u, 60u, 100u}) {
    CAPTURE(n);
    Bound b;
    std::vector<Bytes> frags;
    Bytes stub = pattern(n);
    REQUIRE(b.a.request(0, stub, frags));
    REQUIRE(frags.size() == 1);
    const Bytes& f = frags[0];
    const size_t pad = (16 - n % 16) % 16;
    CHECK(f.size() == 24 + n + pad + 8 + FakeSecurity::kTokenSize);
    dce::Pdu p;
    Bytes plain;
    REQUIRE(b.server.readRequest(f, p, plain));
    CHECK(plain == stub);
    CHECK(p.header.callId == 2);
    CHECK(p.header.pfcFlags == (dce::pfc::FirstFrag | dce::pfc::LastFrag));
    CHECK(p.request()->opnum == 0);
    CHECK(p.request()->allocHint == n);
    CHECK(p.auth->trailer.authPadLength == pad);
    CHECK(p.header.authLength == FakeSecurity::kTokenSize);
    if (n > 0) {
      CHECK(Bytes(f.begin() + 24, f.begin() + 24 + static_cast<ptrdiff_t>(n)) != stub);
    }
  }
}

TEST_CASE("header signing: a changed header or sec_trailer fails the server's check") {
  for (size_t at : {size_t{16}, size_t{22}}) {  // alloc_hint, opnum
    Bound b;
    std::vector<Bytes> frags;
    REQUIRE(b.a.request(3, pattern(40), frags));
    frags[0][at] ^= 1;
    dce::Pdu p;
    Bytes plain;
    CHECK_FALSE(b.server.readRequest(frags[0], p, plain));
  }
  Bound b;
  std::vector<Bytes> frags;
  REQUIRE(b.a.request(3, pattern(40), frags));
  frags[0][24 + 48 + 7] ^= 1;  // auth_context_id, in the sec_trailer after 40 + 8 pad
  dce::Pdu p;
  Bytes plain;
  CHECK_FALSE(b.server.readRequest(frags[0], p, plain));
}

TEST_CASE("a request longer than a fragment: fragments at the negotiated size, each sealed") {
  // The server takes 140-byte fragments: 140 - 24 - 8 - 32 = 76, 64 stub bytes a fragment.
  Bound b(drsConfig(), 140);
  CHECK(b.a.fragmentPayload() == 64);
  Bytes stub = pattern(200);
  std::vector<Bytes> frags;
  REQUIRE(b.a.request(7, stub, frags));
  REQUIRE(frags.size() == 4);
  Bytes joined;
  const uint8_t flags[] = {dce::pfc::FirstFrag, 0, 0, dce::pfc::LastFrag};
  const uint32_t hints[] = {200, 136, 72, 8};
  for (size_t i = 0; i < frags.size(); ++i) {
    CAPTURE(i);
    CHECK(frags[i].size() <= 140);
    dce::Pdu p;
    Bytes plain;
    REQUIRE(b.server.readRequest(frags[i], p, plain));  // each verifies alone, in order
    CHECK(p.header.pfcFlags == flags[i]);
    CHECK(p.request()->allocHint == hints[i]);
    CHECK(p.header.callId == 2);
    joined.insert(joined.end(), plain.begin(), plain.end());
  }
  CHECK(joined == stub);
  CHECK(b.client.sealedPdus == 4);
}

TEST_CASE("a response in fragments, delivered a byte at a time, is unsealed and joined") {
  Bound b;
  std::vector<Bytes> frags;
  REQUIRE(b.a.request(0, pattern(60), frags));
  dce::Pdu first;
  Bytes firstPlain;
  REQUIRE(b.server.readRequest(frags[0], first, firstPlain));
  Bytes stub = pattern(150);
  std::vector<Bytes> resp = b.server.responses(2, stub, 64);
  REQUIRE(resp.size() == 3);
  Bytes stream;
  for (const Bytes& r : resp) {
    stream.insert(stream.end(), r.begin(), r.end());
  }
  size_t start = 0;
  size_t end = 1;
  while (start < stream.size()) {
    ParseResult r = b.a.onResponse(ByteSpan(stream).subspan(start, end - start));
    REQUIRE(r.status != ParseStatus::Error);
    if (r.ok()) {
      start += r.consumed;
      end = start;
    }
    end++;
    if (end > stream.size()) {
      end = stream.size();
    }
  }
  REQUIRE(b.a.responseComplete());
  CHECK(b.a.takeResponse() == stub);
  CHECK(b.a.state() == SealedClientAssociation::State::Ready);
  // The next call is numbered on.
  REQUIRE(b.a.request(1, pattern(20), frags));
  dce::Pdu p;
  Bytes plain;
  REQUIRE(b.server.readRequest(frags[0], p, plain));
  CHECK(p.header.callId == 3);
}

TEST_CASE("response caps: alloc_hint, the stub held, the fragment count, the fragment size") {
  SUBCASE("alloc_hint over the cap is refused before any byte is held") {
    AssociationConfig c = drsConfig();
    c.maxResponseStub = 1000;
    Bound b(c);
    std::vector<Bytes> frags;
    REQUIRE(b.a.request(0, pattern(8), frags));
    Bytes r = b.server.response(2, pattern(16), dce::pfc::FirstFrag, 1001);
    CHECK(b.a.onResponse(r).status == ParseStatus::Error);
    CHECK(b.a.error().failure == AssociationFailure::TooLarge);
    CHECK(b.a.bufferedResponseBytes() == 0);
  }
  SUBCASE("fragments that add up over the cap, under a small alloc_hint") {
    AssociationConfig c = drsConfig();
    c.maxResponseStub = 1000;
    Bound b(c);
    std::vector<Bytes> frags;
    REQUIRE(b.a.request(0, pattern(8), frags));
    Bytes chunk = pattern(400);
    REQUIRE(b.a.onResponse(b.server.response(2, chunk, dce::pfc::FirstFrag, 10)).ok());
    REQUIRE(b.a.onResponse(b.server.response(2, chunk, 0, 10)).ok());
    CHECK(b.a.bufferedResponseBytes() == 800);
    CHECK(b.a.onResponse(b.server.response(2, chunk, 0, 10)).status == ParseStatus::Error);
    CHECK(b.a.error().failure == AssociationFailure::TooLarge);
    CHECK(b.a.bufferedResponseBytes() == 0);
    CHECK(b.a.state() == SealedClientAssociation::State::Failed);
  }
  SUBCASE("more fragments than the cap") {
    AssociationConfig c = drsConfig();
    c.maxResponseFragments = 3;
    Bound b(c);
    std::vector<Bytes> frags;
    REQUIRE(b.a.request(0, pattern(8), frags));
    REQUIRE(b.a.onResponse(b.server.response(2, pattern(1), dce::pfc::FirstFrag, 1)).ok());
    REQUIRE(b.a.onResponse(b.server.response(2, pattern(1), 0, 1)).ok());
    REQUIRE(b.a.onResponse(b.server.response(2, pattern(1), 0, 1)).ok());
    CHECK(b.a.onResponse(b.server.response(2, pattern(1), 0, 1)).status == ParseStatus::Error);
    CHECK(b.a.error().failure == AssociationFailure::TooLarge);
  }
  SUBCASE("a fragment over the receive size is refused from its header alone") {
    AssociationConfig c = drsConfig();
    c.maxRecvFrag = 200;
    Bound b(c, 5840, 200);
    std::vector<Bytes> frags;
    REQUIRE(b.a.request(0, pattern(8), frags));
    Bytes r = b.server.response(2, pattern(300), dce::pfc::FirstFrag | dce::pfc::LastFrag, 300);
    CHECK(b.a.onResponse(ByteSpan(r).first(16)).status == ParseStatus::Error);
    CHECK(b.a.error().failure == AssociationFailure::Malformed);
  }
  SUBCASE("a request stub over its cap") {
    AssociationConfig c = drsConfig();
    c.maxRequestStub = 100;
    Bound b(c);
    std::vector<Bytes> frags;
    CHECK(b.a.request(0, pattern(100), frags));
    Bound b2(c);
    CHECK_FALSE(b2.a.request(0, pattern(101), frags));
    CHECK(b2.a.error().failure == AssociationFailure::TooLarge);
  }
}

TEST_CASE("the server's refusals are named: bind_nak, fault, a refused context, no AP-REP") {
  auto bindThen = [](const Bytes& answer, SealedClientAssociation& a) {
    Bytes out;
    REQUIRE(a.bind(out));
    Bytes auth3;
    return a.onBindAck(answer, auth3);
  };
  FakeServer server;
  SUBCASE("bind_nak") {
    FakeSecurity sec;
    SealedClientAssociation a(sec, drsConfig());
    CHECK(bindThen(FakeServer::bindNak(1, 8), a).status == ParseStatus::Error);
    CHECK(a.error().failure == AssociationFailure::BindNak);
    CHECK(a.error().status == 8);
    CHECK(a.error().describe().find("authentication_type_not_recognized") != std::string::npos);
  }
  SUBCASE("fault to the bind") {
    FakeSecurity sec;
    SealedClientAssociation a(sec, drsConfig());
    CHECK(bindThen(FakeServer::fault(1, 0x721), a).status == ParseStatus::Error);
    CHECK(a.error().failure == AssociationFailure::Fault);
    CHECK(a.error().describe().find("nca_s_fault_sec_pkg_error") != std::string::npos);
  }
  SUBCASE("the context refused") {
    FakeSecurity sec;
    SealedClientAssociation a(sec, drsConfig());
    CHECK(bindThen(server.bindAck(1, fakeServerApRep(), 2, 1), a).status == ParseStatus::Error);
    CHECK(a.error().failure == AssociationFailure::ContextRejected);
    CHECK(a.error().status == 1);
  }
  SUBCASE("bind_ack without an auth verifier") {
    FakeSecurity sec;
    SealedClientAssociation a(sec, drsConfig());
    CHECK(bindThen(server.bindAck(1, {}, 0, 0, dce::AuthType::Kerberos, false), a).status ==
          ParseStatus::Error);
    CHECK(a.error().failure == AssociationFailure::AuthMismatch);
  }
  SUBCASE("bind_ack with another auth type") {
    FakeSecurity sec;
    SealedClientAssociation a(sec, drsConfig());
    CHECK(bindThen(server.bindAck(1, fakeServerApRep(), 0, 0, dce::AuthType::Spnego), a).status ==
          ParseStatus::Error);
    CHECK(a.error().failure == AssociationFailure::AuthMismatch);
  }
  SUBCASE("an AP-REP that does not verify") {
    FakeSecurity sec;
    SealedClientAssociation a(sec, drsConfig());
    CHECK(bindThen(server.bindAck(1, Bytes{0x6f, 1, 2}), a).status == ParseStatus::Error);
    CHECK(a.error().failure == AssociationFailure::Security);
    CHECK(a.error().detail.find("MUTUAL_AUTH_FAILED") != std::string::npos);
  }
  SUBCASE("bind_ack for another call") {
    FakeSecurity sec;
    SealedClientAssociation a(sec, drsConfig());
    CHECK(bindThen(server.bindAck(9), a).status == ParseStatus::Error);
    CHECK(a.error().failure == AssociationFailure::Unexpected);
  }
  SUBCASE("a fault to a call") {
    Bound b;
    std::vector<Bytes> frags;
    REQUIRE(b.a.request(99, pattern(8), frags));
    CHECK(b.a.onResponse(FakeServer::fault(2, 0x1c010002)).status == ParseStatus::Error);
    CHECK(b.a.error().failure == AssociationFailure::Fault);
    CHECK(b.a.error().status == 0x1c010002);
    CHECK(b.a.error().describe().find("nca_s_op_rng_error") != std::string::npos);
  }
}

TEST_CASE("a response that does not verify, is replayed or out of place is refused, named") {
  SUBCASE("a changed sealed byte") {
    Bound b;
    std::vector<Bytes> frags;
    REQUIRE(b.a.request(0, pattern(8), frags));
    Bytes r = b.server.response(2, pattern(32), dce::pfc::FirstFrag | dce::pfc::LastFrag, 32);
    r[30] ^= 0x80;
    CHECK(b.a.onResponse(r).status == ParseStatus::Error);
    CHECK(b.a.error().failure == AssociationFailure::VerifyFailed);
  }
  SUBCASE("a changed header byte (alloc_hint, signed)") {
    Bound b;
    std::vector<Bytes> frags;
    REQUIRE(b.a.request(0, pattern(8), frags));
    Bytes r = b.server.response(2, pattern(32), dce::pfc::FirstFrag | dce::pfc::LastFrag, 32);
    r[17] ^= 0x01;
    CHECK(b.a.onResponse(r).status == ParseStatus::Error);
    CHECK(b.a.error().failure == AssociationFailure::VerifyFailed);
  }
  SUBCASE("the same fragment twice") {
    Bound b;
    std::vector<Bytes> frags;
    REQUIRE(b.a.request(0, pattern(8), frags));
    Bytes r = b.server.response(2, pattern(32), dce::pfc::FirstFrag, 64);
    REQUIRE(b.a.onResponse(r).ok());
    r[3] = dce::pfc::LastFrag;  // a replay needs no FIRST_FRAG; its checksum no longer fits
    CHECK(b.a.onResponse(r).status == ParseStatus::Error);
    CHECK(b.a.error().failure == AssociationFailure::VerifyFailed);
  }
  SUBCASE("a response sealed out of sequence") {
    Bound b;
    std::vector<Bytes> frags;
    REQUIRE(b.a.request(0, pattern(8), frags));
    (void)b.server.response(2, pattern(16), dce::pfc::FirstFrag, 16);  // never delivered
    Bytes r = b.server.response(2, pattern(16), dce::pfc::FirstFrag | dce::pfc::LastFrag, 16);
    CHECK(b.a.onResponse(r).status == ParseStatus::Error);
    CHECK(b.a.error().failure == AssociationFailure::VerifyFailed);
    CHECK(b.a.error().detail.find("SEQUENCE") != std::string::npos);
  }
  SUBCASE("an unsealed response") {
    Bound b;
    std::vector<Bytes> frags;
    REQUIRE(b.a.request(0, pattern(8), frags));
    dce::Pdu p;
    p.header.ptype = dce::PType::Response;
    p.header.callId = 2;
    p.body = dce::Response{8, 0, 0, 0, pattern(8)};
    CHECK(b.a.onResponse(*dce::encodePdu(p)).status == ParseStatus::Error);
    CHECK(b.a.error().failure == AssociationFailure::AuthMismatch);
  }
  SUBCASE("another call's response, or one without PFC_FIRST_FRAG") {
    Bound b;
    std::vector<Bytes> frags;
    REQUIRE(b.a.request(0, pattern(8), frags));
    CHECK(b.a.onResponse(b.server.response(5, pattern(8), 3, 8)).status == ParseStatus::Error);
    CHECK(b.a.error().failure == AssociationFailure::Unexpected);
    Bound c;
    REQUIRE(c.a.request(0, pattern(8), frags));
    CHECK(c.a.onResponse(c.server.response(2, pattern(8), dce::pfc::LastFrag, 8)).status ==
          ParseStatus::Error);
    CHECK(c.a.error().failure == AssociationFailure::Malformed);
  }
  SUBCASE("garbage") {
    Bound b;
    std::vector<Bytes> frags;
    REQUIRE(b.a.request(0, pattern(8), frags));
    Bytes g(64, 0x41);
    CHECK(b.a.onResponse(g).status == ParseStatus::Error);
    CHECK(b.a.error().failure == AssociationFailure::Malformed);
  }
}

TEST_CASE("calls out of order are refused, named") {
  FakeSecurity sec;
  SealedClientAssociation a(sec, drsConfig());
  std::vector<Bytes> frags;
  CHECK_FALSE(a.request(0, pattern(4), frags));
  CHECK(a.error().failure == AssociationFailure::BadState);
  Bound b;
  CHECK(b.a.onResponse(b.server.response(2, pattern(8), 3, 8)).status == ParseStatus::Error);
  CHECK(b.a.error().failure == AssociationFailure::BadState);
  FakeSecurity sec2;
  SealedClientAssociation c(sec2, drsConfig());
  Bytes auth3;
  CHECK(c.onBindAck(FakeServer().bindAck(1), auth3).status == ParseStatus::Error);
  CHECK(c.error().failure == AssociationFailure::BadState);
}

TEST_CASE(
    "every truncation of a valid bind_ack or response asks for more; a cut one never "
    "passes") {
  FakeServer server;
  Bytes ack = server.bindAck(1);
  for (size_t n = 0; n < ack.size(); ++n) {
    FakeSecurity sec;
    SealedClientAssociation a(sec, drsConfig());
    Bytes out;
    REQUIRE(a.bind(out));
    Bytes auth3;
    CHECK(a.onBindAck(ByteSpan(ack).first(n), auth3).status == ParseStatus::NeedMore);
  }
  // A bind_ack whose frag_length is cut short (its auth_value lost) fails cleanly.
  for (size_t cut = 1; cut < 40; ++cut) {
    FakeSecurity sec;
    SealedClientAssociation a(sec, drsConfig());
    Bytes out;
    REQUIRE(a.bind(out));
    Bytes b = ack;
    b.resize(ack.size() - cut);
    b[8] = static_cast<uint8_t>(b.size());
    b[9] = static_cast<uint8_t>(b.size() >> 8);
    Bytes auth3;
    ParseResult r = a.onBindAck(b, auth3);
    CHECK(r.status == ParseStatus::Error);
  }
}

TEST_CASE("SPNEGO: four legs, the third in an alter_context, the fourth completes the context") {
  FakeSecurity sec;
  sec.spnego = true;
  FakeServer server;
  server.security.spnego = true;
  SealedClientAssociation a(sec, drsConfig());
  Bytes bindPdu;
  REQUIRE(a.bind(bindPdu));
  dce::Pdu p;
  REQUIRE(dce::decodePdu(bindPdu, p).ok());
  CHECK(p.auth->trailer.authType == dce::AuthType::Spnego);
  Bytes alter;
  REQUIRE(
      a.onBindAck(server.bindAck(1, fakeServerApRep(), 0, 0, dce::AuthType::Spnego), alter).ok());
  CHECK(a.state() == SealedClientAssociation::State::AlterContextSent);
  // MS-RPCE 3.3.1.5.2.1, as Samba's rpcclient: alter_context, the bind's call_id, no header
  // signing flag, the same presentation context, auth_type 9 level 6, the client's token.
  CHECK(toHex(ByteSpan(alter).first(4)) == "05000e03");
  REQUIRE(dce::decodePdu(alter, p).ok());
  CHECK(p.ptype() == dce::PType::AlterContext);
  CHECK(p.header.callId == 1);
  REQUIRE(p.bind()->contexts.size() == 1);
  CHECK(p.bind()->contexts[0].abstractSyntax == drsuapiSyntax());
  CHECK(p.bind()->assocGroupId == 0x1234);
  REQUIRE(p.auth);
  CHECK(p.auth->trailer.authType == dce::AuthType::Spnego);
  CHECK(p.auth->trailer.authLevel == dce::AuthLevel::PktPrivacy);
  CHECK(p.auth->credentials == fakeClientApRep());
  CHECK((alter.size() - p.header.authLength - dce::kSecTrailerSize) % 4 == 0);
  // A request before the fourth leg is refused.
  {
    FakeSecurity s2;
    s2.spnego = true;
    SealedClientAssociation early(s2, drsConfig());
    Bytes b2, alter2;
    REQUIRE(early.bind(b2));
    REQUIRE(
        early.onBindAck(server.bindAck(1, fakeServerApRep(), 0, 0, dce::AuthType::Spnego), alter2)
            .ok());
    std::vector<Bytes> frags;
    CHECK_FALSE(early.request(0, pattern(4), frags));
    CHECK(early.error().failure == AssociationFailure::BadState);
  }
  Bytes resp = server.alterContextResp(1);
  for (size_t n = 0; n < resp.size(); ++n) {
    REQUIRE(a.onAlterContextResp(ByteSpan(resp).first(n)).status == ParseStatus::NeedMore);
  }
  ParseResult r = a.onAlterContextResp(resp);
  REQUIRE(r.ok());
  CHECK(r.consumed == resp.size());
  CHECK(a.state() == SealedClientAssociation::State::Ready);
  CHECK(a.headerSigning());  // from the bind_ack
  // Calls are sealed with the SPNEGO trailer, and answered.
  std::vector<Bytes> frags;
  Bytes stub = pattern(40);
  REQUIRE(a.request(3, stub, frags));
  REQUIRE(frags.size() == 1);
  Bytes plain;
  REQUIRE(server.readRequest(frags[0], p, plain));
  CHECK(plain == stub);
  CHECK(p.auth->trailer.authType == dce::AuthType::Spnego);
  for (const Bytes& f : server.responses(2, stub, 5000)) {
    REQUIRE(a.onResponse(f).ok());
  }
  CHECK(a.takeResponse() == stub);
}

TEST_CASE("SPNEGO's fourth leg refused: another token, a fault, another PDU, another auth type") {
  auto bound = [](FakeSecurity& sec, SealedClientAssociation& a, FakeServer& server) {
    Bytes b, alter;
    REQUIRE(a.bind(b));
    REQUIRE(
        a.onBindAck(server.bindAck(1, fakeServerApRep(), 0, 0, dce::AuthType::Spnego), alter).ok());
    (void)sec;
  };
  FakeServer server;
  struct Case {
    const char* name;
    Bytes pdu;
    AssociationFailure failure;
  };
  std::vector<Case> cases = {
      {"a final token that does not verify", server.alterContextResp(1, fakeServerApRep()),
       AssociationFailure::Security},
      {"a fault", FakeServer::fault(1, 5), AssociationFailure::Fault},
      {"a bind_ack", server.bindAck(1, fakeFinalToken(), 0, 0, dce::AuthType::Spnego),
       AssociationFailure::Unexpected},
      {"another call_id", server.alterContextResp(2), AssociationFailure::Unexpected},
      {"auth_type 16", server.alterContextResp(1, fakeFinalToken(), dce::AuthType::Kerberos),
       AssociationFailure::AuthMismatch},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    FakeSecurity sec;
    sec.spnego = true;
    SealedClientAssociation a(sec, drsConfig());
    bound(sec, a, server);
    CHECK(a.onAlterContextResp(c.pdu).status == ParseStatus::Error);
    CHECK(a.error().failure == c.failure);
    CHECK(a.state() == SealedClientAssociation::State::Failed);
  }
  // Kerberos' three legs never wait for an alter_context_resp.
  Bound k;
  CHECK(k.a.onAlterContextResp(server.alterContextResp(1)).status == ParseStatus::Error);
  CHECK(k.a.error().failure == AssociationFailure::BadState);
}

TEST_CASE("packet integrity: level 5, the stub clear, the token over header, stub and trailer") {
  FakeSecurity sec;
  sec.integrity = true;
  FakeServer server;
  server.level = dce::AuthLevel::PktIntegrity;
  server.security.integrity = true;
  SealedClientAssociation a(sec, drsConfig());
  Bytes b, auth3;
  REQUIRE(a.bind(b));
  dce::Pdu p;
  REQUIRE(dce::decodePdu(b, p).ok());
  CHECK(p.auth->trailer.authLevel == dce::AuthLevel::PktIntegrity);
  REQUIRE(a.onBindAck(server.bindAck(1), auth3).ok());
  REQUIRE(dce::decodePdu(auth3, p).ok());
  CHECK(p.auth->trailer.authLevel == dce::AuthLevel::PktIntegrity);
  Bytes stub = pattern(37);
  std::vector<Bytes> frags;
  REQUIRE(a.request(0, stub, frags));
  REQUIRE(frags.size() == 1);
  // The stub crosses as it is (padded to 16, as Samba pads at every level).
  CHECK(Bytes(frags[0].begin() + 24, frags[0].begin() + 24 + 37) == stub);
  Bytes plain;
  REQUIRE(server.readRequest(frags[0], p, plain));
  CHECK(plain == stub);
  CHECK(p.auth->trailer.authLevel == dce::AuthLevel::PktIntegrity);
  CHECK(p.auth->trailer.authPadLength == 11);
  // A changed stub byte fails the MIC, on either side.
  FakeServer other;
  other.level = dce::AuthLevel::PktIntegrity;
  other.security.integrity = true;
  Bytes changed = frags[0];
  changed[30] ^= 1;
  CHECK_FALSE(other.readRequest(changed, p, plain));
  std::vector<Bytes> resp = server.responses(2, stub, 5000);
  resp[0][30] ^= 1;
  CHECK(a.onResponse(resp[0]).status == ParseStatus::Error);
  CHECK(a.error().failure == AssociationFailure::VerifyFailed);
}

TEST_CASE("a response at another level than the bind's is refused") {
  Bound b;  // packet privacy
  b.server.level = dce::AuthLevel::PktIntegrity;
  std::vector<Bytes> frags;
  REQUIRE(b.a.request(0, pattern(8), frags));
  CHECK(b.a.onResponse(b.server.responses(2, pattern(8), 5000)[0]).status == ParseStatus::Error);
  CHECK(b.a.error().failure == AssociationFailure::AuthMismatch);
}
