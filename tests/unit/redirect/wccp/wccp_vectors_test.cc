#include <doctest/doctest.h>

// Golden vectors packed by hand from the draft (tests/vectors/wccp/make_vectors.py, Python
// struct, independent of our encoder): each decodes to the fields the script wrote, its MD5
// digest verifies with the script's password, and it re-encodes byte for byte.

#include "redirect/wccp/redirect_hash.h"
#include "redirect/wccp/wccp_message.h"
#include "redirect/wccp/wccp_security.h"
#include "tests/unit/redirect/wccp/wccp_test_util.h"

using namespace bh;
using namespace bh::redirect::wccp;
using bh::redirect::wccp::test::ip;
using bh::redirect::wccp::test::readVector;

namespace {

Message decoded(const char* name) {
  Bytes wire = readVector(name);
  REQUIRE(wire.size() > kHeaderBytes);
  Message m;
  ParseResult r = decodeMessage(wire, m);
  REQUIRE_MESSAGE(r.ok(), name, ": ", r.error);
  CHECK(encodeMessage(m) == wire);
  const auto* sec = m.find<SecurityInfo>();
  REQUIRE(sec != nullptr);
  if (sec->option == SecurityOption::Md5) {
    CHECK(verifyMessage(wire, *Md5Password::make("bh61pw")) == SecurityVerdict::Ok);
    CHECK(verifyMessage(wire, *Md5Password::make("bh61px")) == SecurityVerdict::Mismatch);
  }
  return m;
}

}  // namespace

TEST_CASE("HERE_I_AM vectors: service 61/62, identity, view, capabilities, Squid's ports") {
  Message m = decoded("hia_61_md5");
  CHECK(m.type == MessageType::HereIAm);
  CHECK(*m.find<ServiceInfo>() == test::tcpPromiscuous(61));
  CHECK(m.find<WebCacheIdentity>()->address == ip("10.91.1.5"));
  CHECK(m.find<WebCacheIdentity>()->unassigned);
  CHECK(m.find<WebCacheIdentity>()->weight == 10000);
  CHECK(m.find<WebCacheViewInfo>()->routers.at(0) == RouterIdElement{ip("10.91.1.1"), 7});
  CHECK(m.find<CapabilityInfo>()->value(CapabilityType::ReturnMethod) == method::kGre);

  Message none = decoded("hia_62_none");
  CHECK(none.find<SecurityInfo>()->option == SecurityOption::None);
  CHECK(none.find<ServiceInfo>()->flags == service_flags::kDstIpHash);

  Message squid = decoded("hia_squid_ports");
  CHECK(squid.find<ServiceInfo>()->flags ==
        (service_flags::kPortsDefined | service_flags::kDstIpHash));
  CHECK(squid.find<ServiceInfo>()->ports == std::array<uint16_t, 8>{1, 2, 3, 4, 5, 6, 7, 8});
}

TEST_CASE("I_SEE_YOU vector: router identity and view with two boxes") {
  Message m = decoded("isy_61_md5");
  CHECK(m.type == MessageType::ISeeYou);
  const auto* id = m.find<RouterIdentityInfo>();
  REQUIRE(id != nullptr);
  CHECK(id->router == RouterIdElement{ip("10.91.1.1"), 8});
  CHECK(id->receivedFrom == std::vector<uint32_t>{ip("10.91.1.5"), ip("10.91.1.6")});
  const auto* view = m.find<RouterViewInfo>();
  REQUIRE(view != nullptr);
  CHECK(view->memberChangeNumber == 2);
  REQUIRE(view->webCaches.size() == 2);
  CHECK(view->webCaches[1].address == ip("10.91.1.6"));
  CHECK(m.find<CapabilityInfo>()->value(CapabilityType::AssignmentMethod) ==
        (method::kHash | method::kMask));
}

TEST_CASE("REDIRECT_ASSIGN vectors: hash blocks and the WAAS mask") {
  Message h = decoded("assign_hash_md5");
  const auto* a = h.find<HashAssignment>();
  REQUIRE(a != nullptr);
  CHECK(a->webCaches.size() == 3);
  CHECK(a->buckets[0] == 0);
  CHECK(a->buckets[86] == 1);
  CHECK(a->buckets[255] == 2);

  Message m = decoded("assign_mask_md5");
  const auto* alt = m.find<AltAssignment>();
  REQUIRE(alt != nullptr);
  const auto& mask = std::get<MaskAssignment>(alt->body);
  REQUIRE(mask.sets.size() == 1);
  CHECK(mask.sets[0].mask.srcAddrMask == 0xf00);
  CHECK(mask.sets[0].values.size() == 16);
  // 10.91.3.7 & 0xF00 = 0x300: value 3, box 3 % 2 = 1.
  PacketFields p{ip("10.91.3.7"), ip("10.91.4.2"), 40000, 6001};
  CHECK(maskMatch(p, mask.sets) == ip("10.91.1.6"));
}

TEST_CASE("REMOVAL_QUERY vector") {
  Message m = decoded("removal_query");
  CHECK(m.type == MessageType::RemovalQuery);
  CHECK(*m.find<RouterQueryInfo>() ==
        RouterQueryInfo{ip("10.91.1.1"), 12, ip("10.91.1.1"), ip("10.91.1.6")});
}
