#pragma once

// Cuts one direction of a DCE/RPC stream into whole PDUs by their common header (C706 12.6.3.1,
// frag_length), keeping at most one incomplete PDU (65535 bytes, frag_length's range). For the
// protection layer (protected_mapi_filter.h), which must see each PDU whole to open or seal it
// before the halves read it.

#include <vector>

#include "common/bytes.h"
#include "common/parse_result.h"

namespace bh::mapi::mapi_ao {

class PduSplitter {
 public:
  /// Appends the whole PDUs `data` completes to `pdus`; an incomplete one is kept.
  /// @return Done, or Error (a header that does not frame; sticky — the bytes not framed are in
  ///         takeRest()).
  ParseResult feed(ByteSpan data, std::vector<Bytes>& pdus);
  /// The incomplete PDU (or, after an error, everything from the header that did not frame).
  Bytes takeRest();
  size_t bufferedBytes() const { return buffer_.size(); }
  bool failed() const { return failed_; }

 private:
  Bytes buffer_;
  bool failed_ = false;
};

}  // namespace bh::mapi::mapi_ao
