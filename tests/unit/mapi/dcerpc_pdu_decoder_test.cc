#include <doctest/doctest.h>

#include "mapi/dcerpc/pdu_decoder.h"
#include "tests/unit/mapi/dcerpc_test_util.h"

using namespace bh;
using namespace bh::mapi::dcerpc;
using namespace bh::mapi::dcerpc::testing;

namespace {

/// A client stream: bind, a single-fragment request, a request in three fragments interleaved
/// with another single one, a big-endian PDU is in its own test.
Bytes clientStream() {
  Bytes s;
  auto add = [&](const Pdu& p) {
    Bytes w = encode(p);
    s.insert(s.end(), w.begin(), w.end());
  };
  add(bindPdu(Endian::Little, 1));
  add(requestPdu(Endian::Little, 2, pattern(30, 1)));
  add(requestPdu(Endian::Little, 3, pattern(40, 2), pfc::FirstFrag));
  add(requestPdu(Endian::Little, 4, pattern(5, 3)));
  add(requestPdu(Endian::Little, 3, pattern(40, 4), 0));
  add(requestPdu(Endian::Little, 3, pattern(7, 5), pfc::LastFrag));
  Pdu sd;
  sd.header = header(PType::Shutdown, 0, Endian::Little);
  add(sd);
  return s;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) {
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

void checkClientStream(const RecordingCallbacks& rec, const Bytes& stream) {
  REQUIRE(rec.pdus.size() == 7);
  // Raw bytes of the PDUs, joined, are the stream itself.
  Bytes joined;
  for (const Bytes& r : rec.raws) {
    joined.insert(joined.end(), r.begin(), r.end());
  }
  CHECK(joined == stream);
  REQUIRE(rec.calls.size() == 3);
  CHECK(rec.calls[0].callId == 2);
  CHECK(rec.calls[0].stub == pattern(30, 1));
  CHECK(rec.calls[1].callId == 4);
  CHECK(rec.calls[2].callId == 3);
  CHECK(rec.calls[2].fragments == 3);
  CHECK(rec.calls[2].opnum == 11);
  CHECK(rec.calls[2].stub == concat({pattern(40, 2), pattern(40, 4), pattern(7, 5)}));
}

}  // namespace

TEST_CASE("a multi-PDU stream decodes the same when split at every byte boundary") {
  const Bytes stream = clientStream();
  RecordingCallbacks whole;
  PduDecoder d(whole);
  REQUIRE(d.onData(stream).ok());
  checkClientStream(whole, stream);
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    CAPTURE(cut);
    RecordingCallbacks rec;
    PduDecoder split(rec);
    REQUIRE(split.onData(ByteSpan(stream).first(cut)).ok());
    REQUIRE(split.onData(ByteSpan(stream).subspan(cut)).ok());
    checkClientStream(rec, stream);
    CHECK(split.bufferedBytes() == 0);
    CHECK(split.pendingCalls() == 0);
  }
}

TEST_CASE("a stream fed one byte at a time, and in every pair of cuts") {
  const Bytes stream = clientStream();
  RecordingCallbacks rec;
  PduDecoder d(rec);
  for (uint8_t b : stream) {
    REQUIRE(d.onData(ByteSpan(&b, 1)).ok());
    CHECK(d.bufferedBytes() < 200);
  }
  checkClientStream(rec, stream);
  // Three pieces around the fragmented call's PDUs (a sample of cut pairs keeps it fast).
  for (size_t a = 0; a < stream.size(); a += 7) {
    for (size_t b = a; b <= stream.size(); b += 5) {
      RecordingCallbacks r3;
      PduDecoder d3(r3);
      REQUIRE(d3.onData(ByteSpan(stream).first(a)).ok());
      REQUIRE(d3.onData(ByteSpan(stream).subspan(a, b - a)).ok());
      REQUIRE(d3.onData(ByteSpan(stream).subspan(b)).ok());
      checkClientStream(r3, stream);
    }
  }
}

TEST_CASE("big-endian fragments reassemble the same way") {
  Bytes s = concat({encode(responsePdu(Endian::Big, 9, pattern(100, 1), pfc::FirstFrag)),
                    encode(responsePdu(Endian::Big, 9, pattern(3, 2), pfc::LastFrag))});
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    RecordingCallbacks rec;
    PduDecoder d(rec);
    REQUIRE(d.onData(ByteSpan(s).first(cut)).ok());
    REQUIRE(d.onData(ByteSpan(s).subspan(cut)).ok());
    REQUIRE(rec.calls.size() == 1);
    CHECK(rec.calls[0].endian == Endian::Big);
    CHECK(rec.calls[0].ptype == PType::Response);
    CHECK(rec.calls[0].stub == concat({pattern(100, 1), pattern(3, 2)}));
  }
}

TEST_CASE("frag_length cap is checked from the header, before buffering the body") {
  DecoderLimits limits;
  limits.maxFragLength = 64;
  RecordingCallbacks rec;
  PduDecoder d(rec, limits);
  Bytes big = encode(requestPdu(Endian::Little, 1, pattern(100, 0)));
  ParseResult r = d.onData(ByteSpan(big).first(16));
  CHECK(r.status == ParseStatus::Error);
  CHECK(d.failed());
  CHECK(d.bufferedBytes() == 0);
  // Errors are sticky.
  Bytes ok = encode(requestPdu(Endian::Little, 2, pattern(4, 0)));
  CHECK(d.onData(ok).status == ParseStatus::Error);
  CHECK(rec.pdus.empty());

  RecordingCallbacks rec2;
  PduDecoder d2(rec2, limits);
  CHECK(d2.onData(ByteSpan(big).first(10)).ok());  // no header yet: nothing to judge
  CHECK(d2.bufferedBytes() == 10);
  CHECK(d2.onData(ByteSpan(big).subspan(10, 6)).status == ParseStatus::Error);
}

