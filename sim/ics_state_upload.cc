#include "sim/ics_state_upload.h"

#include "sim/rops.h"

namespace bh::sim {

bool isIcsStateProperty(uint8_t synchronizationType, uint32_t tag) {
  switch (tag) {
    case rops::kMetaTagIdsetGiven:
    case rops::kMetaTagIdsetGivenBinary:
    case rops::kMetaTagCnsetSeen:
      return synchronizationType == kSynchronizationContents ||
             synchronizationType == kSynchronizationHierarchy;
    case rops::kMetaTagCnsetSeenFAI:
    case rops::kMetaTagCnsetRead:
      return synchronizationType == kSynchronizationContents;
    default:
      return false;
  }
}

IcsStateUpload::IcsStateUpload(uint8_t synchronizationType, size_t maxPropertyBytes)
    : synchronizationType_(synchronizationType), maxPropertyBytes_(maxPropertyBytes) {}

uint32_t IcsStateUpload::begin(uint32_t stateProperty, uint32_t transferBufferSize) {
  // 3.3.4.3.1: the state comes before any other ROP on the context; 3.3.5.8.2: no other
  // property upload may be in progress.
  if (downloadStarted_ || property_) {
    return rops::kGeneralFailure;
  }
  if (!isIcsStateProperty(synchronizationType_, stateProperty)) {
    return rops::kInvalidParameter;
  }
  if (transferBufferSize > maxPropertyBytes_) {
    return rops::kTooBig;
  }
  property_ = stateProperty;
  value_.clear();
  offered_ = 0;
  return rops::kSuccess;
}

uint32_t IcsStateUpload::append(ByteSpan streamData) {
  if (!property_) {
    return rops::kGeneralFailure;
  }
  offered_ += streamData.size();
  if (streamData.size() > maxPropertyBytes_ - value_.size()) {
    return rops::kTooBig;
  }
  value_.insert(value_.end(), streamData.begin(), streamData.end());
  return rops::kSuccess;
}

uint32_t IcsStateUpload::end() {
  if (!property_) {
    return rops::kGeneralFailure;
  }
  property_.reset();
  bool empty = offered_ == 0;
  value_.clear();
  offered_ = 0;
  if (!empty) {
    // The sim does not compute differential syncs: a state other than a first sync's cannot
    // be honoured, and a full stream would silently ignore it.
    refused_ = true;
    return rops::kNoSupport;
  }
  return rops::kSuccess;
}

uint32_t IcsStateUpload::startDownload() {
  if (property_) {
    return rops::kGeneralFailure;
  }
  if (refused_) {
    return rops::kNoSupport;
  }
  downloadStarted_ = true;
  return rops::kSuccess;
}

}  // namespace bh::sim
