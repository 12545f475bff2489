#include "mapi/epm/tower.h"

#include <doctest/doctest.h>

#include "mapi/dcerpc/well_known.h"
#include "tests/unit/mapi/dcerpc/test_util.h"

using namespace bh;
using namespace bh::mapi;
using namespace bh::mapi::epm;
using bh::mapi::dcerpc::testing::hex;

namespace {

// The 75-byte ncacn_ip_tcp tower for EMSMDB at 192.0.2.25:6001 (C706 Appendix L), as
// impacket's EPMTower writes it.
const char* kTowerHex =
    "0500"                                                     // 5 floors
    "1300 0d 00dbf1a447ca6710b31f00dd010662da 0000 0200 5100"  // EMSMDB v0.81
    "1300 0d 045d888aeb1cc9119fe808002b104860 0200 0200 0000"  // NDR v2.0
    "0100 0b 0200 0000"                                        // RPC CO, minor 0
    "0100 07 0200 1771"                                        // TCP port 6001 (big-endian)
    "0100 09 0400 c0000219";                                   // 192.0.2.25

}  // namespace

TEST_CASE("tcpIpTower encodes the documented floors") {
  Tower t = tcpIpTower(dcerpc::syntax::emsmdb(), dcerpc::syntax::ndr(), 6001, {192, 0, 2, 25});
  auto wire = encodeTower(t);
  REQUIRE(wire);
  CHECK(*wire == hex(kTowerHex));
  CHECK(wire->size() == 75);
}

TEST_CASE("decodeTower reads floors and the endpoint") {
  Tower t;
  Bytes wire = hex(kTowerHex);
  REQUIRE(decodeTower(wire, t).ok());
  REQUIRE(t.floors.size() == 5);
  CHECK(t.floors[2].protocolId() == 0x0b);
  CHECK(*uuidFloorSyntax(t.floors[0]) == dcerpc::syntax::emsmdb());
  CHECK(*uuidFloorSyntax(t.floors[1]) == dcerpc::syntax::ndr());
  CHECK(*tcpPort(t.floors[3]) == 6001);
  CHECK(*ipv4Address(t.floors[4]) == Ipv4{192, 0, 2, 25});
  CHECK_FALSE(tcpPort(t.floors[4]));
  CHECK_FALSE(ipv4Address(t.floors[3]));
  CHECK_FALSE(uuidFloorSyntax(t.floors[2]));
  auto e = endpointOf(t);
  REQUIRE(e);
  CHECK(e->interfaceId == dcerpc::syntax::emsmdb());
  CHECK(e->addressString() == "192.0.2.25:6001");
}

TEST_CASE("towers without a port or address give no endpoint; unknown floors stay opaque") {
  Tower t = tcpIpTower(dcerpc::syntax::emsmdb(), dcerpc::syntax::ndr(), 6001, {10, 0, 0, 1});
  t.floors.pop_back();
  CHECK_FALSE(endpointOf(t));
  Tower np;
  np.floors.push_back(uuidFloor(dcerpc::syntax::epm()));
  np.floors.push_back(Floor{{0x0f}, {'\\', 'p', 0}});  // named pipe floor
  auto wire = encodeTower(np);
  REQUIRE(wire);
  Tower back;
  REQUIRE(decodeTower(*wire, back).ok());
  CHECK(back == np);
  CHECK_FALSE(endpointOf(back));
  CHECK_FALSE(endpointOf(Tower{}));
}

TEST_CASE("malformed towers are errors; every truncation is an error") {
  Bytes wire = hex(kTowerHex);
  Tower t;
  for (size_t n = 0; n < wire.size(); ++n) {
    CAPTURE(n);
    CHECK(decodeTower(ByteSpan(wire).first(n), t).status == ParseStatus::Error);
  }
  Bytes longer = wire;
  longer.push_back(0);
  CHECK(decodeTower(longer, t).status == ParseStatus::Error);  // trailing byte
  TowerLimits limits;
  limits.maxFloors = 4;
  CHECK(decodeTower(wire, t, limits).status == ParseStatus::Error);  // floor cap
  limits.maxFloors = 5;
  CHECK(decodeTower(wire, t, limits).ok());
}
