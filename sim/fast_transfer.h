#pragma once

// The FastTransfer stream of an ICS contents download (MS-OXCFXICS 2.2.4.3.3 contentsSync):
// per message IncrSyncChg, messageChangeHeader, IncrSyncMessage, the message's properties and
// attachments (NewAttach ... EndAttach), then the state (IncrSyncStateBegin .. End) and
// IncrSyncEnd. Property values are serialized as MS-OXCFXICS 2.2.4.1.3 says: fixed-size
// values inline, variable-size ones as a 32-bit length and the bytes.
//
// The stream refers to attachment data instead of copying it, so a 60 MiB folder costs no
// extra memory; reads are random access.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/bytes.h"
#include "sim/mailbox.h"

namespace bh::sim {

inline constexpr uint32_t kIncrSyncChg = 0x40120003;
inline constexpr uint32_t kIncrSyncMessage = 0x40150003;
inline constexpr uint32_t kIncrSyncEnd = 0x14b90003;
inline constexpr uint32_t kIncrSyncStateBegin = 0x403a0003;
inline constexpr uint32_t kIncrSyncStateEnd = 0x403b0003;
inline constexpr uint32_t kNewAttach = 0x40000003;
inline constexpr uint32_t kEndAttach = 0x400e0003;
inline constexpr uint32_t kMetaTagCnsetSeen = 0x67960102;

/// SynchronizationFlags of RopSynchronizationConfigure (MS-OXCFXICS 2.2.3.2.1.1.1) that choose
/// the messages of a contents download: FAI messages, normal messages (3.2.5.3).
inline constexpr uint16_t kSynchronizationFlagFai = 0x0010;
inline constexpr uint16_t kSynchronizationFlagNormal = 0x0020;

class FxStream {
 public:
  uint64_t size() const { return size_; }
  /// Copies up to out.size() bytes from `offset`. @return bytes copied.
  size_t read(uint64_t offset, std::span<uint8_t> out) const;
  /// Messages the stream carries (TotalStepCount of GetBuffer).
  uint32_t steps() const { return steps_; }
  /// The message index the byte at `offset` belongs to (InProgressCount).
  uint32_t stepAt(uint64_t offset) const;

  void literal(Bytes b);
  void shared(std::shared_ptr<const Bytes> b);
  void beginStep() {
    stepStarts_.push_back(size_);
    ++steps_;
  }

 private:
  struct Segment {
    uint64_t start = 0;
    Bytes own;
    std::shared_ptr<const Bytes> data;
    size_t length() const { return data ? data->size() : own.size(); }
    const uint8_t* bytes() const { return data ? data->data() : own.data(); }
  };
  std::vector<Segment> segments_;
  std::vector<uint64_t> stepStarts_;
  uint64_t size_ = 0;
  uint32_t steps_ = 0;
};

/// The contents download of folder `fid` (the caller holds the mailbox mutex): its normal
/// messages if `synchronizationFlags` has Normal, its FAI messages if it has FAI. Empty stream
/// with just the state and IncrSyncEnd if the folder is unknown or has none of those.
std::shared_ptr<FxStream> buildContentsSync(Mailbox& mailbox, uint64_t fid,
                                            uint16_t synchronizationFlags);

}  // namespace bh::sim
