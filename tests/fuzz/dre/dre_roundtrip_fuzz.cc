// Encoder -> decoder must reproduce every byte. Input: one control byte, then data split into
// pieces on 01 D5 CA 7A (each piece is one encode() call; control bit i%8 says flush). The data
// is sent twice over the same caches, the second time mostly as references into a receiver cache
// small enough to evict, so the Missing -> resend -> applyRepair path runs too.
#include <cstdlib>
#include <memory>

#include "dre/chunk_cache.h"
#include "dre/dre_decoder.h"
#include "dre/dre_encoder.h"
#include "dre/peer_ledger.h"
#include "tests/fuzz/fuzz_split.h"

using namespace bh;
using namespace bh::dre;

namespace {

ChunkCachePtr makeCache(size_t bytes) {
  ChunkCacheConfig cc;
  cc.memoryBytes = bytes;
  std::string error;
  ChunkCachePtr c = ChunkCache::open(cc, nullptr, error);
  if (c == nullptr) {
    std::abort();
  }
  return c;
}

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) {
    return 0;
  }
  static const DreConfig config = [] {
    DreConfig c;
    c.chunker = ChunkerConfig{64, 256, 1024};
    c.blockTargetBytes = 2048;
    c.maxBlockBytes = 8192;
    c.minCachedChunkBytes = 16;
    c.zstdLevel = 1;
    return c;
  }();
  const uint8_t control = data[0];
  auto pieces = fuzz::splitPieces(data + 1, size - 1);
  Bytes original;
  for (ByteSpan p : pieces) {
    original.insert(original.end(), p.begin(), p.end());
  }
  ChunkCachePtr sender = makeCache(1 << 22);
  ChunkCachePtr receiver = makeCache((control & 0x80) ? 2048 : (1 << 22));
  PeerLedger ledger(1 << 22, 1 << 16);
  ledger.syncEpoch(receiver->epoch());
  for (int round = 0; round < 2; ++round) {
    DreEncoder enc(*sender, ledger, config);
    DreDecoder dec(*receiver, config);
    Bytes wire;
    for (size_t i = 0; i < pieces.size(); ++i) {
      enc.encode(pieces[i], (control >> (i % 7)) & 1, wire);
    }
    enc.encode({}, true, wire);
    check(enc.bufferedBytes() == 0);
    Bytes out;
    // Feed the wire in slices whose size comes from the control byte.
    const size_t slice = 1 + (control & 0x3F) * 13;
    for (size_t off = 0; off < wire.size() || off == 0; off += slice) {
      ByteSpan part = off < wire.size()
                          ? ByteSpan(wire).subspan(off, std::min(slice, wire.size() - off))
                          : ByteSpan();
      DecodeResult r = dec.decode(part, out);
      for (int tries = 0; r.status == DecodeStatus::Missing; ++tries) {
        check(tries < 64);
        Bytes answer;
        check(enc.answerResend(r.missing, answer));
        check(dec.applyRepair(answer).ok());
        r = dec.decode({}, out);
      }
      check(r.status == DecodeStatus::Ok);
      if (wire.empty()) {
        break;
      }
    }
    check(out == original);
    check(dec.bufferedBytes() == 0);
  }
  return 0;
}
