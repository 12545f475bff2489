#pragma once

// Opening the DCE-style AP exchange of a Kerberos bind as its acceptor would, holding the
// service's long-term keys (MS-KILE 3.4.5.1; RFC 4120 3.2): the AP-REQ's ticket decrypts with
// the service key of its etype and kvno (key usage 2) and gives the session key; the
// authenticator decrypts with the session key (usage 11) and gives the initiator's subkey and
// sequence number; an AP-REP decrypts with the session key (usage 12) and gives the acceptor's
// subkey and sequence number (or, on the third leg, the initiator's echo of them). Decoding is
// kerberos_messages.h, decryption MIT's krb5_c_decrypt (krb5_crypto.h). No clock or replay check:
// the box is a passive observer that the real acceptor already checks for.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "secure/emapi/kerberos_messages.h"
#include "secure/emapi/krb5_crypto.h"
#include "secure/encryption_service/service_key.h"

namespace bh::secure::emapi {

struct OpenedApReq {
  std::string client;  ///< "alice@EXAMPLE.COM"
  std::string server;  ///< the ticket's sname@realm
  int32_t ticketEtype = 0;
  uint32_t ticketKvno = 0;
  uint32_t apOptions = 0;
  KeyBlock sessionKey;
  std::optional<KeyBlock> initiatorSubkey;
  std::optional<uint32_t> initiatorSeq;
  /// The GSS flags of the 0x8003 checksum (RFC 4121 4.1.1.1), 0 without one.
  uint32_t gssFlags = 0;
  std::string ctime;
  int64_t cusec = 0;
};

struct OpenedApRep {
  std::optional<KeyBlock> subkey;
  std::optional<uint32_t> seq;
  std::string ctime;
  int64_t cusec = 0;
};

/// Decodes and opens an AP-REQ with one of `keys` (the service account's: the key of the
/// ticket's etype, of its kvno when the ticket names one and a key of that kvno exists).
/// @return Done(consumed), NeedMore while the AP-REQ is cut, or Error naming why (no key of the
/// ticket's etype/kvno, the ticket or the authenticator does not decrypt, malformed parts).
/// Error text names etypes and kvnos, never key or ticket bytes.
ParseResult openApReq(const Krb5Crypto& crypto, ByteSpan apReq,
                      std::span<const encryption_service::ServiceKey> keys, OpenedApReq& out);

/// Decodes and opens an AP-REP with the ticket's session key.
ParseResult openApRep(const Krb5Crypto& crypto, ByteSpan apRep, const KeyBlock& sessionKey,
                      OpenedApRep& out);

}  // namespace bh::secure::emapi
