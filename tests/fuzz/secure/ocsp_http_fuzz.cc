// Arbitrary bytes as a responder's HTTP answer, cut into segments on 01 D5 CA 7A (Suricata's
// separator): the parser must end in one verdict, never buffer more than its caps, and the
// same bytes fed whole must give the same verdict.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "secure/ocsp_http.h"
#include "tests/fuzz/fuzz_split.h"

using namespace bh;
using namespace bh::secure;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kCap = 4096;
  OcspHttpResponseParser split(kCap);
  Bytes joined;
  ParseResult r = ParseResult::needMore(0);
  for (ByteSpan p : bh::fuzz::splitPieces(data, size)) {
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
