// Arbitrary bytes as a KDC's TCP stream (secure/kerberos): cut into segments on 01 D5 CA 7A, the
// framer must give the same messages as for the whole stream, never hold more than its cap, and
// every message must be read by kdcTimeFromReply without a crash.
#include <cstdlib>
#include <vector>

#include "secure/kerberos/kdc_clock.h"
#include "secure/kerberos/kdc_tcp_framing.h"
#include "tests/fuzz/fuzz_split.h"

using namespace bh;
using namespace bh::secure::kerberos;

namespace {

std::vector<Bytes> drain(KdcTcpFramer& f) {
  std::vector<Bytes> out;
  while (f.hasMessage()) {
    out.push_back(f.next());
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kCap = 8192;
  KdcTcpFramer split(kCap);
  Bytes joined;
  std::vector<Bytes> got;
  bool failed = false;
  for (ByteSpan p : bh::fuzz::splitPieces(data, size)) {
    joined.insert(joined.end(), p.begin(), p.end());
    if (split.feed(p).status == ParseStatus::Error) {
      failed = true;
      break;
    }
    if (split.bufferedBytes() > kCap + 4) {
      std::abort();
    }
    for (Bytes& m : drain(split)) {
      got.push_back(std::move(m));
    }
  }
  KdcTcpFramer whole(kCap);
  bool wholeFailed = whole.feed(joined).status == ParseStatus::Error;
  std::vector<Bytes> wholeGot = drain(whole);
  if (!failed && !wholeFailed && got != wholeGot) {
    std::abort();
  }
  for (const Bytes& m : got) {
    (void)kdcTimeFromReply(m);
  }
  return 0;
}
