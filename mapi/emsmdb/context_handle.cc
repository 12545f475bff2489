#include "mapi/emsmdb/context_handle.h"

#include <algorithm>

namespace bh::mapi::emsmdb {

bool ContextHandle::isNull() const {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

void ContextHandle::read(ByteReader& r) {
  r.align(4);
  ByteSpan b = r.take(bytes.size());
  if (r.ok()) {
    std::copy(b.begin(), b.end(), bytes.begin());
  }
}

void ContextHandle::write(ByteWriter& w) const {
  w.align(4);
  w.bytes(bytes);
}

}  // namespace bh::mapi::emsmdb
