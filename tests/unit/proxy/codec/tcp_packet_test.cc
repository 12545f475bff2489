#include "proxy/codec/tcp_packet.h"

#include <doctest/doctest.h>

#include "proxy/codec/internet_checksum.h"
#include "proxy/codec/tcp_options.h"
#include "tests/unit/proxy/codec/test_packets.h"

namespace bh::proxy::codec {
namespace {

using test::hex;

TEST_CASE("InternetChecksum matches RFC 1071's worked example and any split") {
  // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2, checksum 220d.
  const Bytes data = hex("0001f203f4f5f6f7");
  InternetChecksum whole;
  whole.add(data);
  CHECK(whole.checksum() == 0x220d);
  for (size_t cut = 0; cut <= data.size(); ++cut) {
    InternetChecksum split;
    split.add(ByteSpan(data).first(cut));
    split.add(ByteSpan(data).subspan(cut));
    CHECK(split.checksum() == 0x220d);
  }
  InternetChecksum odd;
  odd.add(hex("01"));
  CHECK(odd.checksum() == test::referenceChecksum(hex("01")));
}

TEST_CASE("parseTcpPacket finds the TCP header in IPv4 (with IP options) and IPv6") {
  const Bytes v4 = test::buildSyn(4, test::linuxSynOptions());
  const PacketParse p4 = parseTcpPacket(v4);
  REQUIRE(p4.status == PacketStatus::Ok);
  CHECK(p4.layout.ipHeaderLength == 20);
  CHECK(p4.layout.tcpHeaderLength == 40);
  CHECK(p4.layout.optionsLength() == 20);
  const Bytes v6 = test::buildSyn(6, {}, hex("aabb"));
  const PacketParse p6 = parseTcpPacket(v6);
  REQUIRE(p6.status == PacketStatus::Ok);
  CHECK(p6.layout.ipHeaderLength == 40);
  CHECK(p6.layout.segmentLength() == 22);
  CHECK(verifyChecksums(v4));
  CHECK(verifyChecksums(v6));

  // IPv4 with a 4-byte IP option (IHL 6): fix the lengths and checksums, then parse.
  Bytes withIpOption(v4.begin(), v4.begin() + 20);
  withIpOption[0] = 0x46;
  withIpOption.insert(withIpOption.end(), {0x01, 0x01, 0x01, 0x00});  // NOP NOP NOP EOL
  withIpOption.insert(withIpOption.end(), v4.begin() + 20, v4.end());
  TcpPacketLayout l{4, 24, 40, withIpOption.size()};
  writeLengthsAndChecksums(withIpOption, l);
  CHECK(test::referenceChecksumsGood(withIpOption));
  const PacketParse p = parseTcpPacket(withIpOption);
  REQUIRE(p.status == PacketStatus::Ok);
  CHECK(p.layout.tcpOffset() == 24);
}

TEST_CASE("walkTcpOptions: Linux SYN options, EOL, and malformed lengths") {
  const TcpOptionWalk w = walkTcpOptions(test::linuxSynOptions());
  REQUIRE(w.ok);
  REQUIRE(w.options.size() == 5);
  CHECK(w.options[0].kind == 2);
  CHECK(w.options[2].length == 10);
  CHECK(w.options[3].kind == 1);
  CHECK(w.endOfList == 20);
  const TcpOptionWalk eol = walkTcpOptions(hex("0101 00 ff ff"));
  REQUIRE(eol.ok);
  CHECK(eol.endOfList == 2);
  CHECK(walkTcpOptions({}).ok);
  CHECK(!walkTcpOptions(hex("01 fd")).ok);
  CHECK(!walkTcpOptions(hex("fd 01")).ok);
  CHECK(!walkTcpOptions(hex("fd 05 00 00")).ok);
  CHECK(!walkTcpOptions(hex("04 03 00")).ok);
}

}  // namespace
}  // namespace bh::proxy::codec
