#include <doctest/doctest.h>

#include <fstream>

#include "dre/chunk_cache.h"
#include "dre/disk_chunk_store.h"
#include "dre/memory_chunk_cache.h"
#include "dre/peer_ledger.h"
#include "tests/unit/dre/dre_test_util.h"

using namespace bh;
using namespace bh::dre;

namespace {

struct Chunk {
  Bytes data;
  Fingerprint fp;
};

std::vector<Chunk> makeChunks(size_t count, size_t size, uint64_t seed) {
  std::vector<Chunk> out;
  for (size_t i = 0; i < count; ++i) {
    Chunk c{test::randomBytes(size + i % 7, seed + i), {}};
    c.fp = fingerprintOf(c.data);
    out.push_back(std::move(c));
  }
  return out;
}

ChunkCacheConfig diskConfig(const std::filesystem::path& dir) {
  ChunkCacheConfig c;
  c.memoryBytes = 1 << 20;
  c.persistent = true;
  c.disk.directory = dir.string();
  c.disk.capBytes = 4 << 20;
  c.disk.segmentBytes = 1 << 20;
  c.disk.writeBufferBytes = 64 << 10;
  return c;
}

}  // namespace

TEST_CASE("memory cache stays under its byte cap and evicts least recently used") {
  MemoryChunkCache m(10 * (1000 + MemoryChunkCache::kEntryOverhead));
  auto chunks = makeChunks(30, 1000, 100);
  for (size_t i = 0; i < chunks.size(); ++i) {
    m.insert(chunks[i].fp, ByteSpan(chunks[i].data).first(1000));
    CHECK(m.usedBytes() <= m.capBytes());
    if (i >= 1) {
      CHECK(m.find(chunks[0].fp) != nullptr);  // keep chunk 0 recent
    }
  }
  CHECK(m.entries() == 10);
  CHECK(m.contains(chunks[0].fp));
  CHECK_FALSE(m.contains(chunks[1].fp));
  CHECK(m.contains(chunks[29].fp));
  CHECK(m.evictions() == 20);
  Bytes huge(m.capBytes(), 1);
  CHECK_FALSE(m.insert(fingerprintOf(huge), huge));
}

TEST_CASE("chunk cache verifies length and returns only exact bytes") {
  auto cache = test::memoryCache();
  auto chunks = makeChunks(3, 500, 200);
  cache->insert(chunks[0].fp, chunks[0].data);
  Bytes out;
  CHECK(cache->lookup(chunks[0].fp, static_cast<uint32_t>(chunks[0].data.size()), out) ==
        ChunkCache::Lookup::Hit);
  CHECK(out == chunks[0].data);
  CHECK(cache->lookup(chunks[0].fp, 12, out) == ChunkCache::Lookup::Miss);
  CHECK(cache->lookup(chunks[1].fp, 500, out) == ChunkCache::Lookup::Miss);
  CHECK(out == chunks[0].data);
}

TEST_CASE("disk cache survives a restart: index rebuilt, old chunks resolvable") {
  test::TempDir dir("restart");
  auto chunks = makeChunks(200, 4000, 300);
  uint64_t epoch = 0;
  {
    std::string error;
    auto cache = ChunkCache::open(diskConfig(dir.path), nullptr, error);
    REQUIRE(cache != nullptr);
    epoch = cache->epoch();
    for (auto& c : chunks) {
      cache->insert(c.fp, c.data);
    }
  }
  std::vector<std::string> logs;
  std::string error;
  auto cache = ChunkCache::open(
      diskConfig(dir.path), [&](const std::string& l) { logs.push_back(l); }, error);
  REQUIRE(cache != nullptr);
  CHECK(cache->epoch() == epoch);
  CHECK(logs.empty());
  CHECK(cache->stats().diskEntries == chunks.size());
  for (auto& c : chunks) {
    Bytes out;
    REQUIRE(cache->lookup(c.fp, static_cast<uint32_t>(c.data.size()), out) ==
            ChunkCache::Lookup::Hit);
    CHECK(out == c.data);
  }
}

TEST_CASE("corrupted segment: flipped bytes are logged, never returned") {
  test::TempDir dir("corrupt");
  auto chunks = makeChunks(100, 3000, 400);
  {
    std::string error;
    auto cache = ChunkCache::open(diskConfig(dir.path), nullptr, error);
    REQUIRE(cache != nullptr);
    for (auto& c : chunks) {
      cache->insert(c.fp, c.data);
    }
  }
  const auto seg = dir.path / "00000001.seg";
  REQUIRE(std::filesystem::exists(seg));
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    std::mt19937_64 rng(401);
    const auto size = std::filesystem::file_size(seg);
    for (int i = 0; i < 40; ++i) {
      f.seekp(static_cast<std::streamoff>(8 + rng() % (size - 8)));
      char b = static_cast<char>(rng());
      f.write(&b, 1);
    }
  }
  std::vector<std::string> logs;
  std::string error;
  auto cache = ChunkCache::open(
      diskConfig(dir.path), [&](const std::string& l) { logs.push_back(l); }, error);
  REQUIRE(cache != nullptr);
  CHECK_FALSE(logs.empty());
  size_t hits = 0;
  for (auto& c : chunks) {
    Bytes out;
    if (cache->lookup(c.fp, static_cast<uint32_t>(c.data.size()), out) == ChunkCache::Lookup::Hit) {
      CHECK(out == c.data);
      ++hits;
    } else {
      CHECK(out.empty());
    }
  }
  CHECK(hits > 0);
  CHECK(hits < chunks.size());
}

