#include <doctest/doctest.h>

#include <fstream>

#include "tests/unit/dre/dre_test_util.h"

using namespace bh;
using namespace bh::dre;
using bh::dre::test::Link;

namespace {

ChunkCacheConfig persistentConfig(const std::filesystem::path& dir) {
  ChunkCacheConfig c;
  c.memoryBytes = 1 << 20;
  c.persistent = true;
  c.disk.directory = dir.string();
  c.disk.capBytes = 64 << 20;
  c.disk.segmentBytes = 8 << 20;
  return c;
}

/// Drives decode -> resend request -> answer -> applyRepair -> decode until done.
DecodeStatus decodeWithRepair(Link& link, ByteSpan wire, Bytes& out, size_t& rounds) {
  DecodeResult r = link.decoder->decode(wire, out);
  rounds = 0;
  while (r.status == DecodeStatus::Missing && rounds < 100) {
    ++rounds;
    Bytes request;
    encodeResendRequest(r.missing, request);
    std::vector<MissingChunk> asked;
    REQUIRE(parseResendRequest(request, 1 << 16, link.config.chunker.maxSize, asked).ok());
    Bytes answer;
    if (!link.encoder->answerResend(asked, answer)) {
      return DecodeStatus::Error;
    }
    REQUIRE(link.decoder->applyRepair(answer).ok());
    r = link.decoder->decode({}, out);
  }
  return r.status;
}

}  // namespace

TEST_CASE("a reference the receiver lost yields Missing, then resend repairs it") {
  Link link(DreConfig{}, test::memoryCache(1 << 20));  // receiver much smaller than the data
  Bytes data = test::randomBytes(4 << 20, 71);
  Bytes out;
  REQUIRE(link.decoder->decode(link.send(data), out).status == DecodeStatus::Ok);
  REQUIRE(out == data);
  link.newFlow();
  Bytes wire = link.send(data);  // all references; most were evicted by the receiver
  out.clear();
  DecodeResult first = link.decoder->decode(wire, out);
  CHECK(first.status == DecodeStatus::Missing);
  CHECK_FALSE(first.missing.empty());
  CHECK(out.empty());  // nothing of a stalled block is released
  size_t rounds = 0;
  out.clear();
  link.decoder = std::make_unique<DreDecoder>(*link.receiverCache, link.config);
  REQUIRE(decodeWithRepair(link, wire, out, rounds) == DecodeStatus::Ok);
  CHECK(rounds > 0);
  CHECK(out == data);
  CHECK(link.encoder->stats().resentChunks > 0);
}

TEST_CASE("resend of a chunk the sender no longer has fails: the flow resets") {
  Link link;
  Bytes data = test::randomBytes(100000, 72);
  Bytes wire1 = link.send(data);
  // Sender forgets everything (its own cache replaced) while its ledger still believes.
  link.senderCache = test::memoryCache();
  link.newFlow();
  Bytes wire2 = link.send(data);
  auto emptyCache = test::memoryCache();  // receiver has nothing either
  DreDecoder fresh(*emptyCache, link.config);
  Bytes out;
  DecodeResult r = fresh.decode(wire2, out);
  REQUIRE(r.status == DecodeStatus::Missing);
  Bytes answer;
  CHECK_FALSE(link.encoder->answerResend(r.missing, answer));
  CHECK(answer.empty());
}

TEST_CASE("receiver cache reset: new epoch empties the ledger, stale blocks are flagged") {
  Link link;
  Bytes data = test::textBytes(200000, 73);
  Bytes out;
  REQUIRE(link.decoder->decode(link.send(data), out).status == DecodeStatus::Ok);
  const uint64_t oldEpoch = link.receiverCache->epoch();
  // The receiver's cache is replaced (new epoch) but the sender has not heard yet.
  link.receiverCache = test::memoryCache();
  CHECK(link.receiverCache->epoch() != oldEpoch);
  link.newFlow();
  Bytes wire = link.send(data);
  out.clear();
  size_t rounds = 0;
  REQUIRE(decodeWithRepair(link, wire, out, rounds) == DecodeStatus::Ok);
  CHECK(out == data);
  CHECK(rounds == 1);
  // Now a reference the new cache holds (thanks to the repair), under the old epoch: flagged.
  Bytes again = link.send(data);
  out.clear();
  DecodeResult r = link.decoder->decode(again, out);
  CHECK(r.status == DecodeStatus::Ok);
  CHECK(r.staleEpoch);
  CHECK(out == data);
  // The sender learns the epoch: ledger empties, next send is literals again (no misses).
  link.ledger->syncEpoch(link.decoder->cacheEpoch());
  CHECK(link.ledger->entries() == 0);
  link.newFlow();
  out.clear();
  r = link.decoder->decode(link.send(data), out);
  CHECK(r.status == DecodeStatus::Ok);
  CHECK_FALSE(r.staleEpoch);
  CHECK(out == data);
}

