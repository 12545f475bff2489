#include "mapi/mapi_ao/pdu_splitter.h"

#include "mapi/dcerpc/pdu_codec.h"

namespace bh::mapi::mapi_ao {

ParseResult PduSplitter::feed(ByteSpan data, std::vector<Bytes>& pdus) {
  if (failed_) {
    buffer_.insert(buffer_.end(), data.begin(), data.end());
    return ParseResult::fail("PDU framing failed earlier");
  }
  buffer_.insert(buffer_.end(), data.begin(), data.end());
  size_t pos = 0;
  while (buffer_.size() - pos >= dcerpc::kHeaderSize) {
    dcerpc::Header h;
    ParseResult r = dcerpc::frameHeader(ByteSpan(buffer_).subspan(pos), {}, h);
    if (r.status == ParseStatus::Error) {
      failed_ = true;
      buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<ptrdiff_t>(pos));
      return r;
    }
    if (r.status == ParseStatus::NeedMore || buffer_.size() - pos < r.consumed) {
      break;
    }
    pdus.emplace_back(buffer_.begin() + static_cast<ptrdiff_t>(pos),
                      buffer_.begin() + static_cast<ptrdiff_t>(pos + r.consumed));
    pos += r.consumed;
  }
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<ptrdiff_t>(pos));
  return ParseResult::done(data.size());
}

Bytes PduSplitter::takeRest() {
  Bytes rest = std::move(buffer_);
  buffer_.clear();
  return rest;
}

}  // namespace bh::mapi::mapi_ao
