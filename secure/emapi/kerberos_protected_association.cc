#include "secure/emapi/kerberos_protected_association.h"

#include <openssl/rand.h>

#include "secure/emapi/exported_context.h"

namespace bh::secure::emapi {

namespace {

using mapi::dcerpc::Sender;

constexpr uint8_t kRequest = 0;
constexpr uint8_t kResponse = 2;
constexpr uint8_t kObjectUuid = 0x80;  // PFC_OBJECT_UUID (C706 12.6.3.1)
constexpr size_t kHeader = 24;
constexpr size_t kSecTrailer = 8;
/// Samba and Windows pad the stub to 16 bytes at every level and enctype (auth_pad_length up to
/// 15; secure/emapi/README.md rule 6), so what we seal looks like what they seal.
constexpr size_t kStubAlign = 16;
constexpr uint8_t kLevelPrivacy = 6;

Direction directionOf(Sender s) {
  return s == Sender::Client ? Direction::FromInitiator : Direction::FromAcceptor;
}

Endian endianOf(ByteSpan pdu) {
  return (pdu[4] & 0x10) != 0 ? Endian::Little : Endian::Big;
}

/// frag_length and auth_length (C706 12.6.3.1: offsets 8 and 10, in the PDU's data representation).
void setLengths(Bytes& pdu, size_t fragLength, size_t authLength) {
  ByteWriter w(pdu, endianOf(pdu));
  w.patch16(8, static_cast<uint16_t>(fragLength));
  w.patch16(10, static_cast<uint16_t>(authLength));
}

}  // namespace

KerberosProtectedAssociation::KerberosProtectedAssociation(
    const Krb5Crypto& crypto, std::vector<encryption_service::ServiceKey> keys)
    : session_(crypto, std::move(keys)) {}

KerberosProtectedAssociation::KerberosProtectedAssociation(const Krb5Crypto& crypto,
                                                           const KerberosDceSession::Context& ctx)
    : session_(crypto, ctx) {}

std::unique_ptr<KerberosProtectedAssociation> KerberosProtectedAssociation::importContext(
    const Krb5Crypto& crypto, ByteSpan context, std::string& whyNot) {
  KerberosDceSession::Context ctx;
  ParseResult r = decodeExportedContext(context, ctx);
  if (r.status == ParseStatus::NeedMore) {
    whyNot = "exported context cut short";
    return nullptr;
  }
  if (!r.ok()) {
    whyNot = r.error;
    return nullptr;
  }
  if (r.consumed != context.size()) {
    whyNot = "bytes after the exported context";
    return nullptr;
  }
  return std::unique_ptr<KerberosProtectedAssociation>(
      new KerberosProtectedAssociation(crypto, ctx));
}

const KeyBlock& KerberosProtectedAssociation::contextKey() const {
  const ContextKeys& k = session_.keys();
  if (k.acceptorSubkey) {
    return *k.acceptorSubkey;
  }
  return k.initiatorSubkey ? *k.initiatorSubkey : k.sessionKey;
}

std::optional<WrapKind> KerberosProtectedAssociation::tokenKind() const {
  const bool privacy = session_.authLevel() == kLevelPrivacy;
  switch (contextKey().enctype) {
    case encryption_service::kEtypeAes128:
    case encryption_service::kEtypeAes256:
      return privacy ? WrapKind::CfxWrap : WrapKind::CfxMic;
    case encryption_service::kEtypeRc4:
      return privacy ? WrapKind::ArcfourWrap : WrapKind::ArcfourMic;
    default:
      return std::nullopt;
  }
}

ParseResult KerberosProtectedAssociation::observeBindLeg(Sender from, ByteSpan pdu) {
  if (!why_.empty()) {
    return ParseResult::fail(why_);
  }
  const bool wasKeyed = session_.keyed();
  ParseResult r = session_.observeBindLeg(directionOf(from), pdu);
  if (!r.ok()) {
    why_ = r.error;
    return r;
  }
  // The bind_ack gave the context key: one this layer cannot seal with is named now, before
  // anything is unwrapped (issue 18 Deliver 3: "unknown enctype").
  if (!wasKeyed && session_.keyed() && !tokenKind()) {
    why_ = "the context's enctype is not supported (" +
           encryption_service::etypeName(contextKey().enctype) + ")";
    return ParseResult::fail(why_);
  }
  return r;
}

ParseResult KerberosProtectedAssociation::unwrap(Sender from, ByteSpan pdu, Bytes& plain) {
  if (!why_.empty()) {
    return ParseResult::fail(why_);
  }
  Bytes stub;
  Unwrapped info;
  ParseResult r = session_.unwrap(directionOf(from), pdu, stub, info);
  if (!r.ok()) {
    return r;  // refused: nothing changed (kerberos_dce_session.h)
  }
  PduLayout l;
  (void)locatePdu(pdu, l);  // the session located it already
  plain.assign(pdu.begin(), pdu.begin() + static_cast<ptrdiff_t>(l.stubAt));
  plain.insert(plain.end(), stub.begin(), stub.end());
  setLengths(plain, plain.size(), 0);
  return ParseResult::done(pdu.size());
}

bool KerberosProtectedAssociation::seal(Sender from, ByteSpan plain, Bytes& pdu) {
  const std::optional<WrapKind> kind = tokenKind();
  if (!why_.empty() || !session_.established() || !kind || plain.size() < kHeader) {
    return false;
  }
  const uint8_t ptype = plain[2];
  if (ptype != (from == Sender::Client ? kRequest : kResponse)) {
    return false;
  }
  ByteReader r(plain.subspan(8, 4), endianOf(plain));
  const size_t fragLength = r.u16();
  const size_t authLength = r.u16();
  const size_t stubAt = ptype == kRequest && (plain[3] & kObjectUuid) != 0 ? kHeader + 16 : kHeader;
  if (fragLength != plain.size() || authLength != 0 || plain.size() < stubAt) {
    return false;
  }
  const size_t stubLen = plain.size() - stubAt;
  const size_t pad = (kStubAlign - stubLen % kStubAlign) % kStubAlign;
  const size_t verifierLen = tokenSize(*kind);
  const size_t total = plain.size() + pad + kSecTrailer + verifierLen;
  if (total > UINT16_MAX) {
    return false;  // the caller fragments to the negotiated max_xmit_frag first
  }
  pdu.clear();
  pdu.reserve(total);
  pdu.insert(pdu.end(), plain.begin(), plain.end());
  ByteWriter w(pdu, endianOf(plain));
  w.zeros(pad);
  // sec_trailer (MS-RPCE 2.2.2.11): the bind's auth_type, level and context id.
  w.u8(session_.authType());
  w.u8(session_.authLevel());
  w.u8(static_cast<uint8_t>(pad));
  w.u8(0);
  w.u32(session_.authContextId());
  w.zeros(verifierLen);
  setLengths(pdu, total, verifierLen);
  // A fresh confounder per PDU (RFC 3961 5.3, RFC 4757 7.3); a MIC has none.
  Bytes confounder;
  if (*kind == WrapKind::CfxWrap) {
    confounder.resize(cfx::kConfounderSize);
  } else if (*kind == WrapKind::ArcfourWrap) {
    confounder.resize(8);
  }
  if (!confounder.empty() &&
      RAND_bytes(confounder.data(), static_cast<int>(confounder.size())) != 1) {
    return false;
  }
  return session_.sealNext(directionOf(from), *kind, confounder, pdu);
}

uint64_t KerberosProtectedAssociation::nextReceived(Sender from) const {
  return session_.nextReceived(directionOf(from));
}

uint64_t KerberosProtectedAssociation::nextSent(Sender from) const {
  return session_.nextSent(directionOf(from));
}

Bytes KerberosProtectedAssociation::exportContext() const {
  if (!why_.empty() || !session_.keyed()) {
    return {};
  }
  return encodeExportedContext(session_.context());
}

std::string KerberosProtectedAssociation::describe() const {
  std::string d = session_.authType() == 9 ? "Kerberos (SPNEGO)" : "Kerberos";
  if (session_.keyed()) {
    d += " " + encryption_service::etypeName(contextKey().enctype);
  }
  if (session_.authLevel() == kLevelPrivacy) {
    d += " packet privacy";
  } else if (session_.authLevel() == 5) {
    d += " packet integrity";
  }
  return d;
}

}  // namespace bh::secure::emapi
