// Arbitrary bytes as the key cache record a restarted core reads back from its secure store
// (secure/encryption_service/key_cache_record.h): a damaged or foreign record must be refused
// with a reason, never crash or over-read, and whatever decodes must encode to the same bytes.
#include <cstdlib>

#include "secure/encryption_service/key_cache_record.h"

using namespace bh;
using namespace bh::secure::encryption_service;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  KeyCacheLimits limits;
  limits.maxSpns = 8;
  auto r = decodeKeyCacheRecord(ByteSpan(data, size), limits);
  if (!r.ok()) {
    return 0;
  }
  KeyCache cache(limits);
  bool unique = true;
  for (auto& e : r.value()) {
    if (cache.find(e.spn) != nullptr) {
      unique = false;  // two entries for one SPN: the cache keeps one, the bytes differ
    }
    if (!cache.put(e)) {
      std::abort();  // the decoder let through what the cache refuses
    }
  }
  if (unique) {
    // Entries come back in canonical SPN order; a record in another order re-encodes sorted.
    auto again = decodeKeyCacheRecord(encodeKeyCacheRecord(cache), limits);
    if (!again.ok() || again.value().size() != r.value().size()) {
      std::abort();
    }
  }
  return 0;
}
