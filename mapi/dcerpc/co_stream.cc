#include "mapi/dcerpc/co_stream.h"

#include <algorithm>

namespace bh::mapi::dcerpc {

CoStream::CoStream(Sender sender, StreamLimits limits, SecurityProvider* security)
    : sender_(sender),
      limits_(limits),
      security_(security != nullptr ? *security : IdentitySecurityProvider::instance()) {}

FrameLimits CoStream::frameLimits() const {
  FrameLimits f;
  f.maxFragLength = limits_.maxPduBytes;
  if (negotiatedMaxFrag_ != 0) {
    f.maxFragLength = std::min<size_t>(f.maxFragLength, negotiatedMaxFrag_);
  }
  return f;
}

ParseResult CoStream::fail(StreamError kind, std::string why) {
  errorKind_ = kind;
  error_ = std::move(why);
  return ParseResult::fail(error_);
}

ParseResult CoStream::feed(ByteSpan data) {
  if (framingFailed_ || failed()) {
    return ParseResult::fail(framingFailed_ ? framingError_ : error_);
  }
  const size_t total = data.size();
  auto failFraming = [&](std::string why, ByteSpan rest) {
    // Kept for takeUnframed(): a hand-off relays them as they came.
    framingFailed_ = true;
    framingError_ = std::move(why);
    unframed_.insert(unframed_.end(), rest.begin(), rest.end());
    return ParseResult::fail(framingError_);
  };
  auto failFull = [&](ByteSpan rest) {
    // Kept as well, past the cap: they are in memory already, and a hand-off relays them.
    unframed_.insert(unframed_.end(), rest.begin(), rest.end());
    return fail(StreamError::BufferFull, "stream buffer above its cap");
  };
  auto fits = [&](size_t more) {
    return unframed_.size() + more + queuedBytes_ + callBytes_ <= limits_.maxBufferedBytes;
  };
  while (!data.empty()) {
    if (!unframed_.empty()) {
      // Complete the PDU already started, taking only the bytes it still needs (its header
      // first, checked as soon as it is whole), so at most one PDU is ever copied here.
      size_t want = kHeaderSize;
      Header h;
      if (unframed_.size() >= kHeaderSize) {
        (void)frameHeader(unframed_, frameLimits(), h);  // checked when its header completed
        want = h.fragLength;
      }
      size_t take = std::min(want - unframed_.size(), data.size());
      if (!fits(take)) {
        return failFull(data);
      }
      unframed_.insert(unframed_.end(), data.begin(), data.begin() + static_cast<ptrdiff_t>(take));
      data = data.subspan(take);
      if (unframed_.size() < kHeaderSize) {
        continue;
      }
      ParseResult framed = frameHeader(unframed_, frameLimits(), h);
      if (framed.status != ParseStatus::Done) {
        return failFraming(framed.error, data);
      }
      if (unframed_.size() == h.fragLength) {
        queuedBytes_ += unframed_.size();
        queue_.push_back(std::move(unframed_));
        unframed_ = Bytes();  // an idle stream keeps no capacity
      }
      continue;
    }
    // Whole PDUs straight from the caller's bytes.
    Header h;
    ParseResult framed = frameHeader(data, frameLimits(), h);
    if (framed.status == ParseStatus::Error) {
      return failFraming(framed.error, data);
    }
    if (framed.status == ParseStatus::NeedMore || data.size() < h.fragLength) {
      if (!fits(data.size())) {
        return failFull(data);
      }
      unframed_.assign(data.begin(), data.end());  // < one PDU, its header (if whole) valid
      break;
    }
    if (!fits(h.fragLength)) {
      return failFull(data);
    }
    queue_.emplace_back(data.begin(), data.begin() + h.fragLength);
    queuedBytes_ += h.fragLength;
    data = data.subspan(h.fragLength);
  }
  return ParseResult::done(total);
}

ParseResult CoStream::next(StreamPdu& out) {
  if (errorKind_ != StreamError::None) {
    return ParseResult::fail(error_);
  }
  if (queue_.empty()) {
    if (framingFailed_) {
      return fail(StreamError::Framing, framingError_);
    }
    return ParseResult::needMore(kHeaderSize);
  }
  out = StreamPdu{};
  ParseResult r = decodePdu(queue_.front(), out.pdu, frameLimits());
  if (!r.ok()) {
    return fail(StreamError::Decode,
                r.status == ParseStatus::NeedMore ? "PDU shorter than its frag_length" : r.error);
  }
  r = security_.unwrap(out.pdu, queue_.front());
  if (!r.ok()) {
    return fail(StreamError::Security, r.error);
  }
  r = reassemble(out, queue_.front(), arrivals_);
  if (!r.ok()) {
    return r;
  }
  ++arrivals_;
  queuedBytes_ -= queue_.front().size();
  out.raw = std::move(queue_.front());
  queue_.pop_front();
  return ParseResult::done(out.raw.size());
}

ParseResult CoStream::reassemble(StreamPdu& out, const Bytes& raw, uint64_t arrival) {
  const Pdu& pdu = out.pdu;
  const uint32_t callId = pdu.header.callId;
  if (!limits_.reassemble) {
    return ParseResult::done(raw.size());
  }
  if (pdu.ptype() != callType()) {
    // Between a call's fragments only that call's fragments belong (C706 12.6.3.5); anything
    // else (co_cancel, orphaned, a fault) ends the reading of every call in progress.
    std::vector<InProgress*> cut;
    for (auto& [id, p] : calls_) {
      abandoned_.insert(id);
      cut.push_back(&p);
    }
    std::sort(cut.begin(), cut.end(), [](const InProgress* a, const InProgress* b) {
      return a->order.front() < b->order.front();
    });
    for (InProgress* p : cut) {
      out.abandoned.push_back(std::move(p->call));
    }
    calls_.clear();
    callBytes_ = 0;
    callWireBytes_ = 0;
    return ParseResult::done(raw.size());
  }
  const bool first = pdu.header.has(pfc::FirstFrag);
  const bool last = pdu.header.has(pfc::LastFrag);
  if (!first && abandoned_.count(callId) != 0) {
    out.unread = true;
    if (last) {
      abandoned_.erase(callId);
    }
    return ParseResult::done(raw.size());
  }
  abandoned_.clear();
  const Bytes& stub = pdu.ptype() == PType::Request ? pdu.request()->stub : pdu.response()->stub;
  auto it = calls_.find(callId);
  if (first) {
    if (it != calls_.end()) {
      return fail(StreamError::DuplicateFirst,
                  "FIRST_FRAG for a call_id already being reassembled");
    }
    if (calls_.size() >= limits_.maxCallsInProgress) {
      return fail(StreamError::TooManyCalls, "too many calls being reassembled");
    }
    if (raw.size() > limits_.maxCallBytes) {
      return fail(StreamError::CallTooLarge, "call above the reassembly cap");
    }
    Call c;
    if (last) {
      addFragment(c, pdu, raw);
      out.call = std::move(c);
      return ParseResult::done(raw.size());
    }
    if (stub.size() + queuedBytes_ + callBytes_ + unframed_.size() > limits_.maxBufferedBytes) {
      return fail(StreamError::BufferFull, "stream buffer above its cap");
    }
    callBytes_ += raw.size() + stub.size();
    callWireBytes_ += raw.size();
    addFragment(c, pdu, raw);
    calls_.emplace(callId, InProgress{std::move(c), {arrival}});
    out.inCall = true;
    return ParseResult::done(raw.size());
  }
  if (it == calls_.end()) {
    return fail(StreamError::FragmentWithoutFirst, "fragment without FIRST_FRAG for its call_id");
  }
  InProgress& p = it->second;
  if (raw.size() > limits_.maxCallBytes - std::min(limits_.maxCallBytes, p.call.wireBytes())) {
    return fail(StreamError::CallTooLarge, "call above the reassembly cap");
  }
  if (!last &&
      stub.size() + queuedBytes_ + callBytes_ + unframed_.size() > limits_.maxBufferedBytes) {
    return fail(StreamError::BufferFull, "stream buffer above its cap");
  }
  const size_t size = raw.size();
  addFragment(p.call, pdu, raw);
  p.order.push_back(arrival);
  callBytes_ += size + stub.size();
  callWireBytes_ += size;
  if (last) {
    callBytes_ -= p.call.wireBytes() + p.call.stub.size();
    callWireBytes_ -= p.call.wireBytes();
    out.call = std::move(p.call);
    calls_.erase(it);
    return ParseResult::done(size);
  }
  out.inCall = true;
  return ParseResult::done(size);
}

std::vector<Bytes> CoStream::takeUnreadPdus() {
  std::vector<std::pair<uint64_t, Bytes>> held;
  for (auto& [id, p] : calls_) {
    for (size_t i = 0; i < p.call.fragments.size(); ++i) {
      held.emplace_back(p.order[i], std::move(p.call.fragments[i]));
    }
  }
  std::sort(held.begin(), held.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Bytes> out;
  out.reserve(held.size() + queue_.size());
  for (auto& [n, f] : held) {
    out.push_back(std::move(f));
  }
  for (auto& q : queue_) {
    out.push_back(std::move(q));
  }
  calls_.clear();
  callBytes_ = 0;
  callWireBytes_ = 0;
  queue_.clear();
  queuedBytes_ = 0;
  return out;
}

Bytes CoStream::takeUnframed() {
  Bytes out = std::move(unframed_);
  unframed_ = Bytes();
  return out;
}

}  // namespace bh::mapi::dcerpc
