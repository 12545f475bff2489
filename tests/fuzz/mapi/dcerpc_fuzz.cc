// Fuzz target: the DCE/RPC stream engine of both directions plus association tracking.
// The input is split into chunks at the separator 01 D5 CA 7A (Suricata's trick to simulate TCP
// segmentation); the low bit of a chunk's first byte picks the direction (0 client, 1 server),
// the rest of the chunk is delivered as one segment. Every decoded PDU must re-encode and decode
// back to itself.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "mapi/dcerpc/association.h"
#include "mapi/dcerpc/co_stream.h"
#include "mapi/dcerpc/pdu_codec.h"

using namespace bh;
using namespace bh::mapi::dcerpc;

namespace {

constexpr uint8_t kSeparator[4] = {0x01, 0xd5, 0xca, 0x7a};

class Sink {
 public:
  Sink(Association& association, bool fromServer)
      : association_(association), fromServer_(fromServer) {}
  void onPdu(const Pdu& pdu, ByteSpan raw) {
    if (raw.size() != pdu.header.fragLength) {
      std::abort();
    }
    auto wire = encodePdu(pdu);
    if (!wire) {
      std::abort();  // whatever decodes must encode
    }
    Pdu back;
    if (!decodePdu(*wire, back).ok() || !(back.body == pdu.body) || !(back.auth == pdu.auth) ||
        !(back.extra == pdu.extra)) {
      std::abort();
    }
    ParseResult r = fromServer_ ? association_.onServerPdu(pdu) : association_.onClientPdu(pdu);
    (void)r;
    if (fromServer_ && pdu.ptype() == PType::BindAck && association_.established()) {
      negotiated_ = association_.maxRecvFrag();
    }
  }
  void onCall(const Call& call) {
    if (call.ptype == PType::Request) {
      (void)association_.interfaceFor(call.contextId);
    }
  }
  uint16_t negotiated_ = 0;

 private:
  Association& association_;
  bool fromServer_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Association association;
  Sink client(association, false);
  Sink server(association, true);
  StreamLimits limits;
  limits.maxCallBytes = 1 << 16;  // keep the fuzzer fast; caps have their own unit tests
  limits.maxCallsInProgress = 4;
  limits.maxBufferedBytes = 1 << 18;
  CoStream fromClient(Sender::Client, limits);
  CoStream fromServer(Sender::Server, limits);
  size_t start = 0;
  while (start <= size) {
    size_t end = start;
    while (end + sizeof(kSeparator) <= size && std::memcmp(data + end, kSeparator, 4) != 0) {
      ++end;
    }
    if (end + sizeof(kSeparator) > size) {
      end = size;
    }
    if (end > start) {
      bool toServer = (data[start] & 1) != 0;
      ByteSpan chunk(data + start + 1, end - start - 1);
      CoStream& d = toServer ? fromServer : fromClient;
      Sink& sink = toServer ? server : client;
      (void)d.feed(chunk);
      StreamPdu item;
      while (d.next(item).ok()) {
        sink.onPdu(item.pdu, item.raw);
        if (item.call) {
          sink.onCall(*item.call);
        }
      }
      if (d.unframedBytes() > limits.maxPduBytes || d.bufferedBytes() > limits.maxBufferedBytes) {
        std::abort();
      }
      if (server.negotiated_ != 0) {
        fromClient.setNegotiatedMaxFrag(server.negotiated_);
      }
    }
    start = end + sizeof(kSeparator);
  }
  return 0;
}
