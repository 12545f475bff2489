#include "proxy/dre_data_codec.h"

#include "dre/block_format.h"

namespace bh::proxy {

namespace {

constexpr size_t kMaxResendEntries = 4096;

} // namespace

DreDataCodec::DreDataCodec(dre::ChunkCache& cache, dre::PeerLedger& ledger,
                           const dre::DreConfig& config)
    : cache_(cache), ledger_(ledger), config_(config), encoder_(cache, ledger, config),
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
  // Flush at every read: the bytes of an interactive exchange must not wait for more input.
  encoder_.encode(in, /*flush=*/true, out);
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
    if (!resendPending_) {
      resendPending_ = true;
      codec::Frame f;
      f.type = codec::FrameType::DreControl;
      f.flags = codec::DreControlKind::ResendRequest;
      dre::encodeResendRequest(r.missing, f.payload);
      toPeer.push_back(std::move(f));
    }
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
    codec::Frame f;
    f.type = codec::FrameType::DreControl;
    f.flags = codec::DreControlKind::Repair;
    if (!encoder_.answerResend(missing, f.payload)) {
      error = "peer lacks chunks we no longer hold";
      return false;
    }
    toPeer.push_back(std::move(f));
    return true;
  }
  case codec::DreControlKind::Repair: {
    auto p = decoder_.applyRepair(body);
    if (!p.ok()) {
      error = "bad DRE repair: " + p.error;
      return false;
    }
    resendPending_ = false;
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

} // namespace bh::proxy
