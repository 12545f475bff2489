// Arbitrary bytes as a responder's HTTP answer, cut into segments on 01 D5 CA 7A (Suricata's
// separator): the parser must end in one verdict, never buffer more than its caps, and the
// same bytes fed whole must give the same verdict.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "secure/ocsp_http.h"

using namespace bh;
using namespace bh::secure;

namespace {

std::vector<ByteSpan> splitPieces(const uint8_t* data, size_t size) {
  static constexpr uint8_t kSep[4] = {0x01, 0xD5, 0xCA, 0x7A};
  std::vector<ByteSpan> pieces;
  size_t start = 0;
  for (size_t i = 0; i + 4 <= size;) {
    if (std::memcmp(data + i, kSep, 4) == 0) {
      pieces.emplace_back(data + start, i - start);
      i += 4;
      start = i;
    } else {
      ++i;
    }
  }
  pieces.emplace_back(data + start, size - start);
  return pieces;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kCap = 4096;
  OcspHttpResponseParser split(kCap);
  Bytes joined;
  ParseResult r = ParseResult::needMore(0);
  for (ByteSpan p : splitPieces(data, size)) {
    joined.insert(joined.end(), p.begin(), p.end());
    r = split.feed(p);
    if (r.status == ParseStatus::Error) {
      break;
    }
    if (split.body().size() > kCap) {
      std::abort();
    }
  }
  ParseResult end = split.finish();
  OcspHttpResponseParser whole(kCap);
  whole.feed(joined);
  ParseResult wholeEnd = whole.finish();
  if ((end.status == ParseStatus::Done) != (wholeEnd.status == ParseStatus::Done)) {
    std::abort();
  }
  if (end.status == ParseStatus::Done && split.body() != whole.body()) {
    std::abort();
  }
  return 0;
}
