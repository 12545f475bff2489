// Arbitrary bytes arriving on a core's secured peer leg (the TLS server side of
// proxy/wan_secure/secure_leg.h), cut into segments on 01 D5 CA 7A (Suricata's separator): the
// leg must end Handshaking or Failed with a named reason, never open (no forged handshake
// completes), never hand out plaintext, and never hold more than its caps.
#include <cstdlib>

#include "proxy/wan_secure/secure_leg.h"
#include "tests/fuzz/fuzz_split.h"

using namespace bh;
using namespace bh::proxy;

namespace {

secure::TlsContext& serverContext() {
  static std::unique_ptr<secure::TlsContext> ctx = [] {
    auto id = secure::PeeringIdentity::generateSelfSigned("fuzz-core", 30);
    if (!id.ok()) {
      std::abort();
    }
    auto c = secure::TlsContext::create(secure::TlsRole::Server, secure::TlsConfig{}, id.value());
    if (!c.ok()) {
      std::abort();
    }
    return std::move(c).value();
  }();
  return *ctx;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto leg = SecureLeg::create(serverContext(), "fuzz-edge", nullptr, {});
  if (!leg.ok()) {
    std::abort();
  }
  SecureLeg& l = *leg.value();
  const secure::TlsConfig& caps = serverContext().config();
  for (ByteSpan piece : bh::fuzz::splitPieces(data, size)) {
    Bytes plain;
    l.receive(piece, plain);
    l.takeCiphertext();
    if (!plain.empty() || l.open()) {
      std::abort();  // plaintext without a handshake this side completed
    }
    if (l.bufferedBytes() > caps.maxCiphertextIn + caps.maxPlaintextIn + caps.maxCiphertextOut) {
      std::abort();
    }
    if (l.phase() == SecureLeg::Phase::Failed) {
      if (l.failureText().empty()) {
        std::abort();
      }
      break;
    }
  }
  l.receiveEnd();
  if (l.phase() != SecureLeg::Phase::Failed) {
    std::abort();  // a stream that ends mid-handshake is a truncation
  }
  return 0;
}