TEST_CASE("negotiated fragment size lowers the cap") {
  RecordingCallbacks rec;
  PduDecoder d(rec);
  Bytes pdu = encode(requestPdu(Endian::Little, 1, pattern(100, 0)));
  d.setNegotiatedMaxFrag(static_cast<uint16_t>(pdu.size()));
  REQUIRE(d.onData(pdu).ok());
  d.setNegotiatedMaxFrag(static_cast<uint16_t>(pdu.size() - 1));
  CHECK(d.onData(pdu).status == ParseStatus::Error);
}

TEST_CASE("reassembled stub cap") {
  DecoderLimits limits;
  limits.maxCallStubBytes = 100;
  Bytes s = concat({encode(requestPdu(Endian::Little, 1, pattern(60, 0), pfc::FirstFrag)),
                    encode(requestPdu(Endian::Little, 1, pattern(40, 0), 0))});
  RecordingCallbacks rec;
  PduDecoder d(rec, limits);
  REQUIRE(d.onData(s).ok());  // exactly 100: allowed
  CHECK(d.onData(encode(requestPdu(Endian::Little, 1, pattern(1, 0), pfc::LastFrag))).status ==
        ParseStatus::Error);
  CHECK(d.pendingCalls() == 0);  // state released on error

  RecordingCallbacks rec2;
  PduDecoder d2(rec2, limits);
  CHECK(d2.onData(encode(requestPdu(Endian::Little, 1, pattern(101, 0)))).status ==
        ParseStatus::Error);  // a single fragment over the cap
}

TEST_CASE("concurrent reassembly cap") {
  DecoderLimits limits;
  limits.maxPendingCalls = 3;
  RecordingCallbacks rec;
  PduDecoder d(rec, limits);
  for (uint32_t id = 1; id <= 3; ++id) {
    REQUIRE(d.onData(encode(requestPdu(Endian::Little, id, pattern(8, 0), pfc::FirstFrag))).ok());
  }
  CHECK(d.pendingCalls() == 3);
  // Single-fragment calls do not count.
  REQUIRE(d.onData(encode(requestPdu(Endian::Little, 9, pattern(8, 0)))).ok());
  CHECK(d.onData(encode(requestPdu(Endian::Little, 4, pattern(8, 0), pfc::FirstFrag))).status ==
        ParseStatus::Error);
}

TEST_CASE("fragment sequencing errors") {
  SUBCASE("middle fragment without a first") {
    RecordingCallbacks rec;
    PduDecoder d(rec);
    CHECK(d.onData(encode(requestPdu(Endian::Little, 5, pattern(8, 0), 0))).status ==
          ParseStatus::Error);
  }
  SUBCASE("second FIRST_FRAG for the same call") {
    RecordingCallbacks rec;
    PduDecoder d(rec);
    Bytes first = encode(requestPdu(Endian::Little, 5, pattern(8, 0), pfc::FirstFrag));
    REQUIRE(d.onData(first).ok());
    CHECK(d.onData(first).status == ParseStatus::Error);
  }
  SUBCASE("response fragment continuing a request") {
    RecordingCallbacks rec;
    PduDecoder d(rec);
    REQUIRE(d.onData(encode(requestPdu(Endian::Little, 5, pattern(8, 0), pfc::FirstFrag))).ok());
    CHECK(d.onData(encode(responsePdu(Endian::Little, 5, pattern(8, 0), pfc::LastFrag))).status ==
          ParseStatus::Error);
  }
}

TEST_CASE("fault and orphaned drop a call being reassembled") {
  RecordingCallbacks rec;
  PduDecoder d(rec);
  REQUIRE(d.onData(encode(responsePdu(Endian::Little, 5, pattern(8, 0), pfc::FirstFrag))).ok());
  CHECK(d.pendingCalls() == 1);
  Pdu fault;
  fault.header = header(PType::Fault, 5, Endian::Little);
  fault.body = Fault{0, 0, 0, 0, 0x1c010002, 0, {}};
  REQUIRE(d.onData(encode(fault)).ok());
  CHECK(d.pendingCalls() == 0);
  CHECK(rec.calls.empty());

  RecordingCallbacks rec2;
  PduDecoder d2(rec2);
  REQUIRE(d2.onData(encode(requestPdu(Endian::Little, 6, pattern(8, 0), pfc::FirstFrag))).ok());
  Pdu orphaned;
  orphaned.header = header(PType::Orphaned, 6, Endian::Little);
  REQUIRE(d2.onData(encode(orphaned)).ok());
  CHECK(d2.pendingCalls() == 0);
  // The call id can start again afterwards.
  REQUIRE(d2.onData(encode(requestPdu(Endian::Little, 6, pattern(8, 0)))).ok());
  CHECK(rec2.calls.size() == 1);
}

TEST_CASE("a malformed PDU mid-stream stops the stream after the good ones") {
  Bytes good = encode(requestPdu(Endian::Little, 1, pattern(8, 0)));
  Bytes bad = good;
  bad[0] = 4;
  RecordingCallbacks rec;
  PduDecoder d(rec);
  CHECK(d.onData(concat({good, bad, good})).status == ParseStatus::Error);
  CHECK(rec.pdus.size() == 1);
  CHECK_FALSE(d.error().empty());
}
