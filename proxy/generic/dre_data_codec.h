#pragma once

#include <memory>
#include <unordered_set>

#include "dre/chunk_cache.h"
#include "dre/dre_decoder.h"
#include "dre/dre_encoder.h"
#include "dre/peer_ledger.h"
#include "proxy/flow.h"

namespace bh::proxy {

/// The generic accelerator's codec on a peered flow: DRE (chunk references into the two
/// peers' caches) and/or LZ (zstd) over the peer protocol's Data frames. A chunk the receiver
/// lacks is asked for again (DreControl ResendRequest / Repair); if the sender no longer has
/// it, the flow is reset. No byte is ever delivered that was not verified against its hash.
class DreDataCodec : public DataCodec {
 public:
  /// @param ledger what the peer holds (shared by every flow to that peer); an LZ-only flow
  ///        passes a ledger that holds nothing, so every chunk travels as a literal.
  DreDataCodec(dre::ChunkCache& cache, dre::PeerLedger& ledger, const dre::DreConfig& config);

  void start(std::vector<codec::Frame>& toPeer) override;
  void encode(ByteSpan in, Bytes& out, uint16_t& flags) override;
  void flush(Bytes& out, uint16_t& flags) override;
  bool holdsInput() const override { return encoder_.bufferedBytes() != 0; }
  bool decode(uint16_t flags, ByteSpan in, Bytes& out, std::vector<codec::Frame>& toPeer,
              std::string& error) override;
  bool control(uint16_t kind, ByteSpan body, Bytes& out, std::vector<codec::Frame>& toPeer,
               std::string& error) override;
  size_t bufferedBytes() const override;
  bool decodePending() const override { return decoder_.bufferedBytes() != 0; }

 private:
  bool afterDecode(const dre::DecodeResult& r, std::vector<codec::Frame>& toPeer,
                   std::string& error);
  codec::Frame epochFrame() const;

  dre::ChunkCache& cache_;
  dre::PeerLedger& ledger_;
  dre::DreConfig config_;
  dre::DreEncoder encoder_;
  dre::DreDecoder decoder_;
  /// Chunks asked for and not yet received; the next batch is asked for once it is empty.
  std::unordered_set<dre::Fingerprint, dre::FingerprintHash> outstanding_;
};

}  // namespace bh::proxy
