#include "mapi/dcerpc/co_stream.h"

#include <doctest/doctest.h>

#include "tests/unit/mapi/dcerpc/test_util.h"

using namespace bh;
using namespace bh::mapi::dcerpc;
using namespace bh::mapi::dcerpc::testing;

namespace {

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) {
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

/// A client stream: bind, a single-fragment request, a request in three fragments interleaved
/// with another single one (PFC_CONC_MPX), a shutdown.
Bytes clientStream() {
  Pdu sd;
  sd.header = header(PType::Shutdown, 0, Endian::Little);
  return concat({encode(bindPdu(Endian::Little, 1)),
                 encode(requestPdu(Endian::Little, 2, pattern(30, 1))),
                 encode(requestPdu(Endian::Little, 3, pattern(40, 2), pfc::FirstFrag)),
                 encode(requestPdu(Endian::Little, 4, pattern(5, 3))),
                 encode(requestPdu(Endian::Little, 3, pattern(40, 4), 0)),
                 encode(requestPdu(Endian::Little, 3, pattern(7, 5), pfc::LastFrag)), encode(sd)});
}

void checkClientStream(const StreamDriver& d, const Bytes& stream) {
  REQUIRE(d.pdus.size() == 7);
  // Raw bytes of the PDUs, joined, are the stream itself.
  Bytes joined;
  for (const Bytes& r : d.raws) {
    joined.insert(joined.end(), r.begin(), r.end());
  }
  CHECK(joined == stream);
  REQUIRE(d.calls.size() == 3);
  CHECK(d.calls[0].callId == 2);
  CHECK(d.calls[0].stub == pattern(30, 1));
  CHECK(d.calls[1].callId == 4);
  CHECK(d.calls[2].callId == 3);
  CHECK(d.calls[2].fragments.size() == 3);
  CHECK(d.calls[2].fragments[1] == d.raws[4]);
  CHECK(d.calls[2].opnum == 11);
  CHECK(d.calls[2].stub == concat({pattern(40, 2), pattern(40, 4), pattern(7, 5)}));
  CHECK(d.items[2].inCall);
  CHECK(d.items[4].inCall);
  CHECK_FALSE(d.items[5].inCall);
  CHECK(d.stream.bufferedBytes() == 0);
  CHECK(d.stream.callsInProgress() == 0);
}

Pdu bare(PType t, uint32_t callId) {
  Pdu p;
  p.header = header(t, callId, Endian::Little);
  return p;
}

}  // namespace

TEST_CASE("a multi-PDU stream comes out the same when split at every byte boundary") {
  const Bytes stream = clientStream();
  StreamDriver whole;
  REQUIRE(whole.onData(stream).ok());
  checkClientStream(whole, stream);
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    CAPTURE(cut);
    StreamDriver split;
    REQUIRE(split.onData(ByteSpan(stream).first(cut)).ok());
    REQUIRE(split.onData(ByteSpan(stream).subspan(cut)).ok());
    checkClientStream(split, stream);
  }
}

TEST_CASE("a stream fed one byte at a time, and in every pair of cuts") {
  const Bytes stream = clientStream();
  StreamDriver d;
  for (uint8_t b : stream) {
    REQUIRE(d.onData(ByteSpan(&b, 1)).ok());
    CHECK(d.stream.unframedBytes() < 200);
  }
  checkClientStream(d, stream);
  for (size_t a = 0; a < stream.size(); a += 7) {
    for (size_t b = a; b <= stream.size(); b += 5) {
      StreamDriver d3;
      REQUIRE(d3.onData(ByteSpan(stream).first(a)).ok());
      REQUIRE(d3.onData(ByteSpan(stream).subspan(a, b - a)).ok());
      REQUIRE(d3.onData(ByteSpan(stream).subspan(b)).ok());
      checkClientStream(d3, stream);
    }
  }
}

TEST_CASE("round trip: what comes out re-encodes to the bytes that went in, both byte orders") {
  for (Endian e : {Endian::Little, Endian::Big}) {
    Bytes s = concat({encode(bindAckPdu(e, 1)),
                      encode(responsePdu(e, 9, pattern(100, 1), pfc::FirstFrag)),
                      encode(responsePdu(e, 9, pattern(3, 2), pfc::LastFrag))});
    StreamDriver d(Sender::Server);
    REQUIRE(d.onData(s).ok());
    REQUIRE(d.pdus.size() == 3);
    for (size_t i = 0; i < 3; ++i) {
      CHECK(encode(d.pdus[i]) == d.raws[i]);
    }
    REQUIRE(d.calls.size() == 1);
    CHECK(d.calls[0].endian == e);
    CHECK(d.calls[0].ptype == PType::Response);
    CHECK(d.calls[0].stub == concat({pattern(100, 1), pattern(3, 2)}));
  }
}

