#pragma once

// The MAPI AO's ProtectionProvider (mapi/dcerpc/protected_association.h) for Kerberos: the
// core opens a client's bind with the service account's keys (the encryption service, reached
// through ServiceKeySource, which proxy/ implements over EncryptionService::keyFor), the edge
// continues from the context the core exported (exported_context.h). What cannot be opened is
// named (issue 18 Deliver 3) in words an engineer acts on: NTLM, an auth type or level this layer
// does not open, an unsupported enctype, no key yet (the key source's reason), a ticket no key
// opens.
//
// The bind is read twice: once in the clear part of its AP-REQ (the ticket's sname, realm,
// etype and kvno, RFC 4120 5.3; no key needed) to ask for the right keys, then opened by the
// association with them.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mapi/dcerpc/protected_association.h"
#include "secure/emapi/krb5_crypto.h"
#include "secure/encryption_service/service_key.h"

namespace bh::secure::emapi {

/// What a key source answers for one ticket.
struct ServiceKeyAnswer {
  /// The account's keys (any etype and kvno; the session picks the ticket's). Secret.
  std::vector<encryption_service::ServiceKey> keys;
  /// Why there are none ("no key for exchangeMDB/exch1.example.com yet: retrieval in progress").
  std::string whyNot;
};

/// Where the core gets service keys (proxy/ over the encryption service).
class ServiceKeySource {
 public:
  virtual ~ServiceKeySource() = default;
  /// The keys of `spn` ("exchangeMDB/exch1.example.com", the ticket's sname joined by '/', no
  /// realm) for a ticket of `ticketKvno` (0 when the ticket names none): the source may note a
  /// kvno newer than its keys and refresh them.
  virtual ServiceKeyAnswer keysFor(const std::string& spn, uint32_t ticketKvno) = 0;
};

/// The ticket of a Kerberos bind, read without a key.
struct BindTicket {
  uint8_t authType = 0;
  uint8_t authLevel = 0;
  std::string spn;    ///< sname components joined by '/'
  std::string realm;  ///< the ticket's realm
  int32_t etype = 0;  ///< the ticket's enc-part etype (the service key's)
  uint32_t kvno = 0;  ///< 0 when the ticket names none
};

/// Reads a client's bind PDU up to its ticket's clear part.
/// @return Done, or Error naming why it cannot be opened here ("NTLM is not supported", ...).
ParseResult readBindTicket(ByteSpan bindPdu, BindTicket& out);

class KerberosProtectionProvider final : public mapi::dcerpc::ProtectionProvider {
 public:
  /// Both must outlive the provider and the associations it makes.
  KerberosProtectionProvider(const Krb5Crypto& crypto, ServiceKeySource& keys)
      : crypto_(crypto), keys_(keys) {}

  std::unique_ptr<mapi::dcerpc::ProtectedAssociation> openBind(ByteSpan bindPdu,
                                                               std::string& whyNot) override;
  std::unique_ptr<mapi::dcerpc::ProtectedAssociation> importContext(ByteSpan context,
                                                                    std::string& whyNot) override;

 private:
  const Krb5Crypto& crypto_;
  ServiceKeySource& keys_;
};

}  // namespace bh::secure::emapi
