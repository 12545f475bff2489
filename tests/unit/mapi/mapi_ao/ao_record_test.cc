// The MAPI AO's record channel (ao_record.h) and the PDU header peeks it relies on: round trips,
// delivery split at every byte boundary, malformed input, caps.
#include "mapi/mapi_ao/ao_record.h"

#include <doctest/doctest.h>

#include "mapi/dcerpc/co_stream.h"
#include "mapi/dcerpc/pdu_codec.h"

using namespace bh;
using namespace bh::mapi::mapi_ao;
namespace dcerpc = bh::mapi::dcerpc;

namespace {

/// A response fragment: 24-byte header (C706 12.6.4.10) + stub; little or big endian.
Bytes responseFragment(uint32_t callId, uint8_t flags, const Bytes& stub, bool little = true) {
  Bytes f;
  ByteWriter w(f, little ? Endian::Little : Endian::Big);
  w.u8(5);
  w.u8(0);
  w.u8(2);  // response
  w.u8(flags);
  w.u8(little ? 0x10 : 0x00);
  w.u8(0);
  w.u8(0);
  w.u8(0);
  w.u16(static_cast<uint16_t>(24 + stub.size()));
  w.u16(0);
  w.u32(callId);
  w.u32(static_cast<uint32_t>(stub.size()));  // alloc_hint
  w.u16(1);                                   // p_cont_id
  w.u8(0);
  w.u8(0);
  f.insert(f.end(), stub.begin(), stub.end());
  return f;
}

Bytes counting(size_t n, uint8_t start = 0) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) {
    b[i] = static_cast<uint8_t>(start + i);
  }
  return b;
}

Bytes sampleStream() {
  Bytes s;
  encodeRecord(RecordType::Pdus, counting(40), s);
  ReadAheadStart st{7, ReadAheadKind::FastTransferGetBuffer, 0x1234, 2, counting(30, 9)};
  encodeRecord(RecordType::ReadAheadStart, encodeReadAheadStart(st), s);
  encodeRecord(RecordType::ReadAheadConsumed, encodeReadAheadConsumed(7, 3), s);
  encodeRecord(RecordType::ReadAheadCancel, encodeReadAheadCancel({7, 3, true}), s);
  encodeRecord(RecordType::ReadAheadEnd, encodeReadAheadId(7), s);
  return s;
}

}  // namespace

TEST_CASE("record bodies round-trip") {
  ReadAheadStart st{9, ReadAheadKind::ReadStream, 0xdeadbeef, 3, counting(50)};
  ReadAheadStart st2;
  REQUIRE(decodeReadAheadStart(encodeReadAheadStart(st), st2));
  CHECK(st2 == st);
  uint32_t id = 0, count = 0;
  REQUIRE(decodeReadAheadConsumed(encodeReadAheadConsumed(4, 5), id, count));
  CHECK((id == 4 && count == 5));
  ReadAheadCancel c{1, 2, true}, c2;
  REQUIRE(decodeReadAheadCancel(encodeReadAheadCancel(c), c2));
  CHECK(c2 == c);
  HandOffReason r{};
  REQUIRE(decodeHandOff(encodeHandOff(HandOffReason::Ntlm), r));
  CHECK(r == HandOffReason::Ntlm);
}

TEST_CASE("malformed record bodies are refused") {
  ReadAheadStart st;
  CHECK_FALSE(decodeReadAheadStart(Bytes{0, 0, 0, 1, 9, 0, 0, 0, 0, 0, 0, 1}, st));  // kind 9
  CHECK_FALSE(decodeReadAheadStart(Bytes{0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0}, st));     // no stub
  uint32_t id = 0, count = 0;
  CHECK_FALSE(decodeReadAheadConsumed(Bytes{0, 0, 0, 1, 0, 0, 0}, id, count));
  CHECK_FALSE(decodeReadAheadId(Bytes{0, 0, 0, 1, 0}, id));
  ReadAheadCancel c;
  CHECK_FALSE(decodeReadAheadCancel(Bytes{0, 0, 0, 1, 0, 0, 0, 0, 2}, c));  // unknown flag
  HandOffReason r{};
  CHECK_FALSE(decodeHandOff(Bytes{0, 200}, r));
  CHECK_FALSE(decodeHandOff(Bytes{0}, r));
  ReadAheadData d;
  CHECK_FALSE(decodeReadAheadData(Bytes{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5, 1, 2}, d));
}

