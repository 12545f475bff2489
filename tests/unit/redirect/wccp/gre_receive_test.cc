#include <doctest/doctest.h>

// What a box takes from its raw GRE socket (redirect/wccp/gre_receive.h): the client's packet
// from a router of its service groups, nothing from anyone else, nothing for another service,
// nothing malformed.

#include "redirect/wccp/gre_receive.h"
#include "redirect/wccp/gre_redirect.h"

using namespace bh;
using namespace bh::redirect::wccp;

namespace {

constexpr uint32_t kRouter = 0x0a5b0501;  // 10.91.5.1

Bytes ipv4(size_t total, uint32_t src, uint8_t proto) {
  Bytes p(total, 0);
  p[0] = 0x45;
  p[2] = static_cast<uint8_t>(total >> 8);
  p[3] = static_cast<uint8_t>(total);
  p[9] = proto;
  p[12] = static_cast<uint8_t>(src >> 24);
  p[13] = static_cast<uint8_t>(src >> 16);
  p[14] = static_cast<uint8_t>(src >> 8);
  p[15] = static_cast<uint8_t>(src);
  return p;
}

/// The datagram as the raw socket reads it: outer IPv4 from `src`, GRE, redirect header, inner.
Bytes datagram(uint32_t src, uint8_t service, const Bytes& inner) {
  const Bytes gre = encodeGreRedirect({true, false, service, 0, 7}, inner);
  Bytes d = ipv4(20 + gre.size(), src, 47);
  std::copy(gre.begin(), gre.end(), d.begin() + 20);
  return d;
}

GreReceived receive(const Bytes& d) {
  return receiveGre(d, [](uint32_t a) { return a == kRouter; }, {61, 62});
}

}  // namespace

TEST_CASE("GRE from a router of the group: the client's packet, unchanged") {
  const Bytes inner = ipv4(60, 0x0a5b0101, 6);
  const Bytes d = datagram(kRouter, 62, inner);  // g.inner is a view into it: keep it alive
  const GreReceived g = receive(d);
  CHECK(g.drop == GreDrop::None);
  CHECK(g.source == kRouter);
  CHECK(Bytes(g.inner.begin(), g.inner.end()) == inner);
}

TEST_CASE("GRE from anyone else is dropped: it would inject traffic into TPROXY") {
  const GreReceived g = receive(datagram(0x0a5b0163, 61, ipv4(60, 0x0a5b0101, 6)));
  CHECK(g.drop == GreDrop::UnknownRouter);
  CHECK(g.inner.empty());
}

TEST_CASE("a redirect header naming another service is dropped") {
  const GreReceived g = receive(datagram(kRouter, 90, ipv4(60, 0x0a5b0101, 6)));
  CHECK(g.drop == GreDrop::OtherService);
  CHECK(g.why == "redirect header names service 90");
}

TEST_CASE("malformed datagrams at every length are dropped, named") {
  const Bytes d = datagram(kRouter, 61, ipv4(60, 0x0a5b0101, 6));
  for (size_t n = 0; n < d.size(); ++n) {
    CAPTURE(n);
    const GreReceived g = receive(Bytes(d.begin(), d.begin() + static_cast<long>(n)));
    CHECK(g.drop != GreDrop::None);
    CHECK_FALSE(g.why.empty());
  }
  Bytes v6 = d;
  v6[0] = 0x60;
  CHECK(receive(v6).drop == GreDrop::Malformed);
}
