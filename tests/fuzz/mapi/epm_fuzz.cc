// Fuzz target: ept_map request and response stub codecs. The first byte picks request or
// response (bit 0) and the NDR byte order (bit 1); the rest is the stub. Whatever decodes must
// encode and decode back to itself.
#include <cstdint>
#include <cstdlib>

#include "mapi/epm/ept_map.h"

using namespace bh;
using namespace bh::mapi::epm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const bool response = (data[0] & 1) != 0;
  const Endian endian = (data[0] & 2) != 0 ? Endian::Big : Endian::Little;
  ByteSpan stub(data + 1, size - 1);
  if (response) {
    EptMapResponse r;
    if (decodeEptMapResponse(stub, endian, r).ok()) {
      auto wire = encodeEptMapResponse(r, endian);
      EptMapResponse back;
      if (!wire || !decodeEptMapResponse(*wire, endian, back).ok() || !(back == r)) {
        std::abort();
      }
      (void)mappedEndpoint(r);
    }
  } else {
    EptMapRequest q;
    if (decodeEptMapRequest(stub, endian, q).ok()) {
      auto wire = encodeEptMapRequest(q, endian);
      EptMapRequest back;
      if (!wire || !decodeEptMapRequest(*wire, endian, back).ok() || !(back == q)) {
        std::abort();
      }
    }
  }
  return 0;
}
