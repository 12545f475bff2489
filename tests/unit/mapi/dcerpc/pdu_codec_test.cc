#include "mapi/dcerpc/pdu_codec.h"

#include <doctest/doctest.h>

#include "tests/unit/mapi/dcerpc/test_util.h"

using namespace bh;
using namespace bh::mapi::dcerpc;
using namespace bh::mapi::dcerpc::testing;

namespace {

Pdu roundTrip(const Pdu& in) {
  Bytes wire = encode(in);
  Pdu out;
  ParseResult r = decodePdu(wire, out);
  REQUIRE(r.ok());
  CHECK(r.consumed == wire.size());
  CHECK(out.header.fragLength == wire.size());
  // Re-encoding what was decoded gives the same bytes.
  CHECK(encode(out) == wire);
  return out;
}

void checkSameBody(const Pdu& a, const Pdu& b) {
  CHECK(a.body == b.body);
  CHECK(a.extra == b.extra);
  CHECK(a.auth == b.auth);
  CHECK(a.header.ptype == b.header.ptype);
  CHECK(a.header.callId == b.header.callId);
  CHECK(a.header.drep == b.header.drep);
}

std::vector<Pdu> everyPduType(Endian e) {
  std::vector<Pdu> all;
  all.push_back(bindPdu(e));
  all.push_back(bindPdu(e, 2, PType::AlterContext));
  all.push_back(bindAckPdu(e));
  all.push_back(bindAckPdu(e, 2, PType::AlterContextResp));
  Pdu nak;
  nak.header = header(PType::BindNak, 3, e);
  nak.body = BindNak{4, {{5, 0}, {5, 1}}};
  all.push_back(nak);
  all.push_back(requestPdu(e, 4, pattern(37, 1)));
  Pdu obj = requestPdu(e, 5, pattern(8, 2));
  std::get<Request>(obj.body).object = syntax::epm().uuid;
  all.push_back(obj);
  all.push_back(responsePdu(e, 6, pattern(50, 3)));
  Pdu fault;
  fault.header = header(PType::Fault, 7, e, 0x23);
  fault.body = Fault{32, 1, 0, 0, 0x1c010003, 0, {}};
  all.push_back(fault);
  Pdu auth3;
  auth3.header = header(PType::Auth3, 8, e);
  auth3.body = Auth3{{0x20, 0x20, 0x20, 0x20}};
  auth3.auth =
      AuthVerifier{{}, {AuthType::Ntlm, AuthLevel::PktPrivacy, 0, 0, 79231}, pattern(90, 4)};
  all.push_back(auth3);
  for (PType t : {PType::Shutdown, PType::CoCancel, PType::Orphaned}) {
    Pdu p;
    p.header = header(t, 9, e);
    all.push_back(p);
  }
  return all;
}

}  // namespace

TEST_CASE("every CO PDU type round-trips in both byte orders") {
  for (Endian e : {Endian::Little, Endian::Big}) {
    for (const Pdu& p : everyPduType(e)) {
      CAPTURE(ptypeName(p.ptype()));
      CAPTURE(e == Endian::Little);
      Pdu back = roundTrip(p);
      checkSameBody(p, back);
      CHECK(back.header.endian() == e);
    }
  }
}

TEST_CASE("byte order follows drep[0] bit 0x10") {
  Pdu le = requestPdu(Endian::Little, 0x01020304, pattern(4, 0));
  Pdu be = requestPdu(Endian::Big, 0x01020304, pattern(4, 0));
  Bytes wl = encode(le);
  Bytes wb = encode(be);
  CHECK(wl[4] == 0x10);
  CHECK(wb[4] == 0x00);
  CHECK(toHex(ByteSpan(wl).subspan(8, 8)) == "1c00000004030201");
  CHECK(toHex(ByteSpan(wb).subspan(8, 8)) == "001c000001020304");
  CHECK(toHex(ByteSpan(wb).subspan(16, 8)) == "000000040000000b");  // alloc_hint, ctx, opnum
}

