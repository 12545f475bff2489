#include <doctest/doctest.h>

// GRE with the WCCP redirect header (redirect/wccp/gre_redirect.h): round trip, the WCCPv1 form
// without a redirect header, either flag layout, and malformed input at every length.

#include "redirect/wccp/gre_redirect.h"

using namespace bh;
using namespace bh::redirect::wccp;

namespace {

/// A minimal IPv4/TCP SYN of `total` bytes (contents beyond the header do not matter here).
Bytes ipv4Packet(size_t total = 60) {
  Bytes p(total, 0);
  p[0] = 0x45;
  p[2] = static_cast<uint8_t>(total >> 8);
  p[3] = static_cast<uint8_t>(total);
  p[9] = 6;
  return p;
}

}  // namespace

TEST_CASE("redirect header and inner packet round-trip") {
  RedirectHeader h{true, false, 61, 0, 0x5a};
  Bytes inner = ipv4Packet();
  Bytes gre = encodeGreRedirect(h, inner);
  CHECK(gre.size() == inner.size() + 8);
  CHECK(gre[0] == 0);
  CHECK(gre[2] == 0x88);
  CHECK(gre[3] == 0x3e);
  GreRedirect out;
  ParseResult r = decodeGreRedirect(gre, out);
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(out.hasRedirectHeader);
  CHECK(out.header == h);
  CHECK(Bytes(out.inner.begin(), out.inner.end()) == inner);
}

TEST_CASE("link padding after the inner packet is not part of it") {
  Bytes inner = ipv4Packet(40);
  Bytes gre = encodeGreRedirect({}, inner);
  gre.insert(gre.end(), 6, 0);  // Ethernet minimum-frame padding
  GreRedirect out;
  REQUIRE(decodeGreRedirect(gre, out).ok());
  CHECK(out.inner.size() == 40);
}

TEST_CASE("no redirect header: the inner IPv4 packet follows GRE directly (WCCPv1)") {
  Bytes gre = {0, 0, 0x88, 0x3e};
  Bytes inner = ipv4Packet();
  gre.insert(gre.end(), inner.begin(), inner.end());
  GreRedirect out;
  REQUIRE(decodeGreRedirect(gre, out).ok());
  CHECK_FALSE(out.hasRedirectHeader);
  CHECK(out.inner.size() == inner.size());
}

TEST_CASE("the draft's flag layout is read too: only service id and buckets matter") {
  Bytes gre = encodeGreRedirect({false, false, 62, 3, 7}, ipv4Packet());
  gre[4] = 0x80;  // D as the draft draws it
  GreRedirect out;
  REQUIRE(decodeGreRedirect(gre, out).ok());
  CHECK(out.header.serviceId == 62);
  CHECK(out.header.alternateBucketIndex == 3);
  CHECK(out.header.primaryBucketIndex == 7);
}

TEST_CASE("malformed: flags, protocol, truncation at every length, a short inner packet") {
  Bytes good = encodeGreRedirect({true, false, 61, 0, 1}, ipv4Packet());
  GreRedirect out;
  for (size_t n = 0; n < good.size(); ++n) {
    CAPTURE(n);
    ParseResult r = decodeGreRedirect(ByteSpan(good).first(n), out);
    CHECK_FALSE(r.ok());
    CHECK_FALSE(r.error.empty());
  }
  Bytes key = good;
  key[0] = 0x20;  // K: a GRE key, not used by WCCP
  CHECK(decodeGreRedirect(key, out).error.find("flags/version 0x2000") != std::string::npos);
  Bytes ipProto = good;
  ipProto[2] = 0x08;
  ipProto[3] = 0x00;
  CHECK(decodeGreRedirect(ipProto, out).error.find("not WCCP") != std::string::npos);
  Bytes notIp = good;
  notIp[8] = 0x65;  // IPv6 where IPv4 belongs
  CHECK(decodeGreRedirect(notIp, out).error.find("not IPv4") != std::string::npos);
  Bytes lies = good;
  lies[8 + 3] = 200;  // the inner packet claims more bytes than arrived
  CHECK(decodeGreRedirect(lies, out).error.find("says 200 bytes") != std::string::npos);
}
