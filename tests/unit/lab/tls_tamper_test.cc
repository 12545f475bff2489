#include "lab/tls_tamper.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

using bh::lab::parseTamperPlan;
using bh::lab::RecordTamper;
using bh::lab::TamperAction;
using bh::lab::TamperDirection;
using bh::lab::TamperPlan;
using bh::lab::TamperVerdict;

namespace {

constexpr uint32_t kClient = 0x0a5b0101;  // 10.91.1.1
constexpr uint32_t kServer = 0x0a5b0402;  // 10.91.4.2
constexpr uint16_t kClientPort = 40000;
constexpr uint16_t kPort = 5001;
constexpr uint8_t kSyn = 0x02, kAck = 0x10, kFin = 0x01, kRst = 0x04;

struct Packet {
  std::vector<uint8_t> bytes;
  size_t length() const { return bytes.size(); }
};

void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void put32(uint8_t* p, uint32_t v) {
  put16(p, static_cast<uint16_t>(v >> 16));
  put16(p + 2, static_cast<uint16_t>(v));
}

// An IPv4 packet with a 20-byte IP header and a 20-byte TCP header (checksums filled).
Packet tcp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, uint32_t seq, uint8_t flags,
           const std::vector<uint8_t>& payload = {}) {
  Packet p;
  p.bytes.assign(40 + payload.size(), 0);
  uint8_t* b = p.bytes.data();
  b[0] = 0x45;
  put16(b + 2, static_cast<uint16_t>(p.bytes.size()));
  b[8] = 64;
  b[9] = 6;
  put32(b + 12, src);
  put32(b + 16, dst);
  put16(b + 20, sport);
  put16(b + 22, dport);
  put32(b + 24, seq);
  b[32] = 5 << 4;
  b[33] = flags;
  std::copy(payload.begin(), payload.end(), b + 40);
  bh::lab::fixIpv4TcpChecksums(b, p.bytes.size());
  return p;
}

// RFC 1071: a packet whose checksums are right sums to 0xffff over each checked span.
bool checksumsValid(const uint8_t* b, size_t length) {
  auto sum = [](const uint8_t* p, size_t n, uint32_t s) {
    for (size_t i = 0; i + 1 < n; i += 2) {
      s += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    }
    if (n % 2) {
      s += static_cast<uint32_t>(p[n - 1]) << 8;
    }
    while (s >> 16) {
      s = (s & 0xffff) + (s >> 16);
    }
    return s;
  };
  if (sum(b, 20, 0) != 0xffff) {
    return false;
  }
  uint32_t pseudo = sum(b + 12, 8, 0) + 6 + static_cast<uint32_t>(length - 20);
  return sum(b + 20, length - 20, pseudo) == 0xffff;
}

// A TLS record: type 23, version 3.3, `n` body bytes of `fill`.
std::vector<uint8_t> record(size_t n, uint8_t fill) {
  std::vector<uint8_t> r = {23, 3, 3, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
  r.insert(r.end(), n, fill);
  return r;
}

std::vector<uint8_t> cat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TamperVerdict feed(RecordTamper& t, Packet& p) {
  size_t n = p.length();
  TamperVerdict v = t.onPacket(p.bytes.data(), n);
  p.bytes.resize(n);
  return v;
}

constexpr uint32_t kIsn = 0xfffffff0;  // the sequence space wraps inside the stream

// The connection's handshake: SYN (client ISN kIsn), SYN-ACK (server ISN 5000).
void handshake(RecordTamper& t) {
  Packet syn = tcp(kClient, kClientPort, kServer, kPort, kIsn, kSyn);
  CHECK(feed(t, syn) == TamperVerdict::Accept);
  Packet synAck = tcp(kServer, kPort, kClient, kClientPort, 5000, kSyn | kAck);
  CHECK(feed(t, synAck) == TamperVerdict::Accept);
}

}  // namespace

