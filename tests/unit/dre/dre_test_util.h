#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "common/bytes.h"
#include "dre/chunk_cache.h"
#include "dre/dre_decoder.h"
#include "dre/dre_encoder.h"
#include "dre/peer_ledger.h"

namespace bh::dre::test {

inline Bytes randomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes b(n);
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng();
    for (size_t k = 0; k < 8 && i + k < n; ++k) {
      b[i + k] = static_cast<uint8_t>(v >> (8 * k));
    }
  }
  return b;
}

/// Text-like bytes: words from a small vocabulary, so LZ has something to do.
inline Bytes textBytes(size_t n, uint64_t seed) {
  static const char* kWords[] = {"mailbox ",    "exchange ", "folder ",    "the ",
                                 "attachment ", "subject: ", "quarterly ", "report ",
                                 "\r\n",        "meeting ",  "from: ",     "branch ",
                                 "office ",     "invoice ",  "0x1f3a ",    "data "};
  std::mt19937_64 rng(seed);
  Bytes b;
  b.reserve(n + 16);
  while (b.size() < n) {
    const char* w = kWords[rng() % 16];
    b.insert(b.end(), w, w + std::strlen(w));
  }
  b.resize(n);
  return b;
}

/// A fresh scratch directory under the system temp directory, removed on destruction.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag) {
    path = std::filesystem::temp_directory_path() /
           ("bh-dre-" + tag + "-" + std::to_string(std::random_device{}()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

inline ChunkCachePtr memoryCache(size_t bytes = 64u << 20) {
  ChunkCacheConfig c;
  c.memoryBytes = bytes;
  std::string error;
  return ChunkCache::open(c, nullptr, error);
}

/// Sender and receiver of one direction, each with its own cache, epochs synchronized.
struct Link {
  DreConfig config;
  ChunkCachePtr senderCache;
  ChunkCachePtr receiverCache;
  std::unique_ptr<PeerLedger> ledger;
  std::unique_ptr<DreEncoder> encoder;
  std::unique_ptr<DreDecoder> decoder;

  explicit Link(DreConfig cfg = {}, ChunkCachePtr receiver = nullptr) : config(cfg) {
    senderCache = memoryCache();
    receiverCache = receiver ? std::move(receiver) : memoryCache();
    ledger = std::make_unique<PeerLedger>(1ull << 30, 1u << 20);
    ledger->syncEpoch(receiverCache->epoch());
    newFlow();
  }
  /// A new flow over the same caches and ledger (what a second connection sees).
  void newFlow() {
    encoder = std::make_unique<DreEncoder>(*senderCache, *ledger, config);
    decoder = std::make_unique<DreDecoder>(*receiverCache, config);
  }
  /// Encodes `data` in one call with flush and returns the wire bytes.
  Bytes send(ByteSpan data) {
    Bytes wire;
    encoder->encode(data, true, wire);
    return wire;
  }
};

}  // namespace bh::dre::test
