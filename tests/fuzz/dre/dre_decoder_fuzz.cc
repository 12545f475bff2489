// Untrusted peer bytes into DreDecoder: pieces (split on 01 D5 CA 7A) are fed in order; while the
// decoder reports Missing, the next piece is offered to applyRepair() instead. Invariants: no
// crash, caps hold, and a block never releases bytes when it does not report Ok.
#include <cstdlib>

#include "dre/chunk_cache.h"
#include "dre/dre_decoder.h"
#include "tests/fuzz/dre/fuzz_split.h"

using namespace bh;
using namespace bh::dre;

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
  for (ByteSpan piece : fuzz::splitPieces(data, size)) {
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
