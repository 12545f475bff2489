// Arbitrary bytes as a ClientHello's pre_shared_key extension: the parser ends in a verdict,
// every identity it returns lies inside the input, and on an error it returns none.
#include <cstdlib>

#include "secure/psk_offer.h"

using namespace bh;
using namespace bh::secure;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);
  std::vector<ByteSpan> ids;
  ParseResult r = parseOfferedPskIdentities(in, ids);
  if (!r.ok() && !ids.empty()) {
    std::abort();
  }
  for (ByteSpan id : ids) {
    if (id.empty() || id.data() < data || id.data() + id.size() > data + size) {
      std::abort();
    }
  }
  return 0;
}
