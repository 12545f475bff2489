#include <doctest/doctest.h>

// The WCCPv2 message codec (redirect/wccp/wccp_message.h): round trips of every message type,
// MD5 security, and malformed datagrams - every truncation, hostile counts, caps, trailing
// bytes, wrong versions - each refused with a reason and never a crash.

#include "redirect/wccp/wccp_message.h"
#include "redirect/wccp/wccp_security.h"
#include "tests/unit/redirect/wccp/wccp_test_util.h"

using namespace bh;
using namespace bh::redirect::wccp;
using bh::redirect::wccp::test::ip;

namespace {

Message roundTrip(const Message& m) {
  Bytes wire = encodeMessage(m);
  Message back;
  ParseResult r = decodeMessage(wire, back);
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.consumed == wire.size());
  CHECK(encodeMessage(back) == wire);
  return back;
}

Md5Password password(const char* p) {
  return *Md5Password::make(p);
}

}  // namespace

TEST_CASE("HERE_I_AM round-trips with every component") {
  Message m = test::hereIAm();
  Message back = roundTrip(m);
  CHECK(back == m);
  REQUIRE(back.find<ServiceInfo>() != nullptr);
  CHECK(back.find<ServiceInfo>()->id == 61);
  REQUIRE(back.find<CapabilityInfo>() != nullptr);
  CHECK(back.find<CapabilityInfo>()->value(CapabilityType::ForwardingMethod) == method::kGre);
  CHECK_FALSE(back.find<CapabilityInfo>()->value(static_cast<CapabilityType>(9)).has_value());
  CHECK(back.find<WebCacheViewInfo>()->routers[0].receiveId == 7);
}

TEST_CASE("I_SEE_YOU, REDIRECT_ASSIGN (hash and mask), REMOVAL_QUERY round-trip") {
  Message isy;
  isy.type = MessageType::ISeeYou;
  isy.components.push_back(SecurityInfo{});
  isy.components.push_back(test::tcpPromiscuous(62));
  isy.components.push_back(RouterIdentityInfo{
      {ip("10.91.1.1"), 8}, ip("10.91.1.5"), {ip("10.91.1.5"), ip("10.91.1.6")}});
  RouterViewInfo view;
  view.memberChangeNumber = 2;
  view.assignmentKey = {ip("10.91.1.5"), 1};
  view.routers = {ip("10.91.1.1")};
  WebCacheIdentity hashed;
  hashed.address = ip("10.91.1.5");
  hashed.buckets[0] = 0xf0;
  hashed.weight = 10000;
  WebCacheIdentity masked;
  masked.address = ip("10.91.1.6");
  masked.maskAssignment = true;
  masked.maskSets = {{{0xf00, 0, 0, 0}, {{0x100, 0, 0, 0, ip("10.91.1.6")}}}};
  view.webCaches = {hashed, masked};
  isy.components.push_back(view);
  CHECK(roundTrip(isy) == isy);

  Message assign = test::redirectAssign(3);
  CHECK(roundTrip(assign) == assign);

  Message alt;
  alt.type = MessageType::RedirectAssign;
  alt.components.push_back(SecurityInfo{});
  alt.components.push_back(test::tcpPromiscuous(61));
  MaskAssignment ma;
  ma.key = {ip("10.91.1.5"), 3};
  ma.routers = {{ip("10.91.1.1"), 9, 2}};
  ma.sets = {
      {{0xf00, 0, 0, 0}, {{0, 0, 0, 0, ip("10.91.1.5")}, {0x100, 0, 0, 0, ip("10.91.1.6")}}}};
  alt.components.push_back(AltAssignment{ma});
  alt.components.push_back(AssignmentMap{ma.sets});
  CHECK(roundTrip(alt) == alt);

  Message rq;
  rq.type = MessageType::RemovalQuery;
  rq.components.push_back(SecurityInfo{});
  rq.components.push_back(test::tcpPromiscuous(61));
  rq.components.push_back(RouterQueryInfo{ip("10.91.1.1"), 12, ip("10.91.1.1"), ip("10.91.1.6")});
  rq.components.push_back(CommandExtension{1, Bytes{10, 91, 1, 6}});
  rq.components.push_back(UnknownComponent{42, Bytes{1, 2, 3, 4}});
  CHECK(roundTrip(rq) == rq);
}

