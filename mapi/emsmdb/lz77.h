#pragma once

// The LZ77 compression of MS-OXCRPC 3.1.4.1.1.2 (LZ77 with the DIRECT2 encoding; the same bit
// stream as MS-XCA 2.3/2.4 "Plain LZ77" without its 32-bit length escape). The stream is a
// sequence of 32-bit little-endian bitmasks, each followed by the 32 items it describes, read
// from the most significant bit: 0 = one literal byte, 1 = a 2-byte metadata word
// (offset - 1 in the high 13 bits, length - 3 in the low 3) whose length b'111' extends into a
// nibble shared between two matches, then a byte, then a 16-bit length.

#include <cstddef>
#include <cstdint>

#include "common/bytes.h"
#include "common/parse_result.h"

namespace bh::mapi::emsmdb::lz77 {

constexpr size_t kMaxOffset = 8192;  ///< 13 offset bits (MS-OXCRPC 3.1.4.1.1.2.2.3)
constexpr size_t kMinMatch = 3;
constexpr size_t kMaxMatch = 0xffff + 3;  ///< the 16-bit length escape holds length - 3

/// Compresses `in` (any size). Deterministic: the same input always gives the same bytes.
Bytes compress(ByteSpan in);

/// Decompresses exactly `expectedSize` bytes (RPC_HEADER_EXT.SizeActual). Never writes more than
/// `expectedSize` bytes nor reads outside `in`; a stream that would overrun, reference before
/// the start of the output, or end early is an error. Bytes after the last needed item are
/// ignored (an encoder's final bitmask carries padding bits).
ParseResult decompress(ByteSpan in, size_t expectedSize, Bytes& out);

}  // namespace bh::mapi::emsmdb::lz77