TEST_CASE("record reader: every split point gives the same records") {
  Bytes stream = sampleStream();
  std::vector<Record> whole;
  Bytes raw;
  RecordReader r0;
  REQUIRE(r0.feed(stream, whole, raw).ok());
  REQUIRE(whole.size() == 5);
  CHECK(raw.empty());
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    RecordReader r;
    std::vector<Record> got;
    Bytes rawGot;
    REQUIRE(r.feed(ByteSpan(stream).first(cut), got, rawGot).ok());
    REQUIRE(r.feed(ByteSpan(stream).subspan(cut), got, rawGot).ok());
    CHECK(got == whole);
    CHECK(r.bufferedBytes() == 0);
  }
}

TEST_CASE("record reader: after HandOff the bytes are raw, in order, at any split") {
  Bytes stream;
  encodeRecord(RecordType::Pdus, counting(10), stream);
  encodeRecord(RecordType::HandOff, encodeHandOff(HandOffReason::ParseError), stream);
  Bytes tail = counting(25, 100);
  stream.insert(stream.end(), tail.begin(), tail.end());
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    RecordReader r;
    std::vector<Record> got;
    Bytes raw;
    REQUIRE(r.feed(ByteSpan(stream).first(cut), got, raw).ok());
    REQUIRE(r.feed(ByteSpan(stream).subspan(cut), got, raw).ok());
    REQUIRE(got.size() == 2);
    CHECK(got[1].type == RecordType::HandOff);
    CHECK(raw == tail);
    CHECK(r.handedOff());
  }
}

TEST_CASE("record reader: unknown type and oversize length fail before buffering the body") {
  RecordReader r;
  std::vector<Record> got;
  Bytes raw;
  CHECK(r.feed(Bytes{0x42, 0, 0, 0, 1}, got, raw).status == ParseStatus::Error);
  CHECK(r.feed(Bytes{1, 0, 0, 0, 0}, got, raw).status == ParseStatus::Error);  // sticky
  RecordLimits small{100};
  RecordReader r2(small);
  CHECK(r2.feed(Bytes{1, 0, 0, 0, 101}, got, raw).status == ParseStatus::Error);
  CHECK(r2.bufferedBytes() == 0);
  RecordReader r3(small);
  CHECK(r3.feed(Bytes{1, 0, 0, 0, 100}, got, raw).ok());  // at the cap: waits for the body
  CHECK(r3.bufferedBytes() == 5);
}

TEST_CASE("ReadAheadData: fragments come back byte for byte with the client's call id") {
  for (bool little : {true, false}) {
    CAPTURE(little);
    std::vector<Bytes> frags = {responseFragment(0xb1000005, 0x01, counting(100), little),
                                responseFragment(0xb1000005, 0x00, counting(100, 7), little),
                                responseFragment(0xb1000005, 0x02, counting(33, 3), little)};
    ReadAheadData d;
    REQUIRE(ReadAheadData::fromFragments(3, 4096, frags, d));
    std::vector<size_t> cuts;
    Bytes body = encodeReadAheadData(d, &cuts);
    REQUIRE(cuts.size() == 2);
    CHECK(cuts[1] - cuts[0] ==
          d.stub.size() - ReadAheadData::kStubPrefix - ReadAheadData::kStubSuffix);
    ReadAheadData back;
    REQUIRE(decodeReadAheadData(body, back));
    CHECK(back == d);
    Bytes expected;
    for (auto f : frags) {
      dcerpc::setCallId(f, 42);
      expected.insert(expected.end(), f.begin(), f.end());
    }
    CHECK(back.toFragments(42) == expected);
  }
}

TEST_CASE("ReadAheadData refuses what it could not put back exactly") {
  ReadAheadData d;
  Bytes request = responseFragment(1, 3, counting(10));
  request[2] = 0;  // a request, not a response
  CHECK_FALSE(ReadAheadData::fromFragments(1, 0, {request}, d));
  Bytes signedResp = responseFragment(1, 3, counting(10));
  signedResp[10] = 16;  // auth_length: a verifier follows the stub
  CHECK_FALSE(ReadAheadData::fromFragments(1, 0, {signedResp}, d));
  REQUIRE(ReadAheadData::fromFragments(1, 0, {responseFragment(1, 3, counting(10))}, d));
  d.stub.pop_back();  // frag_length no longer adds up
  CHECK(d.toFragments(1).empty());
}