TEST_CASE("big-endian fragments reassemble the same way at every split") {
  Bytes s = concat({encode(responsePdu(Endian::Big, 9, pattern(100, 1), pfc::FirstFrag)),
                    encode(responsePdu(Endian::Big, 9, pattern(3, 2), pfc::LastFrag))});
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    StreamDriver d(Sender::Server);
    REQUIRE(d.onData(ByteSpan(s).first(cut)).ok());
    REQUIRE(d.onData(ByteSpan(s).subspan(cut)).ok());
    REQUIRE(d.calls.size() == 1);
    CHECK(d.calls[0].endian == Endian::Big);
    CHECK(d.calls[0].stub == concat({pattern(100, 1), pattern(3, 2)}));
  }
}

TEST_CASE("the sender decides which PDUs are calls: a server's requests are not reassembled") {
  StreamDriver d(Sender::Server);
  REQUIRE(d.onData(encode(requestPdu(Endian::Little, 1, pattern(8, 0), pfc::FirstFrag))).ok());
  CHECK(d.stream.callsInProgress() == 0);
  CHECK(d.calls.empty());
  CHECK(d.pdus.size() == 1);
}

TEST_CASE("cap: frag_length is checked from the header, before the body is buffered") {
  StreamLimits limits;
  limits.maxPduBytes = 64;
  Bytes big = encode(requestPdu(Endian::Little, 1, pattern(100, 0)));
  StreamDriver d(Sender::Client, limits);
  CHECK(d.onData(ByteSpan(big).first(16)).status == ParseStatus::Error);
  CHECK(d.stream.failed());
  CHECK(d.stream.errorKind() == StreamError::Framing);
  // Errors are sticky, and nothing more is kept.
  CHECK(d.onData(encode(requestPdu(Endian::Little, 2, pattern(4, 0)))).status ==
        ParseStatus::Error);
  CHECK(d.pdus.empty());
  CHECK(d.stream.takeUnframed() == Bytes(big.begin(), big.begin() + 16));

  StreamDriver d2(Sender::Client, limits);
  CHECK(d2.onData(ByteSpan(big).first(10)).ok());  // no header yet: nothing to judge
  CHECK(d2.stream.unframedBytes() == 10);
  CHECK(d2.onData(ByteSpan(big).subspan(10, 6)).status == ParseStatus::Error);

  StreamLimits exact;
  exact.maxPduBytes = big.size();
  StreamDriver d3(Sender::Client, exact);
  CHECK(d3.onData(big).ok());
}

TEST_CASE("cap: the negotiated fragment size lowers the PDU cap") {
  StreamDriver d;
  Bytes pdu = encode(requestPdu(Endian::Little, 1, pattern(100, 0)));
  d.stream.setNegotiatedMaxFrag(static_cast<uint16_t>(pdu.size()));
  REQUIRE(d.onData(pdu).ok());
  d.stream.setNegotiatedMaxFrag(static_cast<uint16_t>(pdu.size() - 1));
  CHECK(d.onData(pdu).status == ParseStatus::Error);
}

TEST_CASE("cap: a call's bytes on the wire") {
  Bytes f1 = encode(requestPdu(Endian::Little, 1, pattern(60, 0), pfc::FirstFrag));
  Bytes f2 = encode(requestPdu(Endian::Little, 1, pattern(40, 0), 0));
  Bytes f3 = encode(requestPdu(Endian::Little, 1, pattern(1, 0), pfc::LastFrag));
  StreamLimits limits;
  limits.maxCallBytes = f1.size() + f2.size();
  StreamDriver d(Sender::Client, limits);
  REQUIRE(d.onData(concat({f1, f2})).ok());  // exactly at the cap: allowed
  CHECK(d.onData(f3).status == ParseStatus::Error);
  CHECK(d.stream.errorKind() == StreamError::CallTooLarge);
  // The fragment that broke the cap is not taken: a hand-off gets every byte, in order.
  std::vector<Bytes> unread = d.stream.takeUnreadPdus();
  REQUIRE(unread.size() == 3);
  CHECK(unread[0] == f1);
  CHECK(unread[1] == f2);
  CHECK(unread[2] == f3);

  StreamLimits one;
  one.maxCallBytes = f1.size() - 1;
  StreamDriver d2(Sender::Client, one);
  CHECK(d2.onData(f1).status == ParseStatus::Error);  // a single fragment over the cap
  CHECK(d2.stream.errorKind() == StreamError::CallTooLarge);
}

