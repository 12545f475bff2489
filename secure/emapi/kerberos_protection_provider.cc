#include "secure/emapi/kerberos_protection_provider.h"

#include <algorithm>
#include <array>

#include "secure/emapi/dce_auth_token.h"
#include "secure/emapi/kerberos_messages.h"
#include "secure/emapi/kerberos_protected_association.h"

namespace bh::secure::emapi {

namespace {

constexpr uint8_t kBind = 11;
constexpr uint8_t kAuthTypeSpnego = 9;
constexpr uint8_t kAuthTypeNtlm = 10;
constexpr uint8_t kAuthTypeKerberos = 16;
constexpr uint8_t kLevelIntegrity = 5;
constexpr uint8_t kLevelPrivacy = 6;
/// The NTLMSSP message signature (MS-NLMP 2.2.1), inside a SPNEGO token that negotiates NTLM.
constexpr std::array<uint8_t, 8> kNtlmSignature = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};

bool supportedEtype(int32_t e) {
  return e == encryption_service::kEtypeAes256 || e == encryption_service::kEtypeAes128 ||
         e == encryption_service::kEtypeRc4;
}

}  // namespace

ParseResult readBindTicket(ByteSpan pdu, BindTicket& out) {
  out = BindTicket{};
  if (pdu.size() < 16 || pdu[2] != kBind) {
    return ParseResult::fail("not a bind");
  }
  ByteReader r(pdu.subspan(8, 4), (pdu[4] & 0x10) != 0 ? Endian::Little : Endian::Big);
  const size_t fragLen = r.u16();
  const size_t authLen = r.u16();
  if (fragLen != pdu.size()) {
    return ParseResult::fail("bind: frag_length does not match the PDU");
  }
  if (authLen == 0) {
    return ParseResult::fail("the bind asks for no authentication");
  }
  if (fragLen < 16 + 8 + authLen) {
    return ParseResult::fail("bind: no room for its auth trailer");
  }
  const size_t trailerAt = fragLen - authLen - 8;
  out.authType = pdu[trailerAt];
  out.authLevel = pdu[trailerAt + 1];
  const ByteSpan authValue = pdu.subspan(fragLen - authLen);
  if (out.authType == kAuthTypeNtlm) {
    return ParseResult::fail("NTLM is not supported");
  }
  if (out.authType != kAuthTypeKerberos && out.authType != kAuthTypeSpnego) {
    return ParseResult::fail("auth_type " + std::to_string(out.authType) +
                             " is not supported (Kerberos 16 and SPNEGO 9 are)");
  }
  if (out.authLevel != kLevelIntegrity && out.authLevel != kLevelPrivacy) {
    return ParseResult::fail("auth_level " + std::to_string(out.authLevel) +
                             " is not supported (packet integrity 5 and privacy 6 are)");
  }
  DceAuthToken tok;
  ParseResult t = readDceAuthToken(out.authType, authValue, tok);
  if (!t.ok() || tok.kind != KrbToken::ApReq) {
    // SPNEGO that offers NTLM first carries an NTLMSSP NEGOTIATE, not an AP-REQ.
    if (out.authType == kAuthTypeSpnego &&
        std::search(authValue.begin(), authValue.end(), kNtlmSignature.begin(),
                    kNtlmSignature.end()) != authValue.end()) {
      return ParseResult::fail("NTLM is not supported");
    }
    return ParseResult::fail(t.ok() ? "the bind carries no Kerberos AP-REQ" : t.error);
  }
  ApReq req;
  ParseResult a = decodeApReq(tok.message, req);
  if (!a.ok()) {
    return ParseResult::fail(a.status == ParseStatus::NeedMore ? "AP-REQ cut short" : a.error);
  }
  out.spn = req.serverName;
  out.realm = req.ticketRealm;
  out.etype = req.ticket.etype;
  out.kvno = req.ticket.kvno.value_or(0);
  if (!supportedEtype(out.etype)) {
    return ParseResult::fail("the ticket's enctype is not supported (" +
                             encryption_service::etypeName(out.etype) + ")");
  }
  return ParseResult::done(pdu.size());
}

std::unique_ptr<mapi::dcerpc::ProtectedAssociation> KerberosProtectionProvider::openBind(
    ByteSpan bindPdu, std::string& whyNot) {
  BindTicket ticket;
  ParseResult r = readBindTicket(bindPdu, ticket);
  if (!r.ok()) {
    whyNot = r.error;
    return nullptr;
  }
  ServiceKeyAnswer answer = keys_.keysFor(ticket.spn, ticket.kvno);
  if (answer.keys.empty()) {
    whyNot = !answer.whyNot.empty() ? answer.whyNot : "no key for " + ticket.spn;
    return nullptr;
  }
  auto assoc = std::make_unique<KerberosProtectedAssociation>(crypto_, std::move(answer.keys));
  r = assoc->observeBindLeg(mapi::dcerpc::Sender::Client, bindPdu);
  if (!r.ok()) {
    whyNot = r.error;
    return nullptr;
  }
  return assoc;
}

std::unique_ptr<mapi::dcerpc::ProtectedAssociation> KerberosProtectionProvider::importContext(
    ByteSpan context, std::string& whyNot) {
  return KerberosProtectedAssociation::importContext(crypto_, context, whyNot);
}

}  // namespace bh::secure::emapi
