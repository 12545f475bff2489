// Untrusted peer bytes into DreDecoder: pieces (split on 01 D5 CA 7A) are fed in order; while the
// decoder reports Missing, the next piece is offered to applyRepair() instead. Invariants: no
// crash and caps hold. If the last byte is odd, the CRC of every raw block is recomputed first
// so that mutations reach the instruction parser instead of stopping at the checksum.
#include <cstdlib>

#include "dre/chunk_cache.h"
#include "dre/crc32c.h"
#include "dre/dre_decoder.h"
#include "tests/fuzz/fuzz_split.h"

using namespace bh;
using namespace bh::dre;

namespace {

void fixRawBlockCrcs(Bytes& piece) {
  size_t pos = 0;
  while (pos + kBlockHeaderBytes <= piece.size() && piece[pos] == kBlockMagic) {
    uint32_t payload;
    std::memcpy(&payload, piece.data() + pos + 2, 4);
    if (payload > piece.size() - pos - kBlockHeaderBytes) {
      return;
    }
    if ((piece[pos + 1] & kBlockFlagZstd) == 0) {
      const uint32_t crc = crc32c(ByteSpan(piece).subspan(pos + kBlockHeaderBytes, payload));
      std::memcpy(piece.data() + pos + 18, &crc, 4);
    }
    pos += kBlockHeaderBytes + payload;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const DreConfig config = [] {
    DreConfig c;
    c.maxDecoderBacklogBytes = 1 << 21;
    c.maxRepairStashBytes = 1 << 17;
    return c;
  }();
  ChunkCacheConfig cc;
  cc.memoryBytes = 1 << 20;
  std::string error;
  ChunkCachePtr cache = ChunkCache::open(cc, nullptr, error);
  if (cache == nullptr) {
    std::abort();
  }
  DreDecoder decoder(*cache, config);
  bool repairNext = false;
  const bool fixCrcs = size > 0 && (data[size - 1] & 1) != 0;
  for (ByteSpan original : fuzz::splitPieces(data, size)) {
    Bytes copy(original.begin(), original.end());
    if (fixCrcs) {
      fixRawBlockCrcs(copy);
    }
    ByteSpan piece = copy;
    Bytes out;
    if (repairNext) {
      (void)decoder.applyRepair(piece);
      piece = {};
    }
    DecodeResult r = decoder.decode(piece, out);
    if (decoder.bufferedBytes() > config.maxDecoderBacklogBytes ||
        decoder.repairStashBytes() > config.maxRepairStashBytes) {
      std::abort();
    }
    if (r.status == DecodeStatus::Error) {
      break;
    }
    repairNext = r.status == DecodeStatus::Missing;
  }
  return 0;
}
