// Fuzz target: the DCE/RPC stream engine (mapi/dcerpc/co_stream.h) on its own. The first byte
// picks the sender (bit 0) and small caps (bit 1) so the cap paths are reached; the rest is split
// into TCP segments at the separator 01 D5 CA 7A (Suricata's trick). Checked on every input:
//   - nothing is lost: the raw bytes handed out, then the PDUs framed and not taken, then the
//     unframed tail are exactly the bytes fed;
//   - every cap holds (the aggregate one after every step);
//   - a whole call's fragments re-join to its stub's fragments and its raw bytes are the ones
//     handed out.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "mapi/dcerpc/co_stream.h"

using namespace bh;
using namespace bh::mapi::dcerpc;

namespace {

constexpr uint8_t kSeparator[4] = {0x01, 0xd5, 0xca, 0x7a};

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const Sender sender = (data[0] & 1) != 0 ? Sender::Server : Sender::Client;
  StreamLimits limits;
  if ((data[0] & 2) != 0) {
    limits = StreamLimits{512, 1024, 2, 2048};
  } else {
    limits.maxCallBytes = 1 << 16;  // keep the fuzzer fast; caps have their own unit tests
    limits.maxBufferedBytes = 1 << 18;
  }
  CoStream stream(sender, limits);
  Bytes fed;
  Bytes handedOut;
  size_t start = 1;
  while (start <= size) {
    size_t end = start;
    while (end + sizeof(kSeparator) <= size && std::memcmp(data + end, kSeparator, 4) != 0) {
      ++end;
    }
    if (end + sizeof(kSeparator) > size) {
      end = size;
    }
    ByteSpan chunk(data + start, end - start);
    ParseResult r = stream.feed(chunk);
    (void)r;
    fed.insert(fed.end(), chunk.begin(), chunk.end());  // kept, even past an error
    check(stream.bufferedBytes() <= limits.maxBufferedBytes || stream.failed());
    check(stream.unframedBytes() <= limits.maxPduBytes || stream.failed());
    StreamPdu item;
    while (stream.next(item).ok()) {
      check(item.raw.size() == item.pdu.header.fragLength);
      check(item.raw.size() <= limits.maxPduBytes);
      handedOut.insert(handedOut.end(), item.raw.begin(), item.raw.end());
      if (item.call) {
        check(item.call->wireBytes() <= limits.maxCallBytes);
        check(item.call->fragments.back() == item.raw);
      }
      check(stream.callsInProgress() <= limits.maxCallsInProgress);
      check(stream.bufferedBytes() <= limits.maxBufferedBytes);
    }
    if (stream.failed()) {
      break;
    }
    start = end + sizeof(kSeparator);
  }
  // Nothing lost: the fragments of calls still in progress were handed out already (and come
  // first in takeUnreadPdus); the PDUs after them were not.
  const size_t queued = stream.queuedBytes();
  std::vector<Bytes> unread = stream.takeUnreadPdus();
  Bytes tail;
  for (const Bytes& p : unread) {
    tail.insert(tail.end(), p.begin(), p.end());
  }
  check(tail.size() >= queued);
  handedOut.insert(handedOut.end(), tail.end() - static_cast<ptrdiff_t>(queued), tail.end());
  Bytes rest = stream.takeUnframed();
  handedOut.insert(handedOut.end(), rest.begin(), rest.end());
  check(handedOut == fed);
  return 0;
}
