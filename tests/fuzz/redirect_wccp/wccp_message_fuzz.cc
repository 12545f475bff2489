// Fuzz target `wccp_message`: decodeMessage on arbitrary datagrams (anyone on the LAN can send
// to UDP 2048). Asserts: no read out of bounds (ASan), no allocation a count did not pay for (the
// caps); an accepted message re-encodes to exactly the bytes read (the codec writes what it
// reads); an MD5 check on it neither crashes nor accepts a digest it did not compute.
#include <cstdint>
#include <cstdlib>

#include "redirect/wccp/wccp_message.h"
#include "redirect/wccp/wccp_security.h"

using namespace bh;
using namespace bh::redirect::wccp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);
  Message m;
  ParseResult r = decodeMessage(in, m);
  if (!r.ok()) {
    if (r.error.empty()) {
      std::abort();
    }
    return 0;
  }
  if (r.consumed != size || encodeMessage(m) != Bytes(in.begin(), in.end())) {
    std::abort();
  }
  const auto password = *Md5Password::make("bh61pw");
  Bytes signed_(in.begin(), in.end());
  if (signMessage(signed_, password) && verifyMessage(signed_, password) != SecurityVerdict::Ok) {
    std::abort();
  }
  return 0;
}
