#pragma once

// Turns a failed ByteReader into need-more or error: a stub whose reads ran off its end is
// incomplete (need-more); one that failed a check inside its bytes is malformed (error).

#include "common/bytes.h"
#include "common/parse_result.h"

namespace bh::mapi::emsmdb {

inline ParseResult stubResult(const ByteReader& r, bool bad, size_t size, const char* what) {
  if (bad) {
    return ParseResult::fail(what);
  }
  if (!r.ok()) {
    return ParseResult::needMore(size + 1);  // at least one more byte; the exact total is unknown
  }
  return ParseResult::done(r.offset());
}

}  // namespace bh::mapi::emsmdb
