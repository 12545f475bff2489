// Fuzz target: extended buffers (RPC_HEADER_EXT pieces, MS-OXCRPC 2.2.2.1) with XorMagic and
// LZ77. A buffer that decodes must re-encode identically and respect the caps; every plain
// payload must survive being re-made in each form the client may ask for; and the LZ77
// decoder run directly on the input (size from its first two bytes) must never exceed that
// size.
#include <cstdint>
#include <cstdlib>

#include "mapi/emsmdb/lz77.h"
#include "mapi/emsmdb/rpc_header_ext.h"

using namespace bh;
using namespace bh::mapi::emsmdb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);
  ExtendedBufferLimits limits;
  limits.maxPieces = 16;
  limits.maxTotalPlain = 1 << 18;
  std::vector<ExtendedPiece> pieces;
  ParseResult r = decodeExtendedBuffer(in, pieces, limits);
  if (pieces.size() > limits.maxPieces) {
    std::abort();
  }
  if (r.status == ParseStatus::NeedMore && r.needed <= size) {
    std::abort();
  }
  if (r.ok()) {
    if (encodeExtendedBuffer(pieces) != Bytes(in.begin(), in.end())) {
      std::abort();
    }
    for (const ExtendedPiece& p : pieces) {
      if (p.plain.size() != p.header.sizeActual) {
        std::abort();
      }
      ExtendedPiece again;
      if (!makeExtendedPiece(p.plain, {true, true}, true, again).ok()) {
        std::abort();
      }
      std::vector<ExtendedPiece> back;
      Bytes wire = encodeExtendedBuffer({again});
      if (!decodeExtendedBuffer(wire, back).ok() || back.size() != 1 || back[0].plain != p.plain) {
        std::abort();
      }
    }
  }
  if (size >= 2) {
    size_t expected = static_cast<size_t>(data[0] | (data[1] << 8));
    Bytes out;
    ParseResult d = lz77::decompress(in.subspan(2), expected, out);
    if (out.size() > expected || (d.ok() && out.size() != expected)) {
      std::abort();
    }
    if (size <= 4096) {
      Bytes packed = lz77::compress(in);
      Bytes back;
      if (!lz77::decompress(packed, size, back).ok() || back != Bytes(in.begin(), in.end())) {
        std::abort();
      }
    }
  }
  return 0;
}