TEST_CASE("corruption after open is caught on lookup by the re-hash") {
  test::TempDir dir("live");
  ChunkCacheConfig cfg = diskConfig(dir.path);
  cfg.memoryBytes = 0;  // every lookup goes to disk
  std::string error;
  std::vector<std::string> logs;
  auto cache = ChunkCache::open(
      cfg, [&](const std::string& l) { logs.push_back(l); }, error);
  REQUIRE(cache != nullptr);
  auto chunks = makeChunks(5, 2000, 500);
  for (auto& c : chunks) {
    cache->insert(c.fp, c.data);
  }
  cache->flush();
  // Overwrite one record's data with a same-CRC-irrelevant change: the CRC catches it.
  {
    std::fstream f(dir.path / "00000001.seg", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(8 + 28 + 100);
    f.write("X", 1);
  }
  Bytes out;
  CHECK(cache->lookup(chunks[0].fp, static_cast<uint32_t>(chunks[0].data.size()), out) ==
        ChunkCache::Lookup::Miss);
  CHECK(out.empty());
  CHECK_FALSE(logs.empty());
  CHECK(cache->lookup(chunks[1].fp, static_cast<uint32_t>(chunks[1].data.size()), out) ==
        ChunkCache::Lookup::Hit);
  CHECK(out == chunks[1].data);
}

TEST_CASE("truncated segment tail (torn write) is cut and logged") {
  test::TempDir dir("torn");
  auto chunks = makeChunks(10, 1000, 600);
  {
    std::string error;
    auto cache = ChunkCache::open(diskConfig(dir.path), nullptr, error);
    for (auto& c : chunks) {
      cache->insert(c.fp, c.data);
    }
  }
  const auto seg = dir.path / "00000001.seg";
  const auto size = std::filesystem::file_size(seg);
  std::filesystem::resize_file(seg, size - 500);
  std::vector<std::string> logs;
  std::string error;
  auto cache = ChunkCache::open(
      diskConfig(dir.path), [&](const std::string& l) { logs.push_back(l); }, error);
  REQUIRE(cache != nullptr);
  CHECK(logs.size() == 1);
  CHECK(cache->stats().diskEntries == 9);
  CHECK(std::filesystem::file_size(seg) < size - 500);
}

TEST_CASE("disk cache stays under its cap by dropping the oldest segments") {
  test::TempDir dir("cap");
  std::string error;
  ChunkCacheConfig cfg = diskConfig(dir.path);
  auto cache = ChunkCache::open(cfg, nullptr, error);
  REQUIRE(cache != nullptr);
  auto chunks = makeChunks(2000, 8000, 700);  // ~16 MB into a 4 MB cap
  for (auto& c : chunks) {
    cache->insert(c.fp, c.data);
    REQUIRE(cache->stats().diskBytes <= cfg.disk.capBytes);
  }
  cache->flush();
  uint64_t onDisk = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path)) {
    onDisk += e.path().extension() == ".seg" ? e.file_size() : 0;
  }
  CHECK(onDisk <= cfg.disk.capBytes);
  Bytes out;
  CHECK(cache->lookup(chunks.back().fp, static_cast<uint32_t>(chunks.back().data.size()), out) ==
        ChunkCache::Lookup::Hit);
  out.clear();
  CHECK(cache->lookup(chunks.front().fp, static_cast<uint32_t>(chunks.front().data.size()), out) ==
        ChunkCache::Lookup::Miss);
}

TEST_CASE("disk index stays bounded even for tiny records") {
  test::TempDir dir("index-cap");
  DiskStoreConfig cfg;
  cfg.directory = dir.path.string();
  cfg.capBytes = 1 << 20;
  cfg.segmentBytes = 128 << 10;
  std::string error;
  auto store = DiskChunkStore::open(cfg, nullptr, error);
  REQUIRE(store != nullptr);
  for (uint32_t i = 0; i < 40000; ++i) {
    Bytes tiny(20, 0);
    std::memcpy(tiny.data(), &i, sizeof(i));
    REQUIRE(store->append(fingerprintOf(tiny), tiny));
    REQUIRE(store->entries() <= cfg.capBytes / 64);
    REQUIRE(store->diskBytes() <= cfg.capBytes);
  }
  CHECK(store->entries() > 10000);
}

TEST_CASE("disk store config is validated") {
  DiskStoreConfig c;
  CHECK_FALSE(c.validate().empty());  // no directory
  c.directory = "/tmp/x";
  CHECK(c.validate().empty());
  c.segmentBytes = 1000;
  CHECK_FALSE(c.validate().empty());
}

TEST_CASE("peer ledger: caps, refresh and epoch reset") {
  PeerLedger ledger(10000, 5);
  ledger.syncEpoch(7);
  auto chunks = makeChunks(8, 1000, 800);
  for (auto& c : chunks) {
    ledger.record(c.fp, 1000);
    CHECK(ledger.entries() <= 5);
    CHECK(ledger.bytes() <= 10000);
  }
  CHECK_FALSE(ledger.holds(chunks[0].fp, 1000));
  CHECK(ledger.holds(chunks[7].fp, 1000));
  CHECK_FALSE(ledger.holds(chunks[7].fp, 999));
  ledger.syncEpoch(7);
  CHECK(ledger.entries() == 5);
  ledger.syncEpoch(8);
  CHECK(ledger.entries() == 0);
  CHECK(ledger.epoch() == 8);
  PeerLedger small(2500, 100);
  for (auto& c : chunks) {
    small.record(c.fp, 1000);
  }
  CHECK(small.bytes() <= 2500);
  CHECK(small.entries() == 2);
}