TEST_CASE("cap: calls in progress") {
  StreamLimits limits;
  limits.maxCallsInProgress = 3;
  StreamDriver d(Sender::Client, limits);
  for (uint32_t id = 1; id <= 3; ++id) {
    REQUIRE(d.onData(encode(requestPdu(Endian::Little, id, pattern(8, 0), pfc::FirstFrag))).ok());
  }
  CHECK(d.stream.callsInProgress() == 3);
  // A later fragment of a call in progress is still fine.
  REQUIRE(d.onData(encode(requestPdu(Endian::Little, 2, pattern(8, 0), 0))).ok());
  CHECK(d.onData(encode(requestPdu(Endian::Little, 4, pattern(8, 0), pfc::FirstFrag))).status ==
        ParseStatus::Error);
  CHECK(d.stream.errorKind() == StreamError::TooManyCalls);

  // One call at a time (what the MAPI AO follows): a second call, even of one fragment,
  // while one is in progress is refused.
  StreamLimits single;
  single.maxCallsInProgress = 1;
  StreamDriver d2(Sender::Client, single);
  REQUIRE(d2.onData(encode(requestPdu(Endian::Little, 1, pattern(8, 0), pfc::FirstFrag))).ok());
  CHECK(d2.onData(encode(requestPdu(Endian::Little, 2, pattern(8, 0)))).status ==
        ParseStatus::Error);
  CHECK(d2.stream.errorKind() == StreamError::TooManyCalls);
}

TEST_CASE("cap: one aggregate cap over the partial PDU, queued PDUs and calls in progress") {
  Bytes a1 = encode(requestPdu(Endian::Little, 1, pattern(200, 0), pfc::FirstFrag));
  Bytes b1 = encode(requestPdu(Endian::Little, 2, pattern(200, 0), pfc::FirstFrag));
  Bytes c1 = encode(requestPdu(Endian::Little, 3, pattern(200, 0), pfc::FirstFrag));
  // Each call in progress holds its fragment and its stub: 224 + 200 bytes.
  const size_t perCall = a1.size() + 200;
  StreamLimits limits;
  limits.maxBufferedBytes = 2 * perCall + 10;
  StreamDriver d(Sender::Client, limits);
  REQUIRE(d.onData(concat({a1, b1})).ok());
  CHECK(d.stream.bufferedBytes() == 2 * perCall);
  // 10 bytes of a partial PDU still fit; the 11th does not.
  REQUIRE(d.onData(ByteSpan(c1).first(10)).ok());
  CHECK(d.stream.bufferedBytes() == 2 * perCall + 10);
  CHECK(d.onData(ByteSpan(c1).subspan(10, 1)).status == ParseStatus::Error);
  CHECK(d.stream.errorKind() == StreamError::BufferFull);
  // The bytes of the feed that broke the cap are kept for a hand-off all the same.
  CHECK(d.stream.takeUnframed() == Bytes(c1.begin(), c1.begin() + 11));

  // Whole PDUs not taken count too: a reader that stops taking is stopped.
  StreamLimits queued;
  queued.maxBufferedBytes = 2 * a1.size();
  CoStream s(Sender::Client, queued);
  REQUIRE(s.feed(concat({a1, b1})).ok());
  CHECK(s.queuedBytes() == 2 * a1.size());
  CHECK(s.feed(ByteSpan(c1).first(1)).status == ParseStatus::Error);
  CHECK(s.errorKind() == StreamError::BufferFull);

  // And a call in progress moving from the queue into reassembly (its stub is kept too).
  StreamLimits inCall;
  inCall.maxBufferedBytes = perCall - 1;
  StreamDriver d3(Sender::Client, inCall);
  CHECK(d3.onData(a1).status == ParseStatus::Error);
  CHECK(d3.stream.errorKind() == StreamError::BufferFull);
}

TEST_CASE("fragment sequencing errors") {
  SUBCASE("a later fragment without a first") {
    StreamDriver d;
    CHECK(d.onData(encode(requestPdu(Endian::Little, 5, pattern(8, 0), 0))).status ==
          ParseStatus::Error);
    CHECK(d.stream.errorKind() == StreamError::FragmentWithoutFirst);
  }
  SUBCASE("a second FIRST_FRAG for the same call") {
    StreamDriver d;
    Bytes first = encode(requestPdu(Endian::Little, 5, pattern(8, 0), pfc::FirstFrag));
    REQUIRE(d.onData(first).ok());
    CHECK(d.onData(first).status == ParseStatus::Error);
    CHECK(d.stream.errorKind() == StreamError::DuplicateFirst);
  }
}

