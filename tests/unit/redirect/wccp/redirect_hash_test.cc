#include <doctest/doctest.h>

// The redirection hash (5.6.2) and mask match (5.7.6-5.7.8).

#include "redirect/wccp/redirect_hash.h"
#include "tests/unit/redirect/wccp/wccp_test_util.h"

using namespace bh::redirect::wccp;
using bh::redirect::wccp::test::ip;

namespace {
uint8_t fold(uint32_t key) {
  key ^= key >> 16;
  key ^= key >> 8;
  return static_cast<uint8_t>(key & 0xff);
}
}  // namespace

TEST_CASE("the key: destination alone, or the XOR of the flagged fields") {
  using namespace service_flags;
  PacketFields p{ip("10.91.1.10"), ip("10.91.4.2"), 40123, 6001};
  CHECK(bucketOf(p, kDstIpHash) == fold(ip("10.91.4.2")));
  CHECK(bucketOf(p, kSrcIpHash) == fold(ip("10.91.1.10")));
  CHECK(bucketOf(p, kSrcIpHash | kDstIpHash) == fold(ip("10.91.1.10") ^ ip("10.91.4.2")));
  CHECK(bucketOf(p, kSrcIpHash | kSrcPortHash | kDstPortHash) ==
        fold(ip("10.91.1.10") ^ 40123u ^ 6001u));
  CHECK(bucketOf(p, 0) == 0);
  // A worked value: key 0x0a5b010a -> 0x0a5b010a ^ 0x00000a5b = 0x0a5b0b51 -> ^ 0x000a5b0b
  // = 0x0a51505a -> bucket 0x5a.
  CHECK(bucketOf(p, kSrcIpHash) == 0x5a);
}

TEST_CASE("the alternate flags select the alternate key") {
  using namespace service_flags;
  PacketFields p{ip("10.91.1.10"), ip("10.91.4.2"), 40123, 6001};
  const uint32_t flags = kSrcIpHash | kDstPortAltHash;
  CHECK(bucketOf(p, flags, false) == fold(ip("10.91.1.10")));
  CHECK(bucketOf(p, flags, true) == fold(6001));
}

TEST_CASE("services 61 and 62 put both directions of one client on one bucket") {
  using namespace service_flags;
  // 61 sees client -> server (source = client); 62 sees server -> client (destination = client).
  for (uint32_t last = 1; last < 255; ++last) {
    uint32_t client = ip("10.91.1.0") + last;
    PacketFields out{client, ip("10.91.4.2"), 40000, 6001};
    PacketFields back{ip("10.91.4.2"), client, 6001, 40000};
    CHECK(bucketOf(out, kSrcIpHash) == bucketOf(back, kDstIpHash));
  }
}

TEST_CASE("mask match: the first matching value wins, a miss is forwarded normally") {
  std::vector<MaskValueSet> sets = {
      {{0xf00, 0, 0, 0}, {{0x100, 0, 0, 0, ip("10.91.1.5")}, {0x200, 0, 0, 0, ip("10.91.1.6")}}},
      {{0, 0xff, 0, 0}, {{0, 2, 0, 0, ip("10.91.1.7")}}}};
  CHECK(maskMatch({ip("10.91.1.10"), ip("10.91.4.2"), 1, 2}, sets) == ip("10.91.1.5"));
  CHECK(maskMatch({ip("10.91.2.10"), ip("10.91.4.2"), 1, 2}, sets) == ip("10.91.1.6"));
  CHECK(maskMatch({ip("10.91.3.10"), ip("10.91.4.2"), 1, 2}, sets) == ip("10.91.1.7"));
  CHECK_FALSE(maskMatch({ip("10.91.3.10"), ip("10.91.4.3"), 1, 2}, sets).has_value());
  // Port masks too.
  std::vector<MaskValueSet> ports = {{{0, 0, 0, 0x1}, {{0, 0, 0, 1, ip("10.91.1.5")}}}};
  CHECK(maskMatch({0, 0, 0, 6001}, ports) == ip("10.91.1.5"));
  CHECK_FALSE(maskMatch({0, 0, 0, 6002}, ports).has_value());
}
