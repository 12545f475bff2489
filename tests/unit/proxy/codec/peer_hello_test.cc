#include "proxy/codec/peer_hello.h"

#include <doctest/doctest.h>

#include "proxy/codec/peer_messages.h"

namespace bh::proxy::codec {
namespace {

Hello sampleHello(uint8_t ipVersion) {
  Hello h;
  h.role = Role::Edge;
  h.deviceId = *DeviceId::fromString("0:1a:64:d3:2f:b8");
  h.policy = PolicyBits::All;
  h.acceleratorWanted = Accelerator::Mapi;
  h.tuple.ipVersion = ipVersion;
  h.tuple.clientIp[0] = 10;
  h.tuple.clientIp[3] = 1;
  h.tuple.serverIp[0] = 10;
  h.tuple.serverIp[3] = 2;
  if (ipVersion == 6) {
    h.tuple.clientIp[15] = 0x10;
    h.tuple.serverIp[15] = 0x20;
  }
  h.tuple.clientPort = 50000;
  h.tuple.serverPort = 135;
  h.wanBandwidthKbit = 100000;
  return h;
}

TEST_CASE("Hello round-trips over IPv4 (27 bytes) and IPv6 (51 bytes)") {
  for (uint8_t v : {4, 6}) {
    Bytes payload;
    REQUIRE(encodeHello(sampleHello(v), payload));
    CHECK(payload.size() == (v == 4 ? 27u : 51u));
    Hello back;
    const ParseResult r = decodeHello(payload, back);
    REQUIRE(r.ok());
    CHECK(r.consumed == payload.size());
    CHECK(back == sampleHello(v));
  }
}

TEST_CASE("every truncation and any trailing byte of a Hello is an error") {
  for (uint8_t v : {4, 6}) {
    Bytes payload;
    REQUIRE(encodeHello(sampleHello(v), payload));
    for (size_t n = 0; n < payload.size(); ++n) {
      const Bytes cut(payload.begin(), payload.begin() + static_cast<long>(n));
      Hello h;
      CHECK(decodeHello(cut, h).status == ParseStatus::Error);
    }
    payload.push_back(0);
    Hello h;
    CHECK(decodeHello(payload, h).status == ParseStatus::Error);
  }
}

TEST_CASE("a version 1 Hello has no WAN bandwidth; versions 0 and 3 are refused") {
  Hello v1 = sampleHello(4);
  v1.protocolVersion = 1;
  Bytes out;
  CHECK_FALSE(encodeHello(v1, out));  // version 1 cannot carry a bandwidth
  v1.wanBandwidthKbit = 0;
  REQUIRE(encodeHello(v1, out));
  CHECK(out.size() == 23u);
  Hello back;
  REQUIRE(decodeHello(out, back).ok());
  CHECK(back == v1);
  for (uint8_t version : {0, 3}) {
    Bytes bad;
    REQUIRE(encodeHello(sampleHello(4), bad));
    bad[0] = version;
    Hello h;
    CHECK(decodeHello(bad, h).status == ParseStatus::Error);
    Hello e = sampleHello(4);
    e.protocolVersion = version;
    Bytes none;
    CHECK_FALSE(encodeHello(e, none));
  }
}

TEST_CASE("Hello with unknown role, accelerator or IP version is refused both ways") {
  Bytes payload;
  REQUIRE(encodeHello(sampleHello(4), payload));
  for (auto [at, value] :
       std::vector<std::pair<size_t, uint8_t>>{{1, 0}, {1, 3}, {9, 3}, {10, 5}}) {
    Bytes bad = payload;
    bad[at] = value;
    Hello h;
    CHECK(decodeHello(bad, h).status == ParseStatus::Error);
  }
  Hello h = sampleHello(4);
  h.tuple.ipVersion = 5;
  Bytes out;
  CHECK(!encodeHello(h, out));
  h = sampleHello(4);
  h.tuple.clientIp[4] = 1;  // an IPv4 address with bytes past the fourth
  CHECK(!encodeHello(h, out));
  h = sampleHello(4);
  h.acceleratorWanted = static_cast<Accelerator>(9);
  CHECK(!encodeHello(h, out));
  CHECK(out.empty());
}

TEST_CASE("HelloAck round-trips; truncation, trailing bytes and unknown values fail") {
  HelloAck a;
  a.deviceId = *DeviceId::fromString("00:14:5e:84:24:5f");
  a.policy = 7;
  a.negotiated = 3;
  a.applied = 1;
  a.acceleratorApplied = Accelerator::Epm;
  Bytes payload;
  REQUIRE(encodeHelloAck(a, payload));
  CHECK(payload.size() == 12);
  HelloAck back;
  REQUIRE(decodeHelloAck(payload, back).ok());
  CHECK(back == a);
  for (size_t n = 0; n < payload.size(); ++n) {
    CHECK(decodeHelloAck(ByteSpan(payload).first(n), back).status == ParseStatus::Error);
  }
  Bytes longer = payload;
  longer.push_back(0);
  CHECK(decodeHelloAck(longer, back).status == ParseStatus::Error);
  Bytes badAccel = payload;
  badAccel[11] = 3;
  CHECK(decodeHelloAck(badAccel, back).status == ParseStatus::Error);
  Bytes badRole = payload;
  badRole[1] = 0;
  CHECK(decodeHelloAck(badRole, back).status == ParseStatus::Error);
}

TEST_CASE("Reset payloads") {
  Bytes reset;
  REQUIRE(encodeReset(0xabcd, reset));
  uint16_t reason = 0;
  REQUIRE(decodeReset(reset, reason).ok());
  CHECK(reason == 0xabcd);
  CHECK(decodeReset(ByteSpan(reset).first(1), reason).status == ParseStatus::Error);
}

}  // namespace
}  // namespace bh::proxy::codec
