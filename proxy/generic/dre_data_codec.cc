#include "proxy/generic/dre_data_codec.h"

#include "dre/block_format.h"

namespace bh::proxy {

namespace {

constexpr size_t kMaxResendEntries = 4096;
// A resend batch is bounded so the answer fits the receiver's repair stash (8 MiB), and each
// Repair frame so it fits the peer protocol's frame cap (1 MiB).
constexpr uint64_t kResendBatchBytes = 4u << 20;
constexpr uint64_t kRepairFrameBytes = 512u << 10;

}  // namespace

DreDataCodec::DreDataCodec(dre::ChunkCache& cache, dre::PeerLedger& ledger,
                           const dre::DreConfig& config)
    : cache_(cache),
      ledger_(ledger),
      config_(config),
      encoder_(cache, ledger, config),
      decoder_(cache, config) {}

codec::Frame DreDataCodec::epochFrame() const {
  codec::Frame f;
  f.type = codec::FrameType::DreControl;
  f.flags = codec::DreControlKind::Epoch;
  ByteWriter w(f.payload, Endian::Big);
  w.u64(cache_.epoch());
  return f;
}

void DreDataCodec::start(std::vector<codec::Frame>& toPeer) {
  // The peer's encoder must know which cache generation we hold before it references chunks.
  toPeer.push_back(epochFrame());
}

void DreDataCodec::encode(ByteSpan in, Bytes& out, uint16_t& flags) {
  // No flush per read: chunk boundaries must not depend on how the socket split the stream,
  // or the same data sent twice would not match. The flow flushes when the burst ends.
  encoder_.encode(in, /*flush=*/false, out);
  flags = codec::DataFlags::Dre;
}

void DreDataCodec::flush(Bytes& out, uint16_t& flags) {
  encoder_.encode({}, /*flush=*/true, out);
  flags = codec::DataFlags::Dre;
}

bool DreDataCodec::afterDecode(const dre::DecodeResult& r, std::vector<codec::Frame>& toPeer,
                               std::string& error) {
  if (r.staleEpoch) {
    toPeer.push_back(epochFrame());
  }
  switch (r.status) {
    case dre::DecodeStatus::Ok:
      return true;
    case dre::DecodeStatus::Missing: {
      // What was asked for and is no longer missing has arrived.
      std::unordered_set<dre::Fingerprint, dre::FingerprintHash> still;
      for (const auto& m : r.missing) {
        if (outstanding_.count(m.fp) != 0) {
          still.insert(m.fp);
        }
      }
      outstanding_.swap(still);
      if (!outstanding_.empty()) {
        return true;  // the answer to the current batch is on its way
      }
      std::vector<dre::MissingChunk> batch;
      uint64_t bytes = 0;
      for (const auto& m : r.missing) {
        if (batch.size() == kMaxResendEntries || bytes + m.length > kResendBatchBytes) {
          break;
        }
        batch.push_back(m);
        bytes += m.length;
        outstanding_.insert(m.fp);
      }
      codec::Frame f;
      f.type = codec::FrameType::DreControl;
      f.flags = codec::DreControlKind::ResendRequest;
      dre::encodeResendRequest(batch, f.payload);
      toPeer.push_back(std::move(f));
      return true;
    }
    case dre::DecodeStatus::Error:
      error = "DRE: " + r.error;
      return false;
  }
  return false;
}

bool DreDataCodec::decode(uint16_t flags, ByteSpan in, Bytes& out,
                          std::vector<codec::Frame>& toPeer, std::string& error) {
  if (flags != codec::DataFlags::Dre) {
    error = "Data frame not DRE-encoded on a DRE/LZ flow";
    return false;
  }
  return afterDecode(decoder_.decode(in, out), toPeer, error);
}

bool DreDataCodec::control(uint16_t kind, ByteSpan body, Bytes& out,
                           std::vector<codec::Frame>& toPeer, std::string& error) {
  switch (kind) {
    case codec::DreControlKind::Epoch: {
      ByteReader r(body, Endian::Big);
      uint64_t epoch = r.u64();
      if (!r.ok() || r.remaining() != 0) {
        error = "bad DRE epoch";
        return false;
      }
      ledger_.syncEpoch(epoch);
      return true;
    }
    case codec::DreControlKind::ResendRequest: {
      std::vector<dre::MissingChunk> missing;
      auto p = dre::parseResendRequest(body, kMaxResendEntries, config_.chunker.maxSize, missing);
      if (!p.ok() || p.consumed != body.size()) {
        error = "bad DRE resend request";
        return false;
      }
      // Answered in frames of bounded size, each a whole set of repair blocks.
      size_t begin = 0;
      while (begin < missing.size()) {
        size_t end = begin;
        uint64_t bytes = 0;
        while (end < missing.size() &&
               (end == begin || bytes + missing[end].length <= kRepairFrameBytes)) {
          bytes += missing[end].length;
          ++end;
        }
        codec::Frame f;
        f.type = codec::FrameType::DreControl;
        f.flags = codec::DreControlKind::Repair;
        std::span<const dre::MissingChunk> group(missing.data() + begin, end - begin);
        if (!encoder_.answerResend(group, f.payload)) {
          error = "peer lacks chunks we no longer hold";
          return false;
        }
        toPeer.push_back(std::move(f));
        begin = end;
      }
      return true;
    }
    case codec::DreControlKind::Repair: {
      auto p = decoder_.applyRepair(body);
      if (!p.ok()) {
        error = "bad DRE repair: " + p.error;
        return false;
      }
      return afterDecode(decoder_.decode({}, out), toPeer, error);
    }
    default:
      error = "unknown DRE control";
      return false;
  }
}

size_t DreDataCodec::bufferedBytes() const {
  return encoder_.bufferedBytes() + decoder_.bufferedBytes() + decoder_.repairStashBytes();
}

}  // namespace bh::proxy