TEST_CASE("receiver restart: persisted cache resolves references sent after reopen") {
  test::TempDir dir("codec-restart");
  Bytes data = test::randomBytes(3 << 20, 74);
  std::string error;
  auto receiver = ChunkCache::open(persistentConfig(dir.path), nullptr, error);
  REQUIRE(receiver != nullptr);
  Link link(DreConfig{}, std::move(receiver));
  Bytes out;
  REQUIRE(link.decoder->decode(link.send(data), out).status == DecodeStatus::Ok);
  const uint64_t epoch = link.receiverCache->epoch();
  link.decoder.reset();
  link.receiverCache.reset();  // receiver process stops
  link.receiverCache = ChunkCache::open(persistentConfig(dir.path), nullptr, error);
  REQUIRE(link.receiverCache != nullptr);
  CHECK(link.receiverCache->epoch() == epoch);
  link.ledger->syncEpoch(link.receiverCache->epoch());  // same epoch: the ledger stays valid
  link.newFlow();
  Bytes wire = link.send(data);
  CHECK(wire.size() * 50 < data.size());
  out.clear();
  DecodeResult r = link.decoder->decode(wire, out);
  CHECK(r.status == DecodeStatus::Ok);
  CHECK(out == data);
}

TEST_CASE("receiver restart over a corrupted segment: never a wrong byte, repaired or Missing") {
  test::TempDir dir("codec-corrupt");
  Bytes data = test::randomBytes(3 << 20, 75);
  std::string error;
  ChunkCacheConfig cfg = persistentConfig(dir.path);
  cfg.memoryBytes = 0;  // all lookups go to disk
  auto receiver = ChunkCache::open(cfg, nullptr, error);
  REQUIRE(receiver != nullptr);
  Link link(DreConfig{}, std::move(receiver));
  Bytes out;
  REQUIRE(link.decoder->decode(link.send(data), out).status == DecodeStatus::Ok);
  link.decoder.reset();
  link.receiverCache.reset();
  {
    const auto seg = dir.path / "00000001.seg";
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    std::mt19937_64 rng(76);
    const auto size = std::filesystem::file_size(seg);
    for (int i = 0; i < 30; ++i) {
      f.seekp(static_cast<std::streamoff>(8 + rng() % (size - 8)));
      char b = static_cast<char>(rng());
      f.write(&b, 1);
    }
  }
  std::vector<std::string> logs;
  link.receiverCache = ChunkCache::open(
      cfg, [&](const std::string& l) { logs.push_back(l); }, error);
  REQUIRE(link.receiverCache != nullptr);
  CHECK_FALSE(logs.empty());
  link.newFlow();
  Bytes wire = link.send(data);
  out.clear();
  DecodeResult r = link.decoder->decode(wire, out);
  CHECK(r.status == DecodeStatus::Missing);
  CHECK(out.empty());
  size_t rounds = 0;
  link.decoder = std::make_unique<DreDecoder>(*link.receiverCache, link.config);
  REQUIRE(decodeWithRepair(link, wire, out, rounds) == DecodeStatus::Ok);
  CHECK(out == data);
}

TEST_CASE("a resend answered while a data block is open keeps that block within its cap") {
  // answerResend seals its repair blocks aside; the open data block must keep counting the
  // references it already holds, or it runs past blockMaxReferencedBytes and the receiver
  // refuses it (the corrupted-cache recovery of tests/lab/generic_dre_test.sh).
  Link link;
  const DreConfig& cfg = link.config;
  Bytes data = test::randomBytes(12 << 20, 81);
  {
    // First send: both caches and the sender's ledger now hold every chunk.
    Bytes out;
    REQUIRE(link.decoder->decode(link.send(data), out).status == DecodeStatus::Ok);
  }
  link.newFlow();
  Bytes wire;
  const size_t firstPart = cfg.blockMaxReferencedBytes * 3 / 4;
  link.encoder->encode(ByteSpan(data).first(firstPart), /*flush=*/false, wire);
  // The receiver asks again for a chunk it lost (the first chunk of the data), mid-block.
  Chunker chunker(cfg.chunker);
  const size_t cut = chunker.findCut(data);
  REQUIRE(cut > 0);
  const MissingChunk lost{fingerprintOf(ByteSpan(data).first(cut)), static_cast<uint32_t>(cut)};
  Bytes repair;
  REQUIRE(link.encoder->answerResend(std::span<const MissingChunk>(&lost, 1), repair));
  link.encoder->encode(ByteSpan(data).subspan(firstPart), /*flush=*/true, wire);
  Bytes out;
  DecodeResult r = link.decoder->decode(wire, out);
  CHECK(r.error == "");
  REQUIRE(r.status == DecodeStatus::Ok);
  CHECK(out == data);
}

