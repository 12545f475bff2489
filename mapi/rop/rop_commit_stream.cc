#include "mapi/rop/rop_commit_stream.h"

namespace bh::mapi::rop {

bool decode(ByteReader& r, RopCommitStreamRequest& x) {
  readRequestHeader(r, x);
  return r.ok();
}

void encode(ByteWriter& w, const RopCommitStreamRequest& x) {
  writeRequestHeader(w, x);
}

bool decode(ByteReader& r, RopCommitStreamResponse& x, const ResponseContext&) {
  readResponseHeader(r, x);
  return r.ok();
}

void encode(ByteWriter& w, const RopCommitStreamResponse& x) {
  writeResponseHeader(w, x);
}

}  // namespace bh::mapi::rop