TEST_CASE("hand-written request with object uuid decodes field by field (C706 12.6.4.9)") {
  // 05 00 00 83 | 10 00 00 00 | 2c 00 | 00 00 | 2a 00 00 00   header, PFC_OBJECT_UUID
  // 04 00 00 00 | 01 00 | 03 00                                alloc_hint 4, ctx 1, opnum 3
  // 0883afe1 1f5d c911 91a4 08002b14a0fa                       object (LE wire form)
  // de ad be ef                                                stub
  Bytes wire =
      hex("05000083100000002c000000 2a000000 04000000 0100 0300"
          "0883afe11f5dc91191a408002b14a0fa deadbeef");
  Pdu p;
  REQUIRE(decodePdu(wire, p).ok());
  const Request* q = p.request();
  REQUIRE(q);
  CHECK(p.header.callId == 42);
  CHECK(q->allocHint == 4);
  CHECK(q->contextId == 1);
  CHECK(q->opnum == 3);
  REQUIRE(q->object);
  CHECK(q->object->toString() == "e1af8308-5d1f-11c9-91a4-08002b14a0fa");
  CHECK(toHex(q->stub) == "deadbeef");
  CHECK(encode(p) == wire);
}

TEST_CASE("auth padding is excluded from the stub and kept for re-encoding") {
  Pdu p = requestPdu(Endian::Little, 3, pattern(41, 9));
  AuthVerifier v;
  v.pad = Bytes(authPadFor(kHeaderSize + 8 + 41), 0xbb);
  v.trailer = {AuthType::Ntlm, AuthLevel::PktPrivacy, 0, 0, 79231};
  v.credentials = pattern(16, 7);
  p.auth = v;
  Bytes wire = encode(p);
  CHECK(v.pad.size() == 3);
  CHECK(wire.size() == 24 + 41 + 3 + 8 + 16);
  CHECK((wire.size() - 16 - 8) % 4 == 0);  // sec_trailer 4-aligned
  Pdu back;
  REQUIRE(decodePdu(wire, back).ok());
  CHECK(back.request()->stub == pattern(41, 9));
  REQUIRE(back.auth);
  CHECK(back.auth->trailer.authPadLength == 3);
  CHECK(back.auth->pad == Bytes(3, 0xbb));
  CHECK(back.auth->credentials == pattern(16, 7));
  CHECK(back.header.authLength == 16);
}

TEST_CASE("bind_ack secondary address and alignment (C706 12.6.4.4)") {
  for (Endian e : {Endian::Little, Endian::Big}) {
    Pdu p = bindAckPdu(e);
    Bytes wire = encode(p);
    // 16 + 8 + 2 + "6001\0" = 31 -> padded to 32 before p_result_list.
    CHECK(wire[32] == 2);  // n_results
    Pdu back;
    REQUIRE(decodePdu(wire, back).ok());
    CHECK(back.bindAck()->port() == "6001");
    // Non-zero alignment bytes are accepted (their value is unspecified).
    wire[31] = 0xaa;
    REQUIRE(decodePdu(wire, back).ok());
    CHECK(back.bindAck()->results.size() == 2);
  }
}

TEST_CASE("frameHeader needs 16 bytes and frames on frag_length first") {
  Bytes wire = encode(bindPdu(Endian::Little));
  Header h;
  for (size_t n = 0; n < kHeaderSize; ++n) {
    ParseResult r = frameHeader(ByteSpan(wire.data(), n), {}, h);
    CHECK(r.status == ParseStatus::NeedMore);
    CHECK(r.needed == kHeaderSize);
  }
  ParseResult r = frameHeader(ByteSpan(wire.data(), kHeaderSize), {}, h);
  REQUIRE(r.ok());
  CHECK(r.consumed == wire.size());
  Pdu p;
  for (size_t n = kHeaderSize; n < wire.size(); ++n) {
    ParseResult d = decodePdu(ByteSpan(wire.data(), n), p);
    CHECK(d.status == ParseStatus::NeedMore);
    CHECK(d.needed == wire.size());
  }
}

