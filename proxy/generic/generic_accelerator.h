#pragma once

// The generic accelerator: what every peered flow gets whatever its application (TFO, DRE,
// LZ). Its per-flow piece is a DataCodec on the peer leg (dre_data_codec.h), not a FlowFilter:
// it works on the peer protocol's Data frames, below any application accelerator, which is why
// it is the proxy's own and does not plug in through accel::Accelerator. It owns the chunk
// cache and, per peer device, the ledger of what that peer holds (saved across restarts).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dre/chunk_cache.h"
#include "dre/dre_config.h"
#include "dre/peer_ledger.h"
#include "proxy/flow.h"
#include "proxy/flow_info.h"

namespace bh::proxy {

class GenericAccelerator {
 public:
  using LogFn = std::function<void(const std::string&)>;
  /// At most this many peers' ledgers are kept (the oldest-named goes first).
  static constexpr size_t kMaxPeers = 256;

  /// @param stateDir the box's state directory: the cache and the ledgers live in its dre/.
  GenericAccelerator(std::string stateDir, LogFn logInfo, LogFn logError);

  /// Opens the chunk cache (dre.cache_size_mb on disk, at most 256 MiB of it in memory; zstd
  /// at lz.level). Without it flows get TFO only.
  void open(uint32_t cacheSizeMb, int zstdLevel);
  /// What a peer's ledger may hold (dre.cache_size_mb): ledgers made from now on.
  void setLedgerCapMb(uint32_t cacheSizeMb) { ledgerCapBytes_ = uint64_t{cacheSizeMb} << 20; }

  bool cacheOpen() const { return cache_ != nullptr; }
  std::optional<uint64_t> cacheEpoch() const;
  /// What this box can apply (codec::PolicyBits): TFO always, DRE and LZ when the cache is open.
  uint8_t localLimits() const;
  /// The codec for a peered flow's applied policy; nullptr (the identity) for TFO only.
  std::unique_ptr<DataCodec> codecFor(const FlowInfo& info);

  /// Writes every peer's ledger (each through a temporary file renamed over the old one).
  void saveLedgers();
  /// Where the ledger of `peerId` is saved (its hex digits kept, anything else a '-').
  std::string ledgerPath(const std::string& peerId) const;
  struct LedgerView {
    std::string peerId;
    size_t chunks = 0;
    uint64_t bytes = 0;
  };
  /// The peers' ledgers, in peer-id order.
  std::vector<LedgerView> ledgers() const;

 private:
  dre::PeerLedger& ledgerFor(const std::string& peerId);

  std::string stateDir_;
  LogFn logInfo_, logError_;
  std::unique_ptr<dre::ChunkCache> cache_;
  dre::DreConfig config_;
  uint64_t ledgerCapBytes_ = 0;
  std::map<std::string, std::unique_ptr<dre::PeerLedger>> ledgers_;  ///< per peer device id
  dre::PeerLedger noLedger_{0, 0};  ///< LZ-only flows: the peer is assumed to hold nothing
};

}  // namespace bh::proxy
