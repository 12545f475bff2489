#include "mapi/mapi_ao/pdu_framer.h"

#include "mapi/dcerpc/pdu_codec.h"

namespace bh::mapi::mapi_ao {

ParseResult PduFramer::feed(ByteSpan data, std::vector<Bytes>& pdus) {
  if (failed_) {
    buffer_.insert(buffer_.end(), data.begin(), data.end());
    return ParseResult::fail("DCE/RPC framing already failed");
  }
  // Frame straight from the caller's bytes when nothing is buffered; only an incomplete PDU is
  // kept. The buffer's capacity goes back once it is empty, so an idle connection keeps none.
  const bool buffered = !buffer_.empty();
  if (buffered) {
    buffer_.insert(buffer_.end(), data.begin(), data.end());
  }
  const ByteSpan in = buffered ? ByteSpan(buffer_) : data;
  size_t off = 0;
  ParseResult result = ParseResult::done(data.size());
  while (off < in.size()) {
    dcerpc::Header h;
    ParseResult r = dcerpc::frameHeader(in.subspan(off), {}, h);
    if (r.status == ParseStatus::NeedMore) {
      break;
    }
    if (!r.ok()) {
      failed_ = true;
      result = r;
      break;
    }
    if (in.size() - off < r.consumed) {
      break;
    }
    pdus.emplace_back(in.begin() + static_cast<ptrdiff_t>(off),
                      in.begin() + static_cast<ptrdiff_t>(off + r.consumed));
    off += r.consumed;
  }
  if (buffered) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<ptrdiff_t>(off));
  } else {
    buffer_.assign(in.begin() + static_cast<ptrdiff_t>(off), in.end());
  }
  if (buffer_.empty()) {
    Bytes().swap(buffer_);
  }
  return result;
}

Bytes PduFramer::takeBuffered() {
  Bytes out = std::move(buffer_);
  buffer_.clear();
  return out;
}

namespace {
bool littleEndian(ByteSpan pdu) { return pdu.size() > 4 && (pdu[4] & 0x10) != 0; }
} // namespace

uint32_t pduCallId(ByteSpan pdu) {
  if (pdu.size() < dcerpc::kHeaderSize) {
    return 0;
  }
  ByteReader r(pdu.subspan(12, 4), littleEndian(pdu) ? Endian::Little : Endian::Big);
  return r.u32();
}

void setPduCallId(Bytes& pdu, uint32_t callId) {
  if (pdu.size() < dcerpc::kHeaderSize) {
    return;
  }
  bool le = littleEndian(pdu);
  for (int i = 0; i < 4; ++i) {
    int shift = le ? 8 * i : 8 * (3 - i);
    pdu[12 + static_cast<size_t>(i)] = static_cast<uint8_t>(callId >> shift);
  }
}

dcerpc::PType pduType(ByteSpan pdu) {
  return static_cast<dcerpc::PType>(pdu.size() > 2 ? pdu[2] : 0);
}

uint8_t pduFlags(ByteSpan pdu) { return pdu.size() > 3 ? pdu[3] : 0; }

} // namespace bh::mapi::mapi_ao

namespace bh::mapi::mapi_ao {
bool joinStubs(const std::vector<Bytes>& fragments, Bytes& stub) {
  for (const auto& f : fragments) {
    dcerpc::Pdu pdu;
    if (!dcerpc::decodePdu(f, pdu).ok()) {
      return false;
    }
    if (const auto* req = pdu.request()) {
      stub.insert(stub.end(), req->stub.begin(), req->stub.end());
    } else if (const auto* resp = pdu.response()) {
      stub.insert(stub.end(), resp->stub.begin(), resp->stub.end());
    } else {
      return false;
    }
  }
  return true;
}
} // namespace bh::mapi::mapi_ao
