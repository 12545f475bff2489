// Arbitrary bytes as a client's request fragments to the server's half of packet privacy
// (secure/sealed_rpc/sealed_server_pdu.h), as exchange-sim feeds them after framing: the first
// byte picks the fake provider's mode (bit 0 set: strict, checksums and sequence checked;
// clear: lenient, so the plain fragment is always built) and header signing (bit 1); the rest is
// cut into fragments on 01 D5 CA 7A. Each is either refused with a named reason or becomes a
// plain request that decodes, carries no verifier, keeps the call's header fields and is no
// longer than what came in; a response sealed for it fits its stub plus the overhead.
#include <cstdlib>

#include "mapi/dcerpc/pdu_codec.h"
#include "secure/sealed_rpc/sealed_server_pdu.h"
#include "tests/fuzz/fuzz_split.h"
#include "tests/unit/secure/sealed_rpc/fake_server_security.h"

using namespace bh;
using namespace bh::secure::sealed_rpc;
namespace dce = bh::mapi::dcerpc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  test::FakeServerSecurity server;
  server.inner.lenient = (data[0] & 1) == 0;
  SealedServerParams params;
  params.authContextId = 1;
  params.headerSigning = (data[0] & 2) != 0;
  for (ByteSpan piece : bh::fuzz::splitPieces(data + 1, size - 1)) {
    Bytes plain;
    std::string error;
    if (!unsealRequestFragment(server, params, piece, plain, error)) {
      if (error.empty() || !plain.empty()) {
        std::abort();  // a refusal is named and hands out nothing
      }
      continue;
    }
    dce::Pdu p;
    if (!dce::decodePdu(plain, p).ok() || p.auth || p.request() == nullptr ||
        plain.size() > piece.size() || dce::callIdOf(plain) != dce::callIdOf(piece) ||
        dce::pfcFlagsOf(plain) != dce::pfcFlagsOf(piece)) {
      std::abort();
    }
    dce::Pdu r;
    r.header.ptype = dce::PType::Response;
    r.header.callId = p.header.callId;
    dce::Response body;
    body.stub = p.request()->stub;
    r.body = std::move(body);
    Bytes sealed;
    if (sealResponseFragment(server, params, std::move(r), sealed, error) &&
        sealed.size() > 24 + p.request()->stub.size() + 15 + 8 + test::FakeSecurity::kTokenSize) {
      std::abort();
    }
  }
  return 0;
}
