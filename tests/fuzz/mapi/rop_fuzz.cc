// Fuzz target: ROP request and response buffers (MS-OXCROPS 2.2.1). The first byte's low bit
// picks the direction; bit 1 gives the response decoder columns / property tags for handle
// indexes 0-3 (so PropertyRows are parsed, not kept opaque). A buffer that decodes must
// re-encode byte-identically; ROP count and handle table stay within the caps.
#include <cstdint>
#include <cstdlib>

#include "mapi/rop/rop_buffer.h"

using namespace bh;
using namespace bh::mapi::rop;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  ByteSpan buf(data + 1, size - 1);
  RopLimits limits;
  if ((data[0] & 1) == 0) {
    RopRequestBuffer b;
    ParseResult r = decodeRequestBuffer(buf, b, limits);
    if (b.rops.size() > limits.maxRops || b.serverObjectHandleTable.size() > limits.maxHandles) {
      std::abort();
    }
    if (r.ok()) {
      if (encodeRequestBuffer(b) != Bytes(buf.begin(), buf.end())) {
        std::abort();
      }
      (void)responseContextFor(b);
    }
    return 0;
  }
  ResponseContext ctx;
  if ((data[0] & 2) != 0) {
    ctx.columns[0] = {0x0E080003, 0x0037001F, 0x0FFF0102, 0x67480014};
    ctx.columns[1] = {0x0000101F, 0x00001102, 0x0000001E, 0x00000000};
    ctx.propertyTags[2] = {0x00001003, 0x00000048, 0x0000000B, 0x000000FB};
    ctx.propertyTags[3] = {0x00001014, 0x0000101E, 0x00000002, 0x00000001};
  }
  RopResponseBuffer b;
  ParseResult r = decodeResponseBuffer(buf, b, ctx, limits);
  if (b.rops.size() > limits.maxRops || b.serverObjectHandleTable.size() > limits.maxHandles) {
    std::abort();
  }
  if (r.ok() && encodeResponseBuffer(b) != Bytes(buf.begin(), buf.end())) {
    std::abort();
  }
  return 0;
}
