#include "sim/fast_transfer.h"

#include <algorithm>
#include <cstring>

#include "sim/rops.h"

namespace bh::sim {

size_t FxStream::read(uint64_t offset, std::span<uint8_t> out) const {
  size_t done = 0;
  auto it = std::upper_bound(segments_.begin(), segments_.end(), offset,
                             [](uint64_t o, const Segment& s) { return o < s.start; });
  if (it == segments_.begin()) {
    return 0;
  }
  --it;
  while (done < out.size() && it != segments_.end()) {
    uint64_t pos = offset + done;
    size_t within = static_cast<size_t>(pos - it->start);
    if (within >= it->length()) {
      ++it;
      continue;
    }
    size_t n = std::min(it->length() - within, out.size() - done);
    std::memcpy(out.data() + done, it->bytes() + within, n);
    done += n;
  }
  return done;
}

uint32_t FxStream::stepAt(uint64_t offset) const {
  auto it = std::upper_bound(stepStarts_.begin(), stepStarts_.end(), offset);
  return static_cast<uint32_t>(it - stepStarts_.begin());
}

void FxStream::literal(Bytes b) {
  if (b.empty()) {
    return;
  }
  if (!segments_.empty() && !segments_.back().data) {
    auto& own = segments_.back().own;
    own.insert(own.end(), b.begin(), b.end());
  } else {
    segments_.push_back({size_, std::move(b), nullptr});
  }
  size_ = segments_.back().start + segments_.back().length();
}

void FxStream::shared(std::shared_ptr<const Bytes> b) {
  if (!b || b->empty()) {
    return;
  }
  segments_.push_back({size_, {}, std::move(b)});
  size_ += segments_.back().length();
}

namespace {

void tag(ByteWriter& w, uint32_t t) {
  w.u32(t);
}
void u32Prop(ByteWriter& w, uint32_t t, uint32_t v) {
  w.u32(t);
  w.u32(v);
}
void u64Prop(ByteWriter& w, uint32_t t, uint64_t v) {
  w.u32(t);
  w.u64(v);
}
void boolProp(ByteWriter& w, uint32_t t, bool v) {
  w.u32(t);
  w.u16(v ? 1 : 0);  // PtypBoolean is 2 bytes in a FastTransfer stream (MS-OXCFXICS 2.2.4.1.3)
}
void binProp(ByteWriter& w, uint32_t t, ByteSpan b) {
  w.u32(t);
  w.u32(static_cast<uint32_t>(b.size()));
  w.bytes(b);
}
void str8Prop(ByteWriter& w, uint32_t t, const std::string& s) {
  w.u32(t);
  w.u32(static_cast<uint32_t>(s.size() + 1));
  w.bytes(ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  w.u8(0);
}

Bytes xid(uint64_t id) {
  // SourceKey / ChangeKey: a 16-byte replica GUID + 6-byte GlobalCounter (MS-OXCFXICS 2.2.2.2).
  Bytes b = {0x5a, 0x1b, 0x57, 0x1d, 0x00, 0x00, 0x40, 0x00,
             0xb0, 0xd1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
  for (int i = 5; i >= 0; --i) {
    b.push_back(static_cast<uint8_t>(id >> (16 + 8 * i)));
  }
  return b;
}

/// A contents download carries a normal message only when the client set Normal, an FAI
/// message only when it set FAI (MS-OXCFXICS 3.2.5.3).
bool inDownload(const Message& m, uint16_t synchronizationFlags) {
  return (synchronizationFlags &
          (m.associated ? kSynchronizationFlagFai : kSynchronizationFlagNormal)) != 0;
}

}  // namespace

std::shared_ptr<FxStream> buildContentsSync(Mailbox& mailbox, uint64_t fid,
                                            uint16_t synchronizationFlags) {
  auto fx = std::make_shared<FxStream>();
  const Folder* f = mailbox.folder(fid);
  if (f != nullptr) {
    for (uint64_t mid : f->messages) {
      Message* m = mailbox.message(mid);
      if (m == nullptr || !inDownload(*m, synchronizationFlags)) {
        continue;
      }
      fx->beginStep();
      Bytes b;
      ByteWriter w(b);
      tag(w, kIncrSyncChg);
      Bytes key = xid(mid);
      binProp(w, 0x65e00102, key);                          // PidTagSourceKey
      u64Prop(w, 0x30080040, 0x01dd000000000000ULL + mid);  // PidTagLastModificationTime
      binProp(w, 0x65e20102, key);                          // PidTagChangeKey
      Bytes pcl;                                            // PidTagPredecessorChangeList
      pcl.push_back(static_cast<uint8_t>(key.size()));
      pcl.insert(pcl.end(), key.begin(), key.end());
      binProp(w, 0x65e30102, pcl);
      boolProp(w, 0x67aa000b, m->associated);  // PidTagAssociated
      u64Prop(w, rops::kPidTagMid, mid);
      u32Prop(w, rops::kPidTagMessageSize, m->size());
      tag(w, kIncrSyncMessage);
      str8Prop(w, rops::kPidTagSubject, m->subject);
      str8Prop(w, rops::kPidTagBody, m->body);
      for (const auto& a : m->attachments) {
        tag(w, kNewAttach);
        u32Prop(w, rops::kPidTagAttachNumber, a.number);
        str8Prop(w, rops::kPidTagAttachLongFilename, a.fileName);
        u32Prop(w, rops::kPidTagAttachSize, static_cast<uint32_t>(a.data ? a.data->size() : 0));
        w.u32(rops::kPidTagAttachDataBinary);
        w.u32(static_cast<uint32_t>(a.data ? a.data->size() : 0));
        fx->literal(std::move(b));
        b.clear();
        fx->shared(a.data);
        tag(w, kEndAttach);
      }
      fx->literal(std::move(b));
    }
  }
  Bytes tail;
  ByteWriter w(tail);
  tag(w, kIncrSyncStateBegin);
  binProp(w, kMetaTagCnsetSeen, Bytes{});
  tag(w, kIncrSyncStateEnd);
  tag(w, kIncrSyncEnd);
  fx->literal(std::move(tail));
  return fx;
}

}  // namespace bh::sim