TEST_CASE("malformed headers are errors") {
  const Bytes good = encode(requestPdu(Endian::Little, 1, pattern(8, 0)));
  Pdu p;
  auto mutate = [&](size_t at, uint8_t v) {
    Bytes b = good;
    b[at] = v;
    return decodePdu(b, p);
  };
  CHECK(mutate(0, 4).status == ParseStatus::Error);     // rpc_vers 4
  CHECK(mutate(1, 2).status == ParseStatus::Error);     // minor 2
  CHECK(mutate(1, 1).ok());                             // minor 1 is fine
  CHECK(mutate(2, 1).status == ParseStatus::Error);     // ping: connectionless
  CHECK(mutate(2, 20).status == ParseStatus::Error);    // rts: not decoded here
  CHECK(mutate(8, 15).status == ParseStatus::Error);    // frag_length < 16
  CHECK(mutate(8, 23).status == ParseStatus::Error);    // frag_length < request's fixed part
  CHECK(mutate(10, 1).status == ParseStatus::Error);    // auth_length without room for it
  CHECK(mutate(3, 0x83).status == ParseStatus::Error);  // object uuid flag, no room for it
  FrameLimits tight;
  tight.maxFragLength = good.size() - 1;
  CHECK(decodePdu(good, p, tight).status == ParseStatus::Error);
  tight.maxFragLength = good.size();
  CHECK(decodePdu(good, p, tight).ok());
}

TEST_CASE("malformed bodies are errors") {
  Pdu p;
  SUBCASE("bind with a context list longer than the PDU") {
    Bytes b = encode(bindPdu(Endian::Little));
    b[24] = 3;  // n_context_elem 3, only 2 present
    CHECK(decodePdu(b, p).status == ParseStatus::Error);
  }
  SUBCASE("bind with a transfer syntax count past the end") {
    Bytes b = encode(bindPdu(Endian::Little));
    b[30] = 9;
    CHECK(decodePdu(b, p).status == ParseStatus::Error);
  }
  SUBCASE("bind_ack with a secondary address longer than the PDU") {
    Bytes b = encode(bindAckPdu(Endian::Little));
    b[24] = 0xff;
    CHECK(decodePdu(b, p).status == ParseStatus::Error);
  }
  SUBCASE("bind_nak with more versions than bytes") {
    Pdu nak;
    nak.header = header(PType::BindNak, 3, Endian::Little);
    nak.body = BindNak{4, {{5, 0}}};
    Bytes b = encode(nak);
    b[18] = 4;
    CHECK(decodePdu(b, p).status == ParseStatus::Error);
  }
  SUBCASE("auth_pad_length reaching into the fixed part") {
    Pdu q = requestPdu(Endian::Little, 1, pattern(4, 0));
    q.auth = AuthVerifier{{}, {AuthType::Ntlm, AuthLevel::Connect, 0, 0, 1}, pattern(16, 0)};
    Bytes b = encode(q);
    size_t trailer = b.size() - 16 - 8;
    b[trailer + 2] = 4;  // exactly the stub: fine
    CHECK(decodePdu(b, p).ok());
    CHECK(p.request()->stub.empty());
    b[trailer + 2] = 5;  // one byte into alloc_hint/ctx/opnum
    CHECK(decodePdu(b, p).status == ParseStatus::Error);
  }
}

TEST_CASE("extra body bytes survive a round trip") {
  Pdu p = bindPdu(Endian::Big);
  p.extra = pattern(6, 5);
  Pdu back = roundTrip(p);
  CHECK(back.extra == pattern(6, 5));
  Pdu s;
  s.header = header(PType::Shutdown, 0, Endian::Little);
  s.extra = {1, 2};
  CHECK(roundTrip(s).extra == Bytes{1, 2});
}

TEST_CASE("encoder refuses what cannot be framed") {
  Pdu p = requestPdu(Endian::Little, 1, Bytes(65535, 0));
  CHECK_FALSE(encodePdu(p));
  Pdu wrong = requestPdu(Endian::Little, 1, {});
  wrong.header.ptype = PType::Bind;  // body type does not match the PTYPE
  CHECK_FALSE(encodePdu(wrong));
  Pdu noCred = requestPdu(Endian::Little, 1, {});
  noCred.auth = AuthVerifier{};
  CHECK_FALSE(encodePdu(noCred));  // auth_length 0 would mean "no trailer"
  Pdu many = bindPdu(Endian::Little);
  std::get<Bind>(many.body).contexts.resize(256);
  CHECK_FALSE(encodePdu(many));
}
