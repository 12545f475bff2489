// Arbitrary bytes as a DC's answers to a sealed client association (secure/sealed_rpc): the
// first byte picks the provider's mode (bit 0 set: strict, every checksum and sequence number
// checked; clear: lenient, so reassembly is reached), the rest is the server's stream cut into
// segments on 01 D5 CA 7A. The association binds, then makes calls while it can. It must never
// crash, never hold more response stub than its cap, and never hand over more than that.
#include <cstdlib>
#include <vector>

#include "secure/sealed_rpc/sealed_association.h"
#include "tests/fuzz/fuzz_split.h"
#include "tests/unit/secure/sealed_rpc/fake_server.h"

using namespace bh;
using namespace bh::secure::sealed_rpc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  test::FakeSecurity security;
  security.lenient = (data[0] & 1) == 0;
  AssociationConfig config;
  config.interface = test::drsuapiSyntax();
  config.maxResponseStub = 4096;
  config.maxResponseFragments = 32;
  config.maxRecvFrag = 2048;
  SealedClientAssociation a(security, config);
  Bytes out;
  if (!a.bind(out)) {
    std::abort();
  }
  const Bytes stub(40, 0x33);
  Bytes buffer;
  int calls = 0;
  for (ByteSpan piece : bh::fuzz::splitPieces(data + 1, size - 1)) {
    buffer.insert(buffer.end(), piece.begin(), piece.end());
    while (!buffer.empty()) {
      ParseResult r;
      if (a.state() == SealedClientAssociation::State::BindSent) {
        Bytes auth3;
        r = a.onBindAck(buffer, auth3);
      } else if (a.state() == SealedClientAssociation::State::AwaitingResponse) {
        r = a.onResponse(buffer);
      } else {
        return 0;
      }
      if (r.status == ParseStatus::Error) {
        if (a.state() != SealedClientAssociation::State::Failed || a.error().ok()) {
          std::abort();  // an error is always named and final
        }
        return 0;
      }
      if (r.status == ParseStatus::NeedMore) {
        if (r.needed <= buffer.size() || r.needed > 65535) {
          std::abort();
        }
        break;
      }
      if (r.consumed == 0 || r.consumed > buffer.size()) {
        std::abort();
      }
      buffer.erase(buffer.begin(), buffer.begin() + static_cast<ptrdiff_t>(r.consumed));
      if (a.bufferedResponseBytes() > config.maxResponseStub) {
        std::abort();
      }
      if (a.responseComplete()) {
        if (a.takeResponse().size() > config.maxResponseStub) {
          std::abort();
        }
      }
      if (a.state() == SealedClientAssociation::State::Ready && calls < 4) {
        std::vector<Bytes> frags;
        if (!a.request(static_cast<uint16_t>(calls), stub, frags) || frags.empty()) {
          std::abort();
        }
        calls++;
      }
    }
  }
  return 0;
}