TEST_CASE("co_cancel and orphaned between a call's fragments: the fragments before it first") {
  for (PType cut : {PType::CoCancel, PType::Orphaned}) {
    CAPTURE(static_cast<int>(cut));
    Bytes f1 = encode(requestPdu(Endian::Little, 6, pattern(8, 1), pfc::FirstFrag));
    Bytes f2 = encode(requestPdu(Endian::Little, 6, pattern(8, 2), 0));
    Bytes f3 = encode(requestPdu(Endian::Little, 6, pattern(8, 3), 0));
    Bytes f4 = encode(requestPdu(Endian::Little, 6, pattern(8, 4), pfc::LastFrag));
    Bytes c = encode(bare(cut, 6));
    Bytes again = encode(requestPdu(Endian::Little, 6, pattern(8, 5)));
    StreamDriver d;
    REQUIRE(d.onData(concat({f1, f2, c, f3, f4, again})).ok());
    REQUIRE(d.items.size() == 6);
    // The cutting PDU hands out the call as far as it came, ahead of itself.
    REQUIRE(d.items[2].abandoned.size() == 1);
    CHECK(d.items[2].abandoned[0].fragments == std::vector<Bytes>{f1, f2});
    CHECK(d.items[2].raw == c);
    // The call's later fragments go on unread, one by one.
    CHECK(d.items[3].unread);
    CHECK(d.items[3].raw == f3);
    CHECK(d.items[4].unread);
    CHECK_FALSE(d.items[4].call);
    // The call id can start again afterwards.
    CHECK_FALSE(d.items[5].unread);
    REQUIRE(d.calls.size() == 1);
    CHECK(d.calls[0].stub == pattern(8, 5));
    CHECK(d.stream.callsInProgress() == 0);
    CHECK(d.stream.bufferedBytes() == 0);
  }
}

TEST_CASE("a co_cancel outside a call cuts nothing; another call ends the unread ones") {
  StreamDriver d;
  REQUIRE(d.onData(concat({encode(bare(PType::CoCancel, 1)),
                           encode(requestPdu(Endian::Little, 2, pattern(8, 0)))}))
              .ok());
  CHECK(d.items[0].abandoned.empty());
  CHECK(d.calls.size() == 1);

  StreamDriver d2;
  REQUIRE(d2.onData(concat({encode(requestPdu(Endian::Little, 6, pattern(8, 1), pfc::FirstFrag)),
                            encode(bare(PType::Orphaned, 6)),
                            encode(requestPdu(Endian::Little, 7, pattern(8, 2)))}))
              .ok());
  CHECK(d2.calls.size() == 1);
  // Call 6's later fragments are no longer expected once another call came.
  CHECK(d2.onData(encode(requestPdu(Endian::Little, 6, pattern(8, 3), pfc::LastFrag))).status ==
        ParseStatus::Error);
  CHECK(d2.stream.errorKind() == StreamError::FragmentWithoutFirst);
}

TEST_CASE("a fault ends the server's answer in progress") {
  StreamDriver d(Sender::Server);
  REQUIRE(d.onData(encode(responsePdu(Endian::Little, 5, pattern(8, 0), pfc::FirstFrag))).ok());
  CHECK(d.stream.callsInProgress() == 1);
  Pdu fault = bare(PType::Fault, 5);
  fault.body = Fault{0, 0, 0, 0, 0x1c010002, 0, {}};
  REQUIRE(d.onData(encode(fault)).ok());
  CHECK(d.stream.callsInProgress() == 0);
  CHECK(d.calls.empty());
  CHECK(d.abandoned.size() == 1);
}

TEST_CASE("malformed input mid-stream: the good PDUs before it come out, then the error") {
  Bytes good = encode(requestPdu(Endian::Little, 1, pattern(8, 0)));
  SUBCASE("a header that does not frame") {
    Bytes bad = good;
    bad[0] = 4;
    StreamDriver d;
    CHECK(d.onData(concat({good, bad, good})).status == ParseStatus::Error);
    CHECK(d.pdus.size() == 1);
    CHECK(d.stream.errorKind() == StreamError::Framing);
    // Everything from the bad header on is kept for a hand-off.
    CHECK(d.stream.takeUnframed() == concat({bad, good}));
  }
  SUBCASE("a PDU that frames and does not decode") {
    Bytes bad = encode(bindPdu(Endian::Little, 1));
    bad[24] = 5;  // n_context_elem: more contexts than the PDU holds
    StreamDriver d;
    CHECK(d.onData(concat({good, bad, good})).status == ParseStatus::Error);
    CHECK(d.pdus.size() == 1);
    CHECK(d.stream.errorKind() == StreamError::Decode);
    CHECK_FALSE(d.stream.error().empty());
    // It is not taken: a hand-off relays it and what follows.
    CHECK(d.stream.takeUnreadPdus() == std::vector<Bytes>{bad, good});
  }
  SUBCASE("garbage") {
    Bytes junk(300, 0xff);
    StreamDriver d;
    CHECK(d.onData(junk).status == ParseStatus::Error);
    CHECK(d.pdus.empty());
  }
}