TEST_CASE("MD5: signed with the group's password, refused with another or when missing") {
  Bytes wire = encodeMessage(test::hereIAm());
  REQUIRE(md5DigestOffset(wire) == 16);
  REQUIRE(signMessage(wire, password("bh61pw")));
  CHECK(verifyMessage(wire, password("bh61pw")) == SecurityVerdict::Ok);
  CHECK(verifyMessage(wire, password("bh62pw")) == SecurityVerdict::Mismatch);
  CHECK(verifyMessage(wire, password("")) == SecurityVerdict::Mismatch);
  Bytes changed = wire;
  changed[wire.size() - 1] ^= 1;  // a capability bit flipped in flight
  CHECK(verifyMessage(changed, password("bh61pw")) == SecurityVerdict::Mismatch);
  Bytes clear = encodeMessage(test::redirectAssign(2));  // Security option none
  CHECK(verifyMessage(clear, password("bh61pw")) == SecurityVerdict::Missing);
  CHECK_FALSE(signMessage(clear, password("bh61pw")));
  // 5.6.1: at most 8 octets; longer is refused by name, never truncated.
  std::string why;
  CHECK(Md5Password::make("12345678").has_value());
  CHECK_FALSE(Md5Password::make("123456789", &why).has_value());
  CHECK(why.find("at most 8") != std::string::npos);
}

TEST_CASE("malformed: every truncation of every message is refused, never a crash") {
  for (const Message& m : {test::hereIAm(), test::redirectAssign(3)}) {
    Bytes wire = encodeMessage(m);
    for (size_t n = 0; n < wire.size(); ++n) {
      CAPTURE(n);
      Bytes cut(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(n));
      Message out;
      ParseResult r = decodeMessage(cut, out);
      CHECK_FALSE(r.ok());
      CHECK_FALSE(r.error.empty());
      // The header's length patched to the cut: still refused unless the cut ends on a
      // component boundary (then it is a shorter, well-formed message).
      if (n >= kHeaderBytes) {
        cut[6] = static_cast<uint8_t>((n - kHeaderBytes) >> 8);
        cut[7] = static_cast<uint8_t>(n - kHeaderBytes);
        ParseResult p = decodeMessage(cut, out);
        if (p.ok()) {
          CHECK(encodeMessage(out) == cut);
        }
      }
    }
  }
}

TEST_CASE("malformed: header, version, type and trailing bytes") {
  Bytes wire = encodeMessage(test::hereIAm());
  Message out;
  Bytes v1 = wire;
  v1[4] = 1;
  CHECK(decodeMessage(v1, out).error.find("version 1") != std::string::npos);
  Bytes type = wire;
  type[3] = 14;
  CHECK(decodeMessage(type, out).error.find("unknown type 14") != std::string::npos);
  Bytes longer = wire;
  longer.push_back(0);
  CHECK(decodeMessage(longer, out).error.find("header says") != std::string::npos);
  Bytes comp = wire;
  comp[8 + 2] = 0xff;  // the Security component's length beyond the message
  CHECK(decodeMessage(comp, out).error.find("beyond the message") != std::string::npos);
}

TEST_CASE("caps: routers, web caches, components, sets and values") {
  Message m = test::hereIAm();
  auto& view = *m.find<WebCacheViewInfo>();
  view.routers.assign(33, RouterIdElement{ip("10.91.1.1"), 1});
  Message out;
  ParseResult r = decodeMessage(encodeMessage(m), out);
  CHECK(r.error.find("exceeds the cap of 32") != std::string::npos);
  view.routers.resize(32);
  CHECK(decodeMessage(encodeMessage(m), out).ok());

  Message many;
  many.type = MessageType::HereIAm;
  for (int i = 0; i < 17; ++i) {
    many.components.push_back(SecurityInfo{});
  }
  CHECK(decodeMessage(encodeMessage(many), out).error.find("more than 16 components") !=
        std::string::npos);

  Message map;
  map.type = MessageType::ISeeYou;
  AssignmentMap am;
  am.sets.resize(1);
  am.sets[0].values.resize(257);
  map.components.push_back(am);
  CHECK(decodeMessage(encodeMessage(map), out).error.find("value elements") != std::string::npos);
}

TEST_CASE("malformed: a hostile count larger than the component allocates nothing") {
  Message m = test::hereIAm();
  Bytes wire = encodeMessage(m);
  // The Web-Cache View's router count: header 8 + security 24 + service 28 + identity 48,
  // then type/length (4) and change number (4).
  const size_t at = 8 + 24 + 28 + 48 + 8;
  REQUIRE(wire[at + 3] == 1);
  wire[at + 3] = 30;  // 30 routers of 8 bytes in a 20-byte body
  Message out;
  ParseResult r = decodeMessage(wire, out);
  CHECK(r.error.find("larger than the component") != std::string::npos);
}

TEST_CASE("malformed: a bucket naming a web cache the assignment does not list") {
  Message m = test::redirectAssign(2);
  std::get<HashAssignment>(m.components[2]).buckets[17] = 2;  // only 0 and 1 exist
  Message out;
  CHECK(decodeMessage(encodeMessage(m), out).error.find("web-cache index 2 of 2") !=
        std::string::npos);
  std::get<HashAssignment>(m.components[2]).buckets[17] = kUnassignedBucket;
  CHECK(decodeMessage(encodeMessage(m), out).ok());
  std::get<HashAssignment>(m.components[2]).buckets[17] = 0x81;  // index 1, A flag
  CHECK(decodeMessage(encodeMessage(m), out).ok());
}
