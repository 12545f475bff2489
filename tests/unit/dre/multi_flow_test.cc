#include <doctest/doctest.h>

#include <thread>

#include "tests/unit/dre/dre_test_util.h"

using namespace bh;
using namespace bh::dre;
using bh::dre::test::Link;

TEST_CASE("flow B references what flow A sent but the receiver has not decoded yet") {
  Link link;
  Bytes data = test::textBytes(300000, 91);
  DreEncoder encA(*link.senderCache, *link.ledger, link.config);
  DreEncoder encB(*link.senderCache, *link.ledger, link.config);
  Bytes wireA;
  Bytes wireB;
  encA.encode(data, true, wireA);  // literals; the ledger now lists the chunks
  encB.encode(data, true, wireB);  // references to them
  CHECK(encB.stats().referenceChunks > 0);
  DreDecoder decB(*link.receiverCache, link.config);
  Bytes outB;
  DecodeResult r = decB.decode(wireB, outB);  // B's bytes arrive first
  REQUIRE(r.status == DecodeStatus::Missing);
  Bytes answer;
  REQUIRE(encB.answerResend(r.missing, answer));
  REQUIRE(decB.applyRepair(answer).ok());
  REQUIRE(decB.decode({}, outB).status == DecodeStatus::Ok);
  CHECK(outB == data);
  DreDecoder decA(*link.receiverCache, link.config);
  Bytes outA;
  REQUIRE(decA.decode(wireA, outA).status == DecodeStatus::Ok);
  CHECK(outA == data);
}

TEST_CASE("a repair block arriving in-band is stored and produces no output") {
  Link link;
  Bytes data = test::randomBytes(50000, 92);
  link.send(data);
  link.newFlow();
  Bytes refs = link.send(data);
  auto empty = test::memoryCache();
  DreDecoder dec(*empty, link.config);
  Bytes out;
  DecodeResult r = dec.decode(refs, out);
  REQUIRE(r.status == DecodeStatus::Missing);
  Bytes answer;
  REQUIRE(link.encoder->answerResend(r.missing, answer));
  DreDecoder other(*empty, link.config);  // a fresh decoder on the same cache, repair in-band
  Bytes none;
  REQUIRE(other.decode(answer, none).status == DecodeStatus::Ok);
  CHECK(none.empty());
  Bytes out2;
  REQUIRE(other.decode(refs, out2).status == DecodeStatus::Ok);
  CHECK(out2 == data);
}

TEST_CASE("flows on several threads share one cache and one ledger") {
  auto senderCache = test::memoryCache(8 << 20);
  auto receiverCache = test::memoryCache(8 << 20);
  PeerLedger ledger(4 << 20, 1 << 16);
  ledger.syncEpoch(receiverCache->epoch());
  DreConfig cfg;
  const Bytes shared = test::textBytes(2 << 20, 93);
  auto worker = [&](uint64_t seed, bool* ok) {
    Bytes mine = test::randomBytes(1 << 20, seed);
    mine.insert(mine.end(), shared.begin(), shared.end());
    for (int round = 0; round < 3; ++round) {
      DreEncoder enc(*senderCache, ledger, cfg);
      DreDecoder dec(*receiverCache, cfg);
      Bytes wire;
      Bytes out;
      enc.encode(mine, true, wire);
      DecodeResult r = dec.decode(wire, out);
      for (int tries = 0; r.status == DecodeStatus::Missing && tries < 10; ++tries) {
        Bytes answer;
        if (!enc.answerResend(r.missing, answer) || !dec.applyRepair(answer).ok()) {
          break;
        }
        r = dec.decode({}, out);
      }
      if (r.status != DecodeStatus::Ok || out != mine) {
        *ok = false;
      }
    }
  };
  bool ok1 = true;
  bool ok2 = true;
  std::thread t1(worker, 94, &ok1);
  std::thread t2(worker, 95, &ok2);
  t1.join();
  t2.join();
  CHECK(ok1);
  CHECK(ok2);
  CHECK(receiverCache->stats().memoryBytes <= 8u << 20);
}