TEST_CASE("a hand-off takes every byte not handed out, in the order received") {
  Bytes a1 = encode(requestPdu(Endian::Little, 1, pattern(8, 1), pfc::FirstFrag));
  Bytes b1 = encode(requestPdu(Endian::Little, 2, pattern(8, 2), pfc::FirstFrag));
  Bytes a2 = encode(requestPdu(Endian::Little, 1, pattern(8, 3), 0));
  Bytes c = encode(requestPdu(Endian::Little, 3, pattern(8, 4)));
  CoStream s(Sender::Client);
  REQUIRE(s.feed(concat({a1, b1, a2, c, Bytes(c.begin(), c.begin() + 5)})).ok());
  StreamPdu item;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(s.next(item).ok());
  }
  CHECK(s.callWireBytes() == a1.size() + b1.size() + a2.size());
  CHECK(s.queuedBytes() == c.size());
  CHECK(Bytes(s.peekNext().begin(), s.peekNext().end()) == c);
  CHECK(s.takeUnreadPdus() == std::vector<Bytes>{a1, b1, a2, c});
  CHECK(s.takeUnframed() == Bytes(c.begin(), c.begin() + 5));
  CHECK(s.bufferedBytes() == 0);
}

namespace {

/// Records the order in which the per-PDU stage sees PDUs, and refuses one call id.
class RecordingProvider : public SecurityProvider {
 public:
  ParseResult unwrap(Pdu& pdu, ByteSpan raw) override {
    seen.push_back(pdu.header.callId);
    if (pdu.header.callId == refuse) {
      return ParseResult::fail("verifier does not match");
    }
    return ParseResult::done(raw.size());
  }
  std::vector<uint32_t> seen;
  uint32_t refuse = 0;
};

}  // namespace

TEST_CASE("the security provider's stage: the identity changes nothing") {
  // An authenticated request: the identity hands it on with its stub and sec_trailer as sent.
  Pdu p = requestPdu(Endian::Little, 1, pattern(13, 0));
  AuthVerifier v;
  v.trailer.authType = AuthType::Kerberos;
  v.trailer.authLevel = AuthLevel::Connect;
  v.pad.assign(authPadFor(kHeaderSize + 8 + 13), 0);
  v.credentials = pattern(16, 9);
  p.auth = v;
  Bytes wire = encode(p);
  Pdu decoded;
  REQUIRE(decodePdu(wire, decoded).ok());
  Pdu staged = decoded;
  CHECK(IdentitySecurityProvider::instance().unwrap(staged, wire).ok());
  CHECK(staged == decoded);

  StreamDriver d;
  REQUIRE(d.onData(wire).ok());
  REQUIRE(d.calls.size() == 1);
  CHECK(d.pdus[0] == decoded);
  CHECK(d.calls[0].stub == pattern(13, 0));
  CHECK(d.calls[0].auth == decoded.auth->trailer);
}

TEST_CASE("the security provider's stage runs on every PDU, between framing and reassembly") {
  RecordingProvider provider;
  provider.refuse = 9;
  CoStream s(Sender::Client, {}, &provider);
  REQUIRE(s.feed(concat({encode(bindPdu(Endian::Little, 1)),
                         encode(requestPdu(Endian::Little, 2, pattern(8, 0), pfc::FirstFrag)),
                         encode(requestPdu(Endian::Little, 2, pattern(8, 0), pfc::LastFrag)),
                         encode(requestPdu(Endian::Little, 9, pattern(8, 0)))}))
              .ok());
  CHECK(provider.seen.empty());  // framing alone does not reach it
  StreamPdu item;
  int n = 0;
  ParseResult r;
  while ((r = s.next(item)).ok()) {
    ++n;
  }
  CHECK(n == 3);
  CHECK(provider.seen == std::vector<uint32_t>{1, 2, 2, 9});
  CHECK(r.status == ParseStatus::Error);
  CHECK(s.errorKind() == StreamError::Security);
  CHECK(s.takeUnreadPdus().size() == 1);  // the refused PDU is not taken
}
