#include "proxy/generic/generic_accelerator.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "proxy/codec/optimization_policy.h"
#include "proxy/generic/dre_data_codec.h"

namespace bh::proxy {

GenericAccelerator::GenericAccelerator(std::string stateDir, LogFn logInfo, LogFn logError)
    : stateDir_(std::move(stateDir)),
      logInfo_(std::move(logInfo)),
      logError_(std::move(logError)) {}

void GenericAccelerator::open(uint32_t cacheSizeMb, int zstdLevel) {
  dre::ChunkCacheConfig cc;
  cc.persistent = true;
  cc.disk.directory = stateDir_ + "/dre";
  cc.disk.capBytes = uint64_t{cacheSizeMb} << 20;
  cc.memoryBytes = std::min<size_t>(cc.disk.capBytes, 256u << 20);
  config_.zstdLevel = zstdLevel;
  setLedgerCapMb(cacheSizeMb);
  std::string why;
  cache_ = dre::ChunkCache::open(
      cc, [this](const std::string& m) { logError_("DRE cache: " + m); }, why);
  if (!cache_) {
    logError_("DRE cache unavailable (" + why + "): flows get TFO only");
    return;
  }
  logInfo_("DRE cache open in " + cc.disk.directory + " (epoch " + std::to_string(cache_->epoch()) +
           ")");
}

std::optional<uint64_t> GenericAccelerator::cacheEpoch() const {
  return cache_ ? std::optional<uint64_t>(cache_->epoch()) : std::nullopt;
}

uint8_t GenericAccelerator::localLimits() const {
  return cache_ ? codec::PolicyBits::All : codec::PolicyBits::TcpOptimize;
}

std::unique_ptr<DataCodec> GenericAccelerator::codecFor(const FlowInfo& info) {
  const uint8_t applied = info.policy.applied;
  const bool dreOn = (applied & codec::PolicyBits::Dre) != 0;
  const bool lzOn = (applied & codec::PolicyBits::Lz) != 0;
  if (!cache_ || (!dreOn && !lzOn)) {
    return nullptr;  // TFO only: the identity codec
  }
  dre::DreConfig config = config_;
  if (!lzOn) {
    config.zstdLevel = 0;
  }
  dre::PeerLedger* ledger = dreOn ? &ledgerFor(info.peerId) : &noLedger_;
  return std::make_unique<DreDataCodec>(*cache_, *ledger, config);
}

std::string GenericAccelerator::ledgerPath(const std::string& peerId) const {
  std::string name;
  for (char c : peerId) {
    name += std::isxdigit(static_cast<unsigned char>(c)) ? c : '-';
  }
  return stateDir_ + "/dre/ledger-" + name + ".bin";
}

dre::PeerLedger& GenericAccelerator::ledgerFor(const std::string& peerId) {
  auto it = ledgers_.find(peerId);
  if (it != ledgers_.end()) {
    return *it->second;
  }
  if (ledgers_.size() >= kMaxPeers) {
    ledgers_.erase(ledgers_.begin());
  }
  // What the peer holds, bounded like our own cache.
  auto ledger = std::make_unique<dre::PeerLedger>(ledgerCapBytes_, ledgerCapBytes_ / 1024);
  // A restarted sender still knows what the peer holds (the peer verifies every reference).
  std::ifstream in(ledgerPath(peerId), std::ios::binary);
  if (in) {
    Bytes saved((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (ledger->load(saved)) {
      logInfo_("DRE ledger of peer " + peerId + " restored: " + std::to_string(ledger->entries()) +
               " chunks");
    } else {
      logError_("DRE ledger of peer " + peerId + " is damaged: starting empty");
    }
  }
  return *ledgers_.emplace(peerId, std::move(ledger)).first->second;
}

void GenericAccelerator::saveLedgers() {
  for (const auto& [peer, ledger] : ledgers_) {
    Bytes out;
    ledger->save(out);
    std::string path = ledgerPath(peer), tmp = path + ".tmp";
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size()));
    f.close();
    if (!f || std::rename(tmp.c_str(), path.c_str()) != 0) {
      logError_("cannot save the DRE ledger of peer " + peer);
    }
  }
}

std::vector<GenericAccelerator::LedgerView> GenericAccelerator::ledgers() const {
  std::vector<LedgerView> v;
  v.reserve(ledgers_.size());
  for (const auto& [peer, l] : ledgers_) {
    v.push_back({peer, l->entries(), l->bytes()});
  }
  return v;
}

}  // namespace bh::proxy