TEST_CASE("repair stash and backlog are capped") {
  DreConfig cfg;
  Link link(cfg);
  Bytes data = test::randomBytes(2 << 20, 77);
  link.send(data);
  link.newFlow();
  Bytes wire = link.send(data);
  DreConfig tight = cfg;
  tight.maxRepairStashBytes = 64 * 1024;
  tight.blockMaxReferencedBytes = 32 * 1024;  // keep the config valid; the wire came from cfg
  REQUIRE(tight.validate().empty());
  auto cacheA = test::memoryCache();
  Bytes out;
  // The wire's block references 2 MiB, beyond what a peer with the tight caps may send in one
  // block: refused by the block cap before anything is looked up.
  {
    DreDecoder d(*cacheA, tight);
    DecodeResult r = d.decode(wire, out);
    CHECK(r.status == DecodeStatus::Error);
    CHECK(r.missing.empty());
    CHECK(out.empty());
  }
  // Resent chunks beyond the stash cap (the sender answers more than fits): refused, and the
  // stash never holds more than its cap.
  auto cacheC = test::memoryCache();
  DreDecoder asker(*cacheC, cfg);
  DecodeResult r = asker.decode(wire, out);
  REQUIRE(r.status == DecodeStatus::Missing);
  Bytes answer;
  REQUIRE(link.encoder->answerResend(r.missing, answer));
  DreDecoder d(*cacheA, tight);
  CHECK(d.applyRepair(answer).status == ParseStatus::Error);
  CHECK(d.repairStashBytes() <= tight.maxRepairStashBytes);

  // A stalled decoder keeps buffering what follows, up to its cap, then fails the flow.
  auto cacheB = test::memoryCache();
  DreDecoder stalled(*cacheB, cfg);
  r = stalled.decode(wire, out);
  REQUIRE(r.status == DecodeStatus::Missing);
  size_t fed = 0;
  const Bytes later(1 << 20, 0);  // whatever follows the stalled block is only held
  while (r.status == DecodeStatus::Missing) {
    r = stalled.decode(later, out);
    fed += later.size();
    CHECK(stalled.bufferedBytes() <= cfg.maxDecoderBacklogBytes);
    REQUIRE(fed < (64u << 20));
  }
  CHECK(r.status == DecodeStatus::Error);
  CHECK(stalled.decode({}, out).status == DecodeStatus::Error);  // sticky
}

TEST_CASE("a stalled decoder does not re-decode until a repair or new chunks arrive") {
  Link link;
  Bytes data = test::randomBytes(1 << 20, 78);
  link.send(data);
  link.newFlow();
  Bytes wire = link.send(data);
  auto empty = test::memoryCache();
  DreDecoder d(*empty, link.config);
  Bytes out;
  DecodeResult r = d.decode(wire, out);
  REQUIRE(r.status == DecodeStatus::Missing);
  const uint64_t missingCount = d.stats().missingChunks;
  const Bytes more = link.send(test::randomBytes(1000, 79));  // later data, held
  DecodeResult again = d.decode(more, out);
  CHECK(again.status == DecodeStatus::Missing);
  CHECK(again.missing == r.missing);
  CHECK(d.stats().missingChunks == missingCount);  // no second attempt was made
  CHECK(d.bufferedBytes() == wire.size() + more.size());
  Bytes answer;
  REQUIRE(link.encoder->answerResend(r.missing, answer));
  REQUIRE(d.applyRepair(answer).ok());
  REQUIRE(d.decode({}, out).status == DecodeStatus::Ok);
  Bytes expected = data;
  Bytes tail = test::randomBytes(1000, 79);
  expected.insert(expected.end(), tail.begin(), tail.end());
  CHECK(out == expected);
  CHECK(d.bufferedBytes() == 0);
}
