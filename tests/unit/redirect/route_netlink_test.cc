// rtnetlink messages of the peer routes against golden vectors packed independently by
// tests/vectors/redirect/gen_route_vectors.py, a build/parse round trip, and malformed input.
#include "redirect/route_netlink.h"

#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <sstream>

namespace bh::redirect {
namespace {

std::map<std::string, Bytes> vectors() {
  std::ifstream in(std::string(BH_SOURCE_DIR) + "/tests/vectors/redirect/route_netlink.txt");
  std::map<std::string, Bytes> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    std::istringstream s(line);
    std::string name, hex;
    s >> name >> hex;
    Bytes b;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
      b.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    out[name] = b;
  }
  return out;
}

IpAddress ip(const char* s) {
  return *IpAddress::parse(s);
}

TEST_CASE("route netlink: golden vectors are present") {
  CHECK(vectors().size() == 7);
}

TEST_CASE("route netlink: RTM_GETROUTE is byte for byte the golden request") {
  CHECK(buildGetRoute(ip("10.91.4.2"), 7) == vectors().at("get_v4"));
}

TEST_CASE("route netlink: the kernel's answers read as the path they describe") {
  auto v = vectors();
  ResolvedRoute r;
  REQUIRE(parseRouteAnswer(v.at("answer_v4_gateway"), r) == RouteAnswer::Ok);
  CHECK(r.destination == ip("10.91.4.2"));
  REQUIRE(r.gateway);
  CHECK(*r.gateway == ip("10.91.2.2"));
  CHECK(r.outputInterface == 3);
  CHECK(r.mtu == 1400);
  CHECK(r.advmss == 0);

  ResolvedRoute r6;
  REQUIRE(parseRouteAnswer(v.at("answer_v6_onlink"), r6) == RouteAnswer::Ok);
  CHECK(r6.destination == ip("fd91:4::2"));
  CHECK_FALSE(r6.gateway);
  CHECK(r6.outputInterface == 5);
  CHECK(r6.advmss == 1220);

  int code = 0;
  ResolvedRoute none;
  CHECK(parseRouteAnswer(v.at("error_unreachable"), none, &code) == RouteAnswer::Error);
  CHECK(code == -101);
  CHECK(parseRouteAnswer(v.at("answer_unreachable_type"), none) == RouteAnswer::NotUnicast);
  CHECK(parseRouteAnswer(v.at("answer_multipath"), none) == RouteAnswer::Unsupported);
  CHECK(parseRouteAnswer(v.at("malformed_attr_length"), none) == RouteAnswer::Malformed);
}

TEST_CASE("route netlink: the route we install reads back as what we wrote") {
  for (const char* gw : {"10.91.3.1", ""}) {
    PeerHostRoute route;
    route.table = 28;
    route.via.destination = ip("10.91.1.1");
    if (*gw != 0) {
      route.via.gateway = ip(gw);
    }
    route.via.outputInterface = 7;
    route.via.mtu = 1400;
    route.via.advmss = 1360;
    route.initialWindowSegments = 864;
    ResolvedRoute back;
    REQUIRE(parseRouteAnswer(buildReplaceRoute(route, 3), back) == RouteAnswer::Ok);
    CHECK(back.destination == route.via.destination);
    CHECK(back.gateway == route.via.gateway);
    CHECK(back.outputInterface == 7);
    CHECK(back.mtu == 1400);
    CHECK(back.advmss == 1360);
  }
  PeerHostRoute v6;
  v6.table = 1000;  // beyond rtm_table's 8 bits: RTA_TABLE carries it
  v6.via.destination = ip("fd91:1::1");
  v6.via.gateway = ip("fd91:3::1");
  v6.via.outputInterface = 2;
  v6.initialWindowSegments = 100;
  ResolvedRoute back;
  REQUIRE(parseRouteAnswer(buildReplaceRoute(v6, 4), back) == RouteAnswer::Ok);
  CHECK(back.destination == v6.via.destination);
  CHECK(*back.gateway == *v6.via.gateway);
}

TEST_CASE("route netlink: every truncation and every corrupted byte is refused, never read past") {
  Bytes good = vectors().at("answer_v4_gateway");
  for (size_t n = 0; n < good.size(); ++n) {
    ResolvedRoute r;
    CHECK(parseRouteAnswer(ByteSpan(good.data(), n), r) != RouteAnswer::Ok);
  }
  // Flipped bytes may still make a valid route (an address changes), but never a crash, and an
  // Ok answer always has an interface and a destination.
  for (size_t i = 0; i < good.size(); ++i) {
    Bytes bad = good;
    bad[i] ^= 0xff;
    ResolvedRoute r;
    if (parseRouteAnswer(bad, r) == RouteAnswer::Ok) {
      CHECK(r.destination.isV4());
    }
  }
  ResolvedRoute r;
  CHECK(parseRouteAnswer(ByteSpan(), r) == RouteAnswer::Malformed);
  // A length of 2^31 or more (found by fuzz_route_answer: libmnl's check compares it as int).
  Bytes huge = {0x10, 0x00, 0x00, 0xc7, 0x18, 0x00, 0x00, 0x07,
                0x75, 0x00, 0x00, 0x00, 0x00, 0x00, 0x75, 0x05};
  CHECK(parseRouteAnswer(huge, r) == RouteAnswer::Malformed);
  Bytes longer = good;
  longer[0] = static_cast<uint8_t>(good.size() + 4);  // claims 4 bytes it does not have
  CHECK(parseRouteAnswer(longer, r) == RouteAnswer::Malformed);
}

TEST_CASE("route netlink: a delete names the table and the host route") {
  Bytes del = buildDeleteRoute(28, ip("10.91.1.1"), 5);
  // nlmsghdr (16) + rtmsg (12) + RTA_DST (8) + RTA_TABLE (8)
  CHECK(del.size() == 44);
  CHECK(del[4] == 25);   // RTM_DELROUTE
  CHECK(del[16] == 2);   // AF_INET
  CHECK(del[17] == 32);  // a host route
  CHECK(del[20] == 28);  // rtm_table
}

}  // namespace
}  // namespace bh::redirect