namespace {
/// The PDUs of `stream` as the AO halves take them (the stream engine, PDUs only).
std::vector<Bytes> framePdus(ByteSpan first, ByteSpan rest) {
  dcerpc::StreamLimits l;
  l.reassemble = false;
  dcerpc::CoStream s(dcerpc::Sender::Server, l);
  std::vector<Bytes> pdus;
  dcerpc::StreamPdu item;
  for (ByteSpan part : {first, rest}) {
    REQUIRE(s.feed(part).ok());
    while (s.next(item).ok()) {
      pdus.push_back(item.raw);
    }
  }
  return pdus;
}
}  // namespace

TEST_CASE("PDU framing: whole PDUs at every split, call ids rewritten in both byte orders") {
  Bytes a = responseFragment(1, 3, counting(50));
  Bytes b = responseFragment(2, 3, counting(5), false);
  Bytes stream = a;
  stream.insert(stream.end(), b.begin(), b.end());
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    std::vector<Bytes> pdus = framePdus(ByteSpan(stream).first(cut), ByteSpan(stream).subspan(cut));
    REQUIRE(pdus.size() == 2);
    CHECK(pdus[0] == a);
    CHECK(pdus[1] == b);
  }
  CHECK(dcerpc::callIdOf(a) == 1);
  CHECK(dcerpc::callIdOf(b) == 2);
  dcerpc::setCallId(a, 0x01020304);
  dcerpc::setCallId(b, 0x01020304);
  CHECK(dcerpc::callIdOf(a) == 0x01020304);
  CHECK(dcerpc::callIdOf(b) == 0x01020304);
  CHECK(a[12] == 0x04);
  CHECK(b[12] == 0x01);
}

TEST_CASE("PDU framing: a non-DCE/RPC header fails and keeps the bytes for a hand-off") {
  dcerpc::CoStream f(dcerpc::Sender::Server);
  Bytes good = responseFragment(1, 3, counting(8));
  Bytes junk = {'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P', '/', '1', '.', '1', 13, 10};
  Bytes stream = good;
  stream.insert(stream.end(), junk.begin(), junk.end());
  CHECK(f.feed(stream).status == ParseStatus::Error);
  dcerpc::StreamPdu item;
  REQUIRE(f.next(item).ok());
  CHECK(item.raw == good);
  CHECK(f.next(item).status == ParseStatus::Error);
  CHECK(f.takeUnframed() == junk);
}

TEST_CASE("WriteBehind: request fragments come back byte for byte; the stable stub is cut apart") {
  auto request = [](uint32_t callId, uint8_t flags, const Bytes& stub) {
    Bytes f = responseFragment(callId, flags, stub);
    f[2] = 0;    // request
    f[22] = 11;  // opnum (bytes 22-23)
    return f;
  };
  std::vector<Bytes> frags = {request(9, 0x01, counting(200)), request(9, 0x02, counting(77, 5))};
  WriteBehind w;
  w.objectHandle = 0x77;
  w.dataBytes = 250;
  REQUIRE(splitFragments(frags, 0, w.fragmentHeaders, w.stub));
  std::vector<size_t> cuts;
  Bytes body = encodeWriteBehind(w, &cuts);
  REQUIRE(cuts.size() == 2);
  CHECK(cuts[1] - cuts[0] == w.stub.size() - WriteBehind::kStubPrefix - WriteBehind::kStubSuffix);
  WriteBehind back;
  REQUIRE(decodeWriteBehind(body, back));
  CHECK(back == w);
  Bytes expected = frags[0];
  expected.insert(expected.end(), frags[1].begin(), frags[1].end());
  CHECK(joinFragments(back.fragmentHeaders, back.stub, 9) == expected);
  // A request with an object UUID has a longer header: not taken apart.
  Bytes withObject = request(9, 0x83, counting(40));
  CHECK_FALSE(splitFragments({withObject}, 0, w.fragmentHeaders, w.stub));
}
