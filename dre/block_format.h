#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "dre/fingerprint.h"

namespace bh::dre {

/// Wire format of a DRE stream: self-delimiting blocks, each
///
///   u8  magic 0xB7
///   u8  flags       bit0 Zstd (payload is one zstd frame), bit1 Repair (resent chunks only)
///   u32 payloadBytes  bytes that follow the header
///   u32 rawBytes      length of the instruction stream (after zstd); 1..maxBlockBytes
///   u64 epoch         the receiver's cache epoch the sender's ledger was built against
///   u32 rawCrc        crc32c of the instruction stream
///   payload
///
/// (all little-endian) and the instruction stream is a sequence of
///
///   0x01 ChunkLiteral  varint length, bytes     receiver stores the chunk under its own hash
///   0x02 RawLiteral    varint length, bytes     receiver outputs it, does not store it
///   0x03 Reference     16-byte fingerprint, varint length   receiver outputs its cached chunk
///
/// with lengths in 1..chunker maxSize.
inline constexpr uint8_t kBlockMagic = 0xB7;
inline constexpr size_t kBlockHeaderBytes = 22;
inline constexpr uint8_t kBlockFlagZstd = 0x01;
inline constexpr uint8_t kBlockFlagRepair = 0x02;

enum class Op : uint8_t { ChunkLiteral = 1, RawLiteral = 2, Reference = 3 };

struct BlockHeader {
  uint8_t flags = 0;
  uint32_t payloadBytes = 0;
  uint32_t rawBytes = 0;
  uint64_t epoch = 0;
  uint32_t rawCrc = 0;
};

/// Writes the 22 header bytes at `dst`.
void writeBlockHeader(uint8_t* dst, const BlockHeader& h);

/// Frames the block at the start of `in`, validating before waiting for the payload.
/// @return Done(consumed = whole block) with `h` filled, NeedMore(total bytes of the block or
/// of the header), or Error for a bad magic, unknown flag or a length beyond the caps.
ParseResult parseBlockHeader(ByteSpan in, size_t maxBlockBytes, BlockHeader& h);

/// LEB128, at most 5 bytes for a u32.
void appendVarint(Bytes& out, uint32_t v);
/// @return false (and reader failed) on truncation or a value above 32 bits.
bool readVarint(ByteReader& r, uint32_t& v);

/// What an instruction stream decodes to, measured before anything is copied: the decoder checks
/// the totals against its caps and sizes its output once (a block of references decodes to
/// megabytes from a few kilobytes of instructions).
struct InstructionTotals {
  uint64_t referenceBytes = 0;  ///< sum of Reference lengths
  uint64_t literalBytes = 0;    ///< sum of ChunkLiteral and RawLiteral lengths
};
/// @return false on an unknown op, a length of 0 or above maxChunkBytes, or a truncation.
bool measureInstructions(ByteSpan instructions, uint32_t maxChunkBytes, InstructionTotals& totals);

/// A chunk the receiver could not resolve; the sender answers with its bytes or resets.
struct MissingChunk {
  Fingerprint fp;
  uint32_t length = 0;
  bool operator==(const MissingChunk&) const = default;
};

/// Resend request message (receiver -> sender): u8 0xB8 | u32 count | count x (fp, u32 length).
inline constexpr uint8_t kResendMagic = 0xB8;
void encodeResendRequest(std::span<const MissingChunk> missing, Bytes& out);
/// @return Done(consumed) with `missing` filled, NeedMore, or Error (bad magic, count above
/// maxEntries, zero or oversize length).
ParseResult parseResendRequest(ByteSpan in, size_t maxEntries, uint32_t maxLength,
                               std::vector<MissingChunk>& missing);

}  // namespace bh::dre