TEST_CASE("parseTamperPlan reads bhlab's line and refuses anything else") {
  auto p = parseTamperPlan("cut to-client 12 5001\n");
  REQUIRE(p.has_value());
  CHECK(p->action == TamperAction::Cut);
  CHECK(p->direction == TamperDirection::ToClient);
  CHECK(p->record == 12);
  CHECK(p->port == 5001);
  CHECK(parseTamperPlan("flip to-server 1 80")->action == TamperAction::Flip);
  CHECK(parseTamperPlan("garbage to-server 1 80")->action == TamperAction::Garbage);
  CHECK(parseTamperPlan("oversize to-server 1 80")->action == TamperAction::Oversize);
  CHECK_FALSE(parseTamperPlan("").has_value());
  CHECK_FALSE(parseTamperPlan("flip to-server 1").has_value());
  CHECK_FALSE(parseTamperPlan("flip to-server 1 80 9").has_value());
  CHECK_FALSE(parseTamperPlan("bend to-server 1 80").has_value());
  CHECK_FALSE(parseTamperPlan("flip sideways 1 80").has_value());
  CHECK_FALSE(parseTamperPlan("flip to-server 0 80").has_value());
  CHECK_FALSE(parseTamperPlan("flip to-server 1 65536").has_value());
  CHECK_FALSE(parseTamperPlan("flip to-server 1x 80").has_value());
}

TEST_CASE("flip: a body byte of the chosen record, counted across split headers and retransmits") {
  RecordTamper t(TamperPlan{TamperAction::Flip, TamperDirection::ToServer, 3, kPort});
  CHECK(t.report() == "armed");
  // Another connection's SYN to another port is not watched.
  Packet other = tcp(kClient, 1, kServer, 80, 1, kSyn);
  CHECK(feed(t, other) == TamperVerdict::Accept);
  handshake(t);
  CHECK(t.report().starts_with("watching 10.91.1.1:40000 -> 10.91.4.2:5001"));
  // Record 1 whole and the first 3 header bytes of record 2 in one segment.
  auto stream = cat(cat(record(100, 0x11), record(40, 0x22)), record(300, 0x33));
  std::vector<uint8_t> a(stream.begin(), stream.begin() + 108);
  std::vector<uint8_t> b(stream.begin() + 108, stream.end());
  Packet p1 = tcp(kClient, kClientPort, kServer, kPort, kIsn + 1, kAck, a);
  Packet p1copy = p1;
  CHECK(feed(t, p1) == TamperVerdict::Accept);
  CHECK(p1.bytes == p1copy.bytes);
  // The same segment again (a retransmission): unchanged, counted once.
  CHECK(feed(t, p1) == TamperVerdict::Accept);
  // Data the other way is not the chosen direction.
  Packet back = tcp(kServer, kPort, kClient, kClientPort, 5001, kAck, record(300, 0x44));
  CHECK(feed(t, back) == TamperVerdict::Accept);
  Packet p2 = tcp(kClient, kClientPort, kServer, kPort, kIsn + 1 + 108, kAck, b);
  CHECK(feed(t, p2) == TamperVerdict::AcceptMangled);
  CHECK(t.finished());
  CHECK(t.report() == "done: flip to-server record 3 (stream offset 150, length 300)");
  // Record 3 starts at offset 150 of the stream, 42 bytes into this segment; its 17th body
  // byte is the one inverted, nothing else.
  size_t at = 40 + 42 + 5 + 16;
  for (size_t i = 40; i < p2.length(); ++i) {
    uint8_t want = i == at ? 0x33 ^ 0xff : stream[108 + i - 40];
    REQUIRE(p2.bytes[i] == want);
  }
  CHECK(checksumsValid(p2.bytes.data(), p2.length()));
  // Done: the next packets pass.
  Packet p3 = tcp(kClient, kClientPort, kServer, kPort, kIsn + 1 + 440, kAck, record(10, 1));
  CHECK(feed(t, p3) == TamperVerdict::Accept);
}

TEST_CASE("oversize and garbage rewrite the header of the chosen record to the client") {
  for (auto action : {TamperAction::Oversize, TamperAction::Garbage}) {
    RecordTamper t(TamperPlan{action, TamperDirection::ToClient, 2, kPort});
    handshake(t);
    auto payload = cat(record(20, 0x55), record(20, 0x66));
    Packet p = tcp(kServer, kPort, kClient, kClientPort, 5001, kAck, payload);
    CHECK(feed(t, p) == TamperVerdict::AcceptMangled);
    const uint8_t* h = p.bytes.data() + 40 + 25;
    if (action == TamperAction::Oversize) {
      CHECK(h[0] == 23);
      CHECK((h[3] << 8 | h[4]) == (1 << 14) + 256 + 1);  // above RFC 8446 5.2's 2^14 + 256
    } else {
      for (int i = 0; i < 5; ++i) {
        CHECK(h[i] == 0);
      }
    }
    CHECK(checksumsValid(p.bytes.data(), p.length()));
  }
}

