#include <doctest/doctest.h>

#include "dre/fingerprint.h"
#include "dre/peer_ledger.h"

using namespace bh::dre;

namespace {
Fingerprint fpOf(uint8_t v) {
  Fingerprint f;
  f.bytes.fill(v);
  return f;
}
}  // namespace

TEST_CASE("PeerLedger survives save/load (a restarted sender keeps referencing)") {
  PeerLedger a(1 << 20, 100);
  a.syncEpoch(77);
  for (uint8_t i = 1; i <= 5; ++i) {
    a.record(fpOf(i), 1000u + i);
  }
  bh::Bytes saved;
  a.save(saved);
  PeerLedger b(1 << 20, 100);
  REQUIRE(b.load(saved));
  CHECK(b.epoch() == 77);
  CHECK(b.entries() == 5);
  CHECK(b.holds(fpOf(3), 1003));
  CHECK_FALSE(b.holds(fpOf(3), 1004));  // length is part of the belief
  // Smaller caps on load keep the newest entries.
  PeerLedger small(1 << 20, 2);
  REQUIRE(small.load(saved));
  CHECK(small.entries() == 2);
  CHECK(small.holds(fpOf(5), 1005));
  CHECK_FALSE(small.holds(fpOf(1), 1001));
}

TEST_CASE("PeerLedger refuses a damaged file and stays empty") {
  PeerLedger a(1 << 20, 100);
  a.syncEpoch(5);
  a.record(fpOf(9), 64);
  bh::Bytes saved;
  a.save(saved);
  for (size_t i = 0; i < saved.size(); ++i) {
    bh::Bytes bad = saved;
    bad[i] ^= 0x40;
    PeerLedger b(1 << 20, 100);
    CHECK_FALSE(b.load(bad));
    CHECK(b.entries() == 0);
  }
  PeerLedger c(1 << 20, 100);
  CHECK_FALSE(c.load(bh::ByteSpan(saved.data(), saved.size() - 1)));
  CHECK_FALSE(c.load({}));
}
