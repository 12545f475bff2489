// Arbitrary bytes as the auth_value of a Kerberos bind leg (secure/emapi): the DCE/SPNEGO framing
// (auth_type 16 and 9), the AP-REQ and AP-REP decoders, opening them with fixed service and
// session keys (MIT's krb5_c_decrypt on whatever decodes), and the decoders of the encrypted
// parts' plaintexts run on the input itself (the only way mutated bytes reach them past the
// HMAC). Invariants: need-more asks for more than it got and no more than the cap; done consumes
// at most the input.
#include <cstdlib>
#include <vector>

#include "secure/emapi/ap_exchange.h"
#include "secure/emapi/dce_auth_token.h"
#include "secure/emapi/kerberos_messages.h"

using namespace bh;
using namespace bh::secure::emapi;

namespace {

void checkFraming(const ParseResult& r, size_t size) {
  if (r.status == ParseStatus::NeedMore && (r.needed <= size || r.needed > kMaxApMessage + 8)) {
    std::abort();
  }
  if (r.status == ParseStatus::Done && (r.consumed > size || r.consumed > kMaxApMessage)) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Krb5Crypto crypto;
  static const std::vector<secure::encryption_service::ServiceKey> keys = {
      {18, 1, Bytes(32, 0x11)}, {17, 1, Bytes(16, 0x22)}, {23, 1, Bytes(16, 0x33)}};
  static const KeyBlock session(18, Bytes(32, 0x44));
  ByteSpan in(data, size);

  ApReq req;
  checkFraming(decodeApReq(in, req), size);
  ApRep rep;
  checkFraming(decodeApRep(in, rep), size);

  for (uint8_t authType : {uint8_t{16}, uint8_t{9}}) {
    DceAuthToken tok;
    if (!readDceAuthToken(authType, in, tok).ok()) {
      continue;
    }
    if (tok.message.size() > size) {
      std::abort();
    }
    if (tok.kind == KrbToken::ApReq) {
      OpenedApReq opened;
      checkFraming(openApReq(crypto, tok.message, keys, opened), tok.message.size());
    } else if (tok.kind == KrbToken::ApRep) {
      OpenedApRep opened;
      checkFraming(openApRep(crypto, tok.message, session, opened), tok.message.size());
    }
  }

  EncTicketPart ticket;
  (void)decodeEncTicketPart(in, ticket);
  Authenticator auth;
  if (decodeAuthenticator(in, auth).ok()) {
    (void)gssChecksumFlags(auth);
  }
  EncApRepPart part;
  (void)decodeEncApRepPart(in, part);
  return 0;
}