TEST_CASE("cut: half the record, a FIN there, the direction's later data dropped until a reset") {
  RecordTamper t(TamperPlan{TamperAction::Cut, TamperDirection::ToServer, 2, kPort});
  handshake(t);
  auto payload = cat(record(10, 0x01), record(100, 0x02));
  Packet p = tcp(kClient, kClientPort, kServer, kPort, kIsn + 1, kAck, payload);
  CHECK(feed(t, p) == TamperVerdict::AcceptMangled);
  CHECK(
      t.report() ==
      "done: cut to-server record 2 (stream offset 15, length 100), 55 bytes of it kept, then FIN");
  CHECK(p.length() == 40 + 15 + 55);
  CHECK((p.bytes[2] << 8 | p.bytes[3]) == 40 + 15 + 55);
  CHECK((p.bytes[33] & kFin) != 0);
  CHECK(checksumsValid(p.bytes.data(), p.length()));
  CHECK_FALSE(t.finished());
  // The sender's next data (and its own FIN) never arrive; its pure ACKs do, and the other
  // direction is untouched.
  Packet more = tcp(kClient, kClientPort, kServer, kPort, kIsn + 1 + 125, kAck, record(5, 3));
  CHECK(feed(t, more) == TamperVerdict::Drop);
  Packet fin = tcp(kClient, kClientPort, kServer, kPort, kIsn + 1 + 135, kAck | kFin);
  CHECK(feed(t, fin) == TamperVerdict::Drop);
  Packet ack = tcp(kClient, kClientPort, kServer, kPort, kIsn + 1 + 125, kAck);
  CHECK(feed(t, ack) == TamperVerdict::Accept);
  Packet back = tcp(kServer, kPort, kClient, kClientPort, 5001, kAck, record(5, 4));
  CHECK(feed(t, back) == TamperVerdict::Accept);
  // The receiver resets: the connection is over, and the watch with it.
  Packet rst = tcp(kServer, kPort, kClient, kClientPort, 5011, kRst);
  CHECK(feed(t, rst) == TamperVerdict::Accept);
  CHECK(t.finished());
  Packet again = tcp(kClient, kClientPort, kServer, kPort, kIsn + 1 + 125, kAck, record(5, 3));
  CHECK(feed(t, again) == TamperVerdict::Accept);
}

TEST_CASE("a gap in the stream ends the watch, reported; records too short to flip are passed") {
  RecordTamper t(TamperPlan{TamperAction::Flip, TamperDirection::ToServer, 1, kPort});
  handshake(t);
  // Record 1 has no body byte in this segment (header only): the flip goes to record 2.
  Packet p = tcp(kClient, kClientPort, kServer, kPort, kIsn + 1, kAck, record(0, 0));
  CHECK(feed(t, p) == TamperVerdict::Accept);
  Packet gap = tcp(kClient, kClientPort, kServer, kPort, kIsn + 1 + 50, kAck, record(10, 1));
  CHECK(feed(t, gap) == TamperVerdict::Accept);
  CHECK(t.finished());
  CHECK(t.report().starts_with("lost: a gap at stream offset 5"));
}

TEST_CASE("IPv6, other protocols and truncated headers pass untouched") {
  RecordTamper t(TamperPlan{TamperAction::Flip, TamperDirection::ToServer, 1, kPort});
  std::vector<uint8_t> v6(60, 0);
  v6[0] = 0x60;
  size_t n = v6.size();
  CHECK(t.onPacket(v6.data(), n) == TamperVerdict::Accept);
  Packet udp = tcp(kClient, kClientPort, kServer, kPort, kIsn, kSyn);
  udp.bytes[9] = 17;
  CHECK(feed(t, udp) == TamperVerdict::Accept);
  std::vector<uint8_t> shortOne = {0x45, 0, 0, 10};
  n = shortOne.size();
  CHECK(t.onPacket(shortOne.data(), n) == TamperVerdict::Accept);
  CHECK(t.report() == "armed");
}
