#include "mapi/dcerpc/pdu_decoder.h"

#include <algorithm>

namespace bh::mapi::dcerpc {
namespace {

Call startCall(const Pdu& pdu) {
  Call c;
  c.ptype = pdu.ptype();
  c.callId = pdu.header.callId;
  c.endian = pdu.header.endian();
  if (pdu.auth) {
    c.auth = pdu.auth->trailer;
  }
  if (const Request* q = pdu.request()) {
    c.contextId = q->contextId;
    c.opnum = q->opnum;
    c.object = q->object;
    c.allocHint = q->allocHint;
  } else if (const Response* p = pdu.response()) {
    c.contextId = p->contextId;
    c.allocHint = p->allocHint;
  }
  return c;
}

const Bytes& stubOf(const Pdu& pdu) {
  if (const Request* q = pdu.request()) {
    return q->stub;
  }
  return pdu.response()->stub;
}

}  // namespace

PduDecoder::PduDecoder(PduDecoderCallbacks& callbacks, DecoderLimits limits)
    : callbacks_(callbacks), limits_(limits) {}

FrameLimits PduDecoder::frameLimits() const {
  FrameLimits f;
  f.maxFragLength = limits_.maxFragLength;
  if (negotiatedMaxFrag_ != 0) {
    f.maxFragLength = std::min<size_t>(f.maxFragLength, negotiatedMaxFrag_);
  }
  return f;
}

bool PduDecoder::fail(std::string why) {
  error_ = std::move(why);
  buffer_.clear();
  pending_.clear();
  return false;
}

ParseResult PduDecoder::onData(ByteSpan data) {
  if (failed()) {
    return ParseResult::fail(error_);
  }
  const size_t total = data.size();
  // Complete a PDU already started in the buffer, taking only the bytes it still needs, so the
  // buffer never holds more than one PDU.
  while (!buffer_.empty()) {
    Header h;
    ParseResult framed = frameHeader(buffer_, frameLimits(), h);
    if (framed.status == ParseStatus::Error) {
      fail(framed.error);
      return ParseResult::fail(error_);
    }
    size_t want = framed.status == ParseStatus::NeedMore ? framed.needed : h.fragLength;
    if (buffer_.size() < want) {
      if (data.empty()) {
        return ParseResult::done(total);
      }
      size_t take = std::min(want - buffer_.size(), data.size());
      buffer_.insert(buffer_.end(), data.begin(), data.begin() + static_cast<ptrdiff_t>(take));
      data = data.subspan(take);
      continue;
    }
    Bytes frame = std::move(buffer_);
    buffer_.clear();
    if (!onFrame(frame)) {
      return ParseResult::fail(error_);
    }
  }
  // Whole PDUs straight from the caller's bytes, no copy into the buffer.
  while (!data.empty()) {
    Header h;
    ParseResult framed = frameHeader(data, frameLimits(), h);
    if (framed.status == ParseStatus::Error) {
      fail(framed.error);
      return ParseResult::fail(error_);
    }
    if (framed.status == ParseStatus::NeedMore || data.size() < h.fragLength) {
      buffer_.assign(data.begin(), data.end());  // < one PDU, and the header (if any) is valid
      break;
    }
    if (!onFrame(data.first(h.fragLength))) {
      return ParseResult::fail(error_);
    }
    data = data.subspan(h.fragLength);
  }
  return ParseResult::done(total);
}

bool PduDecoder::onFrame(ByteSpan frame) {
  Pdu pdu;
  ParseResult r = decodePdu(frame, pdu, frameLimits());
  if (!r.ok()) {
    return fail(r.status == ParseStatus::NeedMore ? "PDU shorter than its frag_length" : r.error);
  }
  callbacks_.onPdu(pdu, frame);
  return onFragment(pdu);
}

bool PduDecoder::onFragment(const Pdu& pdu) {
  const uint32_t callId = pdu.header.callId;
  switch (pdu.ptype()) {
    case PType::Request:
    case PType::Response:
      break;
    case PType::Fault:
    case PType::Orphaned:
      // A fault ends the call it answers; orphaned abandons a request mid-way (C706 12.6.4.7/.8).
      pending_.erase(callId);
      return true;
    default:
      return true;
  }
  const Bytes& stub = stubOf(pdu);
  const bool first = pdu.header.has(pfc::FirstFrag);
  const bool last = pdu.header.has(pfc::LastFrag);
  auto it = pending_.find(callId);
  if (first) {
    if (it != pending_.end()) {
      return fail("FIRST_FRAG for a call_id already being reassembled");
    }
    if (stub.size() > limits_.maxCallStubBytes) {
      return fail("call stub above the reassembly cap");
    }
    Call c = startCall(pdu);
    c.stub = stub;
    c.fragments = 1;
    if (last) {
      callbacks_.onCall(std::move(c));
      return true;
    }
    if (pending_.size() >= limits_.maxPendingCalls) {
      return fail("too many calls being reassembled");
    }
    pending_.emplace(callId, std::move(c));
    return true;
  }
  if (it == pending_.end()) {
    return fail("fragment without FIRST_FRAG for its call_id");
  }
  Call& c = it->second;
  if (c.ptype != pdu.ptype()) {
    return fail("fragment PTYPE differs from its call's first fragment");
  }
  if (stub.size() > limits_.maxCallStubBytes - c.stub.size()) {
    return fail("call stub above the reassembly cap");
  }
  c.stub.insert(c.stub.end(), stub.begin(), stub.end());
  ++c.fragments;
  if (last) {
    Call done = std::move(c);
    pending_.erase(it);
    callbacks_.onCall(std::move(done));
  }
  return true;
}

}  // namespace bh::mapi::dcerpc
