// Fuzz target `gre_redirect`: decodeGreRedirect on arbitrary GRE payloads (what a raw GRE socket
// hands over). Asserts: no read out of bounds (ASan); an accepted packet's inner IPv4 packet lies
// inside the input and re-encodes, with its redirect header, to the bytes read.
#include <cstdint>
#include <cstdlib>

#include "redirect/wccp/gre_redirect.h"

using namespace bh;
using namespace bh::redirect::wccp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);
  GreRedirect g;
  ParseResult r = decodeGreRedirect(in, g);
  if (!r.ok()) {
    return r.error.empty() ? (std::abort(), 0) : 0;
  }
  if (r.consumed > size || g.inner.data() < data || g.inner.data() + g.inner.size() > data + size ||
      g.inner.size() < 20 || (g.inner[0] >> 4) != 4) {
    std::abort();
  }
  if (g.hasRedirectHeader) {
    Bytes again = encodeGreRedirect(g.header, g.inner);
    // The flag octet is normalized (only D and A kept); everything else is as read.
    if (again.size() != r.consumed || !std::equal(again.begin() + 5, again.end(), in.begin() + 5)) {
      std::abort();
    }
  }
  return 0;
}
