#include "proxy/codec/discovery_option.h"

#include <doctest/doctest.h>

#include "tests/unit/proxy/codec/test_packets.h"

namespace bh::proxy::codec {
namespace {

DiscoveryOption answer() {
  DiscoveryOption o;
  o.deviceId = *DeviceId::fromString("00:14:5e:84:24:5f");
  o.role = Role::Core;
  o.version = 1;
  o.flags = DiscoveryFlags::Answer;
  o.requestedPolicy = 7;
  return o;
}

TEST_CASE("RFC 6994 form: kind 253, length 12, ExID, 8 payload bytes") {
  Bytes out;
  REQUIRE(encodeDiscoveryOption(answer(), OptionFormat{}, out));
  CHECK(toHex(out) == "fd0c424800145e84245f1907");
  CHECK(out.size() == OptionFormat{}.encodedLength());
  DiscoveryOption back;
  const ParseResult r = decodeDiscoveryOption(out, OptionFormat{}, back);
  REQUIRE(r.ok());
  CHECK(r.consumed == 12);
  CHECK(back == answer());
  CHECK(back.isAnswer());
}

TEST_CASE("WAAS-like form: kind 0x21, length 10, no ExID") {
  Bytes out;
  REQUIRE(encodeDiscoveryOption(answer(), OptionFormat::waasLike(), out));
  CHECK(toHex(out) == "210a00145e84245f1907");
  DiscoveryOption back;
  REQUIRE(decodeDiscoveryOption(out, OptionFormat::waasLike(), back).ok());
  CHECK(back == answer());
  // The same bytes are not the experimental form.
  CHECK(decodeDiscoveryOption(out, OptionFormat{}, back).status == ParseStatus::Error);
}

TEST_CASE("every field value that fits round-trips") {
  for (uint8_t version = 1; version <= 15; ++version) {
    for (uint8_t flags = 0; flags <= DiscoveryFlags::All; ++flags) {
      for (Role role : {Role::Edge, Role::Core}) {
        DiscoveryOption o = answer();
        o.version = version;
        o.flags = flags;
        o.role = role;
        o.requestedPolicy = static_cast<uint8_t>(version * 17);
        Bytes out;
        REQUIRE(encodeDiscoveryOption(o, OptionFormat{}, out));
        DiscoveryOption back;
        REQUIRE(decodeDiscoveryOption(out, OptionFormat{}, back).ok());
        CHECK(back == o);
      }
    }
  }
}

TEST_CASE("fields that do not fit the wire are refused, nothing written") {
  Bytes out;
  DiscoveryOption o = answer();
  o.version = 0;
  CHECK(!encodeDiscoveryOption(o, OptionFormat{}, out));
  o.version = 16;
  CHECK(!encodeDiscoveryOption(o, OptionFormat{}, out));
  o = answer();
  o.flags = 4;
  CHECK(!encodeDiscoveryOption(o, OptionFormat{}, out));
  o = answer();
  o.role = static_cast<Role>(3);
  CHECK(!encodeDiscoveryOption(o, OptionFormat{}, out));
  CHECK(!encodeDiscoveryOption(answer(), OptionFormat{253, std::nullopt}, out));
  CHECK(!encodeDiscoveryOption(answer(), OptionFormat{1, std::nullopt}, out));
  CHECK(out.empty());
}

TEST_CASE("malformed option bytes") {
  DiscoveryOption back;
  const Bytes good = test::hex("fd0c424800145e84245f1907");
  for (size_t n = 0; n < good.size(); ++n) {
    CHECK(decodeDiscoveryOption(ByteSpan(good).first(n), OptionFormat{}, back).status ==
          ParseStatus::Error);
  }
  CHECK(decodeDiscoveryOption(test::hex("fd0d424800145e84245f1907"), {}, back).status ==
        ParseStatus::Error);  // Length octet disagrees
  CHECK(decodeDiscoveryOption(test::hex("fd0c424900145e84245f1907"), {}, back).status ==
        ParseStatus::Error);  // another ExID
  CHECK(decodeDiscoveryOption(test::hex("fd0c424800145e84245f0107"), {}, back).status ==
        ParseStatus::Error);  // version 0
  CHECK(decodeDiscoveryOption(test::hex("fd0c424800145e84245f1107"), {}, back).status ==
        ParseStatus::Error);  // role 0
  CHECK(OptionFormat{}.matches(test::hex("fd0c4248")));
  CHECK(!OptionFormat{}.matches(test::hex("fd02")));
  CHECK(OptionFormat::waasLike().matches(test::hex("2102")));
}

TEST_CASE("a discovery option plus a Linux SYN's 20 option bytes fit in 40") {
  CHECK(OptionFormat{}.encodedLength() <= 12);
  CHECK(OptionFormat{}.encodedLength() + 20 <= 40);
}

TEST_CASE("DeviceId prints like the seed's PeerID and parses back") {
  const auto id = DeviceId::fromString("0:1a:64:d3:2f:b8");
  REQUIRE(id.has_value());
  CHECK(id->toString() == "0:1a:64:d3:2f:b8");
  CHECK(DeviceId::fromString("00:14:5E:84:24:5f")->toString() == "0:14:5e:84:24:5f");
  CHECK(!DeviceId::fromString("0:1a:64:d3:2f").has_value());
  CHECK(!DeviceId::fromString("0:1a:64:d3:2f:b8:1").has_value());
  CHECK(!DeviceId::fromString("0:1a:64:d3:2f:b8c").has_value());
  CHECK(!DeviceId::fromString("0:1a:64:d3::b8").has_value());
  CHECK(!DeviceId::fromString("").has_value());
  CHECK(roleName(Role::Edge) == "Edge");
  CHECK(roleName(Role::Core) == "Core");
}

}  // namespace
}  // namespace bh::proxy::codec
