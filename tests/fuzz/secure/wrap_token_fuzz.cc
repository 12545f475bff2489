// Arbitrary bytes as the verifier or the whole PDU of a Kerberos-protected request/response
// (secure/emapi): the wrap-token parser, the PDU layout, unwrapping with fixed keys both ways
// (AES subkeys through MIT, RC4 through OpenSSL), and a KerberosDceSession fed the input cut
// into PDUs on 01 D5 CA 7A (each piece's first byte: its direction) - bind legs and sealed PDUs
// in any order must be refused or read, never crash. Invariants: need-more asks for more than it
// got; a parsed token is exactly the verifier.
#include <cstdlib>
#include <vector>

#include "secure/emapi/dce_seal.h"
#include "secure/emapi/kerberos_dce_session.h"
#include "secure/emapi/wrap_token.h"
#include "tests/fuzz/fuzz_split.h"

using namespace bh;
using namespace bh::secure::emapi;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Krb5Crypto crypto;
  ByteSpan in(data, size);

  WrapToken tok;
  ParseResult r = parseWrapToken(in, tok);
  if ((r.status == ParseStatus::NeedMore && r.needed <= size) ||
      (r.status == ParseStatus::Done && (r.consumed != size || tok.size != size))) {
    std::abort();
  }

  PduLayout layout;
  if (locatePdu(in, layout).ok() &&
      (layout.verifierAt + layout.verifierLen != size || layout.stubAt + layout.stubLen > size)) {
    std::abort();
  }

  for (int variant = 0; variant < 4; ++variant) {
    ContextKeys keys;
    const bool rc4 = variant >= 2;
    keys.sessionKey = KeyBlock(rc4 ? 23 : 18, Bytes(rc4 ? 16 : 32, 0x44));
    keys.initiatorSubkey = KeyBlock(rc4 ? 23 : 18, Bytes(rc4 ? 16 : 32, 0x55));
    keys.acceptorSubkey = KeyBlock(rc4 ? 23 : 17, Bytes(16, 0x66));
    keys.headerSigning = variant % 2 == 0;
    for (Direction d : {Direction::FromInitiator, Direction::FromAcceptor}) {
      Bytes plain;
      Unwrapped info;
      if (unwrapPdu(crypto, keys, d, in, plain, info).ok() && plain.size() != size) {
        std::abort();
      }
    }
  }

  KerberosDceSession session(crypto, {{18, 1, Bytes(32, 0x11)}, {23, 1, Bytes(16, 0x33)}});
  for (ByteSpan piece : bh::fuzz::splitPieces(data, size)) {
    if (piece.empty()) {
      continue;
    }
    Direction d = (piece[0] & 1) != 0 ? Direction::FromAcceptor : Direction::FromInitiator;
    ByteSpan pdu = piece.subspan(1);
    if (pdu.size() > 2 && (pdu[2] == 0 || pdu[2] == 2)) {
      Bytes stub;
      Unwrapped info;
      (void)session.unwrap(d, pdu, stub, info);
    } else {
      (void)session.observeBindLeg(d, pdu);
    }
  }
  return 0;
}
