#pragma once

// RPC_HEADER_EXT (MS-OXCRPC 2.2.2.1) and the extended buffers built from it (rgbIn, rgbOut,
// rgbAuxIn, rgbAuxOut; MS-OXCRPC 3.1.4.2.1): one or more pieces of (8-byte header + Size payload
// bytes), the final one flagged Last. A payload may be LZ77-compressed (Compressed, SizeActual is
// the plain size) and then XOR-obfuscated (XorMagic); decoding reverts XOR first, then
// decompresses.

#include <cstdint>
#include <vector>

#include "common/bytes.h"
#include "common/parse_result.h"

namespace bh::mapi::emsmdb {

constexpr uint16_t kRpcHeaderExtVersion = 0x0000;
constexpr uint16_t kRpcHeaderExtCompressed = 0x0001;
constexpr uint16_t kRpcHeaderExtXorMagic = 0x0002;
constexpr uint16_t kRpcHeaderExtLast = 0x0004;
constexpr size_t kRpcHeaderExtSize = 8;

struct RpcHeaderExt {
  uint16_t version = kRpcHeaderExtVersion;
  uint16_t flags = 0;
  uint16_t size = 0;        ///< payload bytes on the wire after this header
  uint16_t sizeActual = 0;  ///< payload bytes once decompressed
  bool compressed() const { return (flags & kRpcHeaderExtCompressed) != 0; }
  bool xorMagic() const { return (flags & kRpcHeaderExtXorMagic) != 0; }
  bool last() const { return (flags & kRpcHeaderExtLast) != 0; }
  bool operator==(const RpcHeaderExt&) const = default;
};

/// Reads the 8-byte header. NeedMore(8) when short; Error for a version other than 0, unknown
/// flag bits, or sizes that break 2.2.2.1 (uncompressed: Size == SizeActual; compressed:
/// Size < SizeActual).
ParseResult decodeRpcHeaderExt(ByteSpan in, RpcHeaderExt& out);
void encodeRpcHeaderExt(ByteWriter& w, const RpcHeaderExt& h);

/// One piece of an extended buffer: its header, the payload as it was on the wire, and the
/// plain payload (XOR reverted, decompressed).
struct ExtendedPiece {
  RpcHeaderExt header;
  Bytes wire;
  Bytes plain;
  bool operator==(const ExtendedPiece&) const = default;
};

struct ExtendedBufferLimits {
  size_t maxPieces = 96;            ///< pieces in one buffer (rgbOut is at most 256 KiB)
  size_t maxTotalPlain = 4u << 20;  ///< sum of SizeActual over the pieces
};

/// Splits and decodes a whole extended buffer (its length comes from cbIn / pcbOut).
/// NeedMore when the buffer ends inside a piece; Error on a bad header, a bad compressed stream,
/// bytes after the Last piece, or a cap exceeded.
ParseResult decodeExtendedBuffer(ByteSpan in, std::vector<ExtendedPiece>& out,
                                 const ExtendedBufferLimits& limits = {});

/// The plain payload of a whole extended buffer: every piece's, XOR reverted and
/// decompressed, joined in order (a ROP buffer may span pieces, MS-OXCRPC 3.1.4.2.1).
/// Errors as decodeExtendedBuffer.
ParseResult decodeExtendedPayload(ByteSpan in, Bytes& plain,
                                  const ExtendedBufferLimits& limits = {});

/// Writes pieces back from their headers and wire payloads (byte-identical re-encode).
Bytes encodeExtendedBuffer(const std::vector<ExtendedPiece>& pieces);

/// How the accelerator answers: in the form the client asked for (MS-OXCRPC 3.1.4.2:
/// pulFlags NoCompression / NoXorMagic).
struct ExtendedEncodeOptions {
  bool compress = false;
  bool xorMagic = false;
};

/// Builds one piece from a plain payload (at most 65535 bytes, else Error). Compression is used
/// only when it makes the payload smaller, since 2.2.2.1 requires Size < SizeActual.
ParseResult makeExtendedPiece(ByteSpan plain, const ExtendedEncodeOptions& options, bool last,
                              ExtendedPiece& out);

/// Builds a buffer with one piece per payload, Last on the final one.
ParseResult encodeExtendedPayloads(const std::vector<Bytes>& payloads,
                                   const ExtendedEncodeOptions& options, Bytes& out);

}  // namespace bh::mapi::emsmdb
