// Arbitrary bytes as a cache segment file: opening must not crash, must log rather than fail,
// and the store must stay usable: a chunk appended afterwards reads back exactly after a reopen.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "dre/chunk_cache.h"

using namespace bh;
using namespace bh::dre;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("bh-dre-fuzz-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    std::ofstream f(dir / "00000001.seg", std::ios::binary);
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  ChunkCacheConfig cc;
  cc.memoryBytes = 0;  // every lookup reads the disk
  cc.persistent = true;
  cc.disk.directory = dir.string();
  cc.disk.capBytes = 1 << 20;
  cc.disk.segmentBytes = 1 << 16;
  cc.disk.maxChunkBytes = 4096;
  const Bytes probe(1000, 0x42);
  const Fingerprint probeFp = fingerprintOf(probe);
  for (int round = 0; round < 2; ++round) {
    std::string error;
    ChunkCachePtr cache = ChunkCache::open(
        cc, [](const std::string&) {}, error);
    if (cache == nullptr) {
      std::abort();
    }
    if (round == 0) {
      cache->insert(probeFp, probe);
    }
    Bytes out;
    if (cache->lookup(probeFp, 1000, out) != ChunkCache::Lookup::Hit || out != probe) {
      std::abort();
    }
    // Whatever the segment claims, a lookup returns exact bytes or nothing.
    for (size_t off = 0; off + 28 <= size && off < 2048; off += 4) {
      Fingerprint fp;
      std::memcpy(fp.bytes.data(), data + off + 8, Fingerprint::kBytes);
      uint32_t length;
      std::memcpy(&length, data + off + 4, 4);
      out.clear();
      if (cache->lookup(fp, length, out) == ChunkCache::Lookup::Hit && fingerprintOf(out) != fp) {
        std::abort();
      }
    }
  }
  std::filesystem::remove_all(dir);
  return 0;
}
