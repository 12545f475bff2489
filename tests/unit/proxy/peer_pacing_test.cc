// Peer-leg pacing (proxy/sockets.h): the rate the kernel paces TCP payload to for a WAN of a
// given bandwidth, and which bandwidth a leg crosses when both ends have one configured.
#include <doctest/doctest.h>

#include "proxy/sockets.h"

using namespace bh::proxy;

TEST_CASE("a leg is paced to 95 % of the WAN's bandwidth, in payload bytes per second") {
  // 1448 payload bytes travel in a 1514-byte Ethernet frame: 95.6 %.
  CHECK(peerLegPacingBytesPerSecond(100000) == 11875000u);  // 100 Mbit/s -> 95 Mbit/s
  CHECK(peerLegPacingBytesPerSecond(10000) == 1187500u);
  CHECK(peerLegPacingBytesPerSecond(0) == 0u);
  // The largest configurable bandwidth (400 Gbit/s) does not overflow.
  CHECK(peerLegPacingBytesPerSecond(400000000) == 47500000000ull);
}

TEST_CASE("the WAN toward a peer is the slower of the two links; unknown on one side: the other") {
  CHECK(peerLegWanKbit(1000000, 10000) == 10000u);  // a data centre's core, a branch edge
  CHECK(peerLegWanKbit(10000, 1000000) == 10000u);
  CHECK(peerLegWanKbit(0, 10000) == 10000u);  // the core leaves its own unset
  CHECK(peerLegWanKbit(50000, 0) == 50000u);  // a version 1 edge says nothing
  CHECK(peerLegWanKbit(0, 0) == 0u);
}
