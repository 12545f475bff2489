// Arbitrary bytes as a secure-store file: framing and opening must refuse them (a fuzzer
// cannot forge the GCM tag), never crash, never read outside the input.
#include <cstdlib>

#include "secure/sealed_file.h"

using namespace bh;
using namespace bh::secure;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const StoreKey key(Bytes(StoreKey::kSize, 0x42));
  ByteSpan in(data, size);
  SealedFileView v;
  ParseResult r = parseSealedFile(in, v);
  if (r.ok() && v.header.size() + v.ciphertext.size() + v.tag.size() != size) {
    std::abort();
  }
  auto opened = openEntry(key, "peering-key", in);
  if (opened.ok()) {
    // Only a file sealed with this key and name opens: re-sealing must round-trip.
    auto again = sealEntry(key, "peering-key", opened.value());
    if (!again.ok() || !openEntry(key, "peering-key", again.value()).ok()) {
      std::abort();
    }
  }
  return 0;
}
