#include "secure/encryption_service/replication_retrieval.h"

#include <openssl/crypto.h>

#include <cstdio>
#include <memory>

#include "mapi/dcerpc/pdu_codec.h"
#include "mapi/dcerpc/well_known.h"
#include "mapi/drsuapi/constants.h"
#include "mapi/drsuapi/crack_names.h"
#include "mapi/drsuapi/drs_bind.h"
#include "mapi/drsuapi/get_nc_changes.h"
#include "secure/encryption_service/drsuapi_endpoint.h"
#include "secure/encryption_service/kdc_clock_check.h"
#include "secure/kerberos/gss_credential.h"
#include "secure/kerberos/gss_dce_context.h"
#include "secure/replication/encrypted_payload.h"
#include "secure/replication/rid_des.h"
#include "secure/replication/supplemental_credentials.h"
#include "secure/sealed_rpc/sealed_association.h"

namespace bh::secure::encryption_service {

namespace {

namespace dce = mapi::dcerpc;
namespace drs = mapi::drsuapi;
namespace epm = mapi::epm;
namespace krb = secure::kerberos;
namespace srpc = secure::sealed_rpc;

std::string hex32(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof(b), "0x%08x", v);
  return b;
}

RetrievalFailure fromGss(krb::GssFailure f) {
  switch (f) {
    case krb::GssFailure::WrongPassword:
      return RetrievalFailure::WrongPassword;
    case krb::GssFailure::ClientUnknown:
      return RetrievalFailure::ClientUnknown;
    case krb::GssFailure::ClockSkew:
      return RetrievalFailure::ClockSkew;
    case krb::GssFailure::KdcUnreachable:
    case krb::GssFailure::RealmUnknown:
      return RetrievalFailure::KdcUnreachable;
    case krb::GssFailure::KeytabNoKey:
      return RetrievalFailure::CredentialUnreadable;
    default:
      return RetrievalFailure::ProtocolError;
  }
}

/// The product's DcSecurity: Kerberos as the identity (GSS-API, DCE style) for one SPN.
class GssDcSecurity final : public DcSecurity {
 public:
  GssDcSecurity(const krb::GssCredential& cred, std::string target)
      : gss_(cred, std::move(target)) {}
  dce::AuthType authType() const override { return gss_.authType(); }
  bool initialToken(Bytes& out) override { return gss_.initialToken(out); }
  bool acceptReply(ByteSpan reply, Bytes& out) override { return gss_.acceptReply(reply, out); }
  size_t sealedTokenSize() override { return gss_.sealedTokenSize(); }
  bool seal(ByteSpan preSign, std::span<uint8_t> data, ByteSpan postSign,
            std::span<uint8_t> token) override {
    return gss_.seal(preSign, data, postSign, token);
  }
  bool unseal(ByteSpan preSign, std::span<uint8_t> data, ByteSpan postSign,
              ByteSpan token) override {
    return gss_.unseal(preSign, data, postSign, token);
  }
  std::string lastError() const override { return gss_.lastError(); }
  std::string target() const override { return gss_.target(); }
  krb::GssStatus lastStatus() const override { return gss_.lastStatus(); }
  Bytes sessionKey() const override { return gss_.sessionKey(); }

 private:
  krb::GssDceContext gss_;
};

/// One DC's attempt: its outcome, and whether another DC may do better.
struct Attempt {
  std::optional<SpnKeys> keys;
  RetrievalError error;
  bool tryNext = false;
};

Attempt failed(RetrievalFailure kind, std::string detail, bool tryNext = false) {
  Attempt a;
  a.error = {kind, std::move(detail), std::nullopt};
  a.tryNext = tryNext;
  return a;
}

/// One sealed call: the request's fragments out, the response's in. @return nullopt when the
/// reply is in `reply`; DcUnreachable when the transport failed (the DC went silent past the
/// deadline or dropped the connection), ProtocolError when the association refused what came.
std::optional<RetrievalFailure> call(RpcTransport& t, srpc::SealedClientAssociation& a,
                                     uint16_t opnum, const Bytes& stub, Bytes& reply,
                                     std::string& why) {
  std::vector<Bytes> frags;
  if (!a.request(opnum, stub, frags)) {
    why = a.error().describe();
    return RetrievalFailure::ProtocolError;
  }
  for (const Bytes& f : frags) {
    if (!t.send(f, why)) {
      return RetrievalFailure::DcUnreachable;
    }
  }
  Bytes in;
  while (!a.responseComplete()) {
    if (!readPdu(t, in, why)) {
      return RetrievalFailure::DcUnreachable;
    }
    if (!a.onResponse(in).ok()) {
      why = a.error().describe();
      return RetrievalFailure::ProtocolError;
    }
  }
  reply = a.takeResponse();
  return std::nullopt;
}

/// The RID of an account: the last sub-authority of its objectSid (MS-DTYP 2.4.2).
std::optional<uint32_t> ridOf(ByteSpan sid) {
  if (sid.size() < 8 || sid.size() != 8 + 4 * static_cast<size_t>(sid[1]) || sid[1] == 0) {
    return std::nullopt;
  }
  ByteReader r(sid.subspan(sid.size() - 4));
  return r.u32();
}

/// The account's keys from the replicated attributes (secure/replication/README.md).
Attempt openSecrets(const drs::GetNcChangesReply& reply, ByteSpan sessionKey, SpnKeys& keys) {
  const drs::ReplEntInfList& obj = reply.objects.front();
  const drs::PrefixTable& table = reply.prefixTableSrc;
  const drs::Attr* sid = drs::findAttribute(obj.entinf, table, drs::oid::kObjectSid);
  const drs::Attr* pwd = drs::findAttribute(obj.entinf, table, drs::oid::kUnicodePwd);
  const drs::Attr* supp = drs::findAttribute(obj.entinf, table, drs::oid::kSupplementalCredentials);
  const drs::PropertyMetaDataExt* meta = drs::findMetaData(obj, table, drs::oid::kUnicodePwd);
  if (sid == nullptr || sid->values.empty() || pwd == nullptr || pwd->values.empty()) {
    return failed(RetrievalFailure::ProtocolError,
                  "the replicated account has no objectSid or unicodePwd");
  }
  auto rid = ridOf(sid->values[0]);
  if (!rid) {
    return failed(RetrievalFailure::ProtocolError, "the account's objectSid does not parse");
  }
  // MS-ADTS: msDS-KeyVersionNumber is the version of unicodePwd's metadata.
  uint32_t kvno = meta != nullptr ? meta->dwVersion : 0;
  auto encrypted = replication::openEncryptedPayload(sessionKey, pwd->values[0]);
  if (!encrypted) {
    return failed(RetrievalFailure::ProtocolError, "unicodePwd: " + encrypted.error());
  }
  auto nt = replication::decryptHashWithRid(*rid, encrypted.value());
  OPENSSL_cleanse(encrypted.value().data(), encrypted.value().size());
  if (!nt) {
    return failed(RetrievalFailure::ProtocolError, "unicodePwd: " + nt.error());
  }
  keys.keys.push_back({kEtypeRc4, kvno, Bytes(nt.value().begin(), nt.value().end())});
  OPENSSL_cleanse(nt.value().data(), nt.value().size());
  if (supp != nullptr && !supp->values.empty()) {
    auto plain = replication::openEncryptedPayload(sessionKey, supp->values[0]);
    if (!plain) {
      return failed(RetrievalFailure::ProtocolError, "supplementalCredentials: " + plain.error());
    }
    auto props = replication::parseUserProperties(plain.value());
    OPENSSL_cleanse(plain.value().data(), plain.value().size());
    if (!props) {
      return failed(RetrievalFailure::ProtocolError, "supplementalCredentials: " + props.error());
    }
    for (auto& p : props.value()) {
      if (p.name != replication::kKerberosNewerKeysProperty) {
        OPENSSL_cleanse(p.value.data(), p.value.size());
        continue;
      }
      auto kk = replication::parseKerberosNewerKeys(p.value);
      OPENSSL_cleanse(p.value.data(), p.value.size());
      if (!kk) {
        return failed(RetrievalFailure::ProtocolError, "Kerberos-Newer-Keys: " + kk.error());
      }
      // The current keys at the account's kvno, the previous password's one below: a ticket
      // made just before a password change still opens (MS-SAMR 2.2.10.5).
      for (auto [list, v] : {std::pair{&kk.value().credentials, kvno},
                             std::pair{&kk.value().oldCredentials, kvno > 0 ? kvno - 1 : 0}}) {
        for (auto& k : *list) {
          if ((k.keyType == kEtypeAes256 || k.keyType == kEtypeAes128) &&
              keys.find(k.keyType, v) == nullptr) {
            keys.keys.push_back({k.keyType, v, k.value});
          }
          OPENSSL_cleanse(k.value.data(), k.value.size());
        }
      }
    }
  }
  Attempt a;
  a.keys = std::move(keys);
  return a;
}

Attempt fromDc(const RetrievalJob& job, const DcSecurityFactory& securityFor,
               const DomainController& dc, RpcTransport& t, std::vector<std::string>& steps) {
  std::string where = dc.fqdn + " (" + dc.address + ")";
  std::string why;
  auto endpoint = lookupDrsuapiEndpoint(t, dc.address, why);
  if (!endpoint) {
    return failed(RetrievalFailure::DcUnreachable, where + ": endpoint mapper: " + why, true);
  }
  uint16_t port = endpoint->port;
  if (!t.connect(dc.address, port, why)) {
    return failed(RetrievalFailure::DcUnreachable,
                  where + ": DRSUAPI port " + std::to_string(port) + ": " + why, true);
  }
  // The DC's own host SPN: any service ticket for the DC's account opens a DRSUAPI bind (the DRS
  // SPN of MS-DRSR 2.2.4.2 would need the NTDS settings GUID first; secure/kerberos/README.md).
  std::unique_ptr<DcSecurity> security = securityFor(dc);
  DcSecurity& gss = *security;
  steps.push_back("DRS_SPN: " + gss.target());
  srpc::AssociationConfig config;
  config.interface = drs::drsuapiInterface();
  srpc::SealedClientAssociation a(gss, config);
  Bytes out;
  Bytes in;
  auto securityFailure = [&](const std::string& step) {
    if (a.error().failure == srpc::AssociationFailure::Security) {
      const krb::GssStatus st = gss.lastStatus();
      RetrievalFailure f = st.failure == krb::GssFailure::ServerUnknown
                               ? RetrievalFailure::ProtocolError
                               : fromGss(st.failure);
      return failed(f, where + ": " + step + ": " + st.describe(),
                    f == RetrievalFailure::ProtocolError);
    }
    return failed(RetrievalFailure::ProtocolError,
                  where + ": " + step + ": " + a.error().describe(), true);
  };
  if (!a.bind(out)) {
    return securityFailure("bind");
  }
  if (!t.send(out, why) || !readPdu(t, in, why)) {
    return failed(RetrievalFailure::DcUnreachable, where + ": bind: " + why, true);
  }
  Bytes auth3;
  if (!a.onBindAck(in, auth3).ok()) {
    return securityFailure("bind");
  }
  if (!t.send(auth3, why)) {
    return failed(RetrievalFailure::DcUnreachable, where + ": rpc_auth_3: " + why, true);
  }
  steps.push_back("Connected to server " + where + " port " + std::to_string(port) +
                  ", bound at packet privacy");

  drs::DrsBindRequest bindReq;
  bindReq.puuidClientDsa = dce::Uuid::parse(drs::kNtdsapiClientGuid);
  drs::DrsExtensionsInt ext;
  ext.dwFlags = drs::ext::kReplicationClient;
  bindReq.pextClient = ext.serialize();
  Bytes reply;
  if (auto f = call(t, a, drs::kOpnumDrsBind, drs::encodeDrsBindRequest(bindReq), reply, why)) {
    return failed(*f, where + ": IDL_DRSBind: " + why, true);
  }
  drs::DrsBindReply bound;
  if (!drs::decodeDrsBindReply(reply, bound).ok()) {
    return failed(RetrievalFailure::ProtocolError, where + ": IDL_DRSBind reply does not decode",
                  true);
  }
  if (bound.returnValue != 0) {
    return failed(RetrievalFailure::ProtocolError,
                  where + ": IDL_DRSBind status " + hex32(bound.returnValue), true);
  }
  steps.push_back("DRSBind Success, Status:00000000");

  // The Exchange SPN to the account's GUID (MS-DRSR 4.1.4).
  drs::CrackNamesRequest crack;
  crack.hDrs = bound.phDrs;
  crack.formatOffered = drs::kDsServicePrincipalName;
  crack.formatDesired = drs::kDsUniqueIdName;
  crack.rpNames = {drs::utf16(job.spn)};
  if (auto f =
          call(t, a, drs::kOpnumDrsCrackNames, drs::encodeCrackNamesRequest(crack), reply, why)) {
    return failed(*f, where + ": IDL_DRSCrackNames: " + why);
  }
  drs::CrackNamesReply cracked;
  if (!drs::decodeCrackNamesReply(reply, cracked).ok()) {
    return failed(RetrievalFailure::ProtocolError, where + ": IDL_DRSCrackNames reply");
  }
  if (cracked.returnValue != 0 || !cracked.hasResult || cracked.items.empty() ||
      cracked.items[0].status != drs::kDsNameNoError) {
    uint32_t status = cracked.items.empty() ? 0 : cracked.items[0].status;
    return failed(RetrievalFailure::SpnUnknown, "DsCrackNames of " + job.spn + " at " + where +
                                                    ": " + drs::dsNameErrorName(status));
  }
  std::string guidText = drs::utf8(cracked.items[0].pName);
  if (guidText.size() == 38 && guidText.front() == '{' && guidText.back() == '}') {
    guidText = guidText.substr(1, 36);
  }
  auto guid = dce::Uuid::parse(guidText);
  if (!guid) {
    return failed(RetrievalFailure::ProtocolError,
                  where + ": DsCrackNames gave no GUID for " + job.spn);
  }
  steps.push_back("DsCrackNames: " + job.spn + " is account {" + guid->toString() + "}");

  // EXOP_REPL_OBJ for that one account (MS-DRSR 4.1.10.2.6, 4.1.10.5.x) with no partial
  // attribute set: the whole object, its secrets included for a caller with "Replicating
  // Directory Changes All" (what DCSync asks; Samba 4.17 refuses one without schemaInfo in the
  // prefix table: emapi-lab.md 2.2). Not EXOP_REPL_SECRETS: Samba 4.17 answers it with
  // ERROR_DS_DRA_ACCESS_DENIED / EXOP_ERR_ACCESS_DENIED to any caller that is not an RODC, even
  // one holding both rights (measured in encryption_service_ad_test's lab).
  drs::GetNcChangesRequest get;
  get.hDrs = bound.phDrs;
  get.uuidDsaObjDest = *dce::Uuid::parse(drs::kNtdsapiClientGuid);
  get.pNC = drs::DsName::of(*guid);
  get.ulFlags = drs::kDrsInitSync | drs::kDrsWritRep;
  get.cMaxObjects = 1;
  get.ulExtendedOp = drs::kExopReplObj;
  if (auto f =
          call(t, a, drs::kOpnumDrsGetNcChanges, drs::encodeGetNcChangesRequest(get), reply, why)) {
    return failed(*f, where + ": IDL_DRSGetNCChanges: " + why);
  }
  drs::GetNcChangesReply changes;
  ParseResult decoded = drs::decodeGetNcChangesReply(reply, changes);
  OPENSSL_cleanse(reply.data(), reply.size());
  if (!decoded.ok()) {
    return failed(RetrievalFailure::ProtocolError,
                  where + ": IDL_DRSGetNCChanges reply: " + decoded.error);
  }
  // Seed Problem 1: the directory refuses inside an otherwise good reply.
  if (changes.returnValue == drs::kErrorDsDraAccessDenied ||
      changes.returnValue == drs::kErrorDsDraSecretsDenied ||
      changes.ulExtendedRet == drs::kExopErrAccessDenied) {
    return failed(RetrievalFailure::PermissionDenied, "DsGetNCChanges at " + where + ": WERROR " +
                                                          hex32(changes.returnValue) + ", " +
                                                          drs::exopErrName(changes.ulExtendedRet));
  }
  if (changes.returnValue != 0 || changes.ulExtendedRet != drs::kExopErrSuccess ||
      changes.objects.empty()) {
    return failed(RetrievalFailure::ProtocolError,
                  "DsGetNCChanges at " + where + ": WERROR " + hex32(changes.returnValue) + ", " +
                      drs::exopErrName(changes.ulExtendedRet) + ", " +
                      std::to_string(changes.objects.size()) + " objects");
  }
  Bytes sessionKey = gss.sessionKey();
  if (sessionKey.empty()) {
    return failed(RetrievalFailure::ProtocolError, "no session key from the GSS context");
  }
  SpnKeys keys;
  keys.spn = job.spn;
  if (changes.objects.front().entinf.pName) {
    keys.account = changes.objects.front().entinf.pName->dnUtf8();
  }
  Attempt opened = openSecrets(changes, sessionKey, keys);
  OPENSSL_cleanse(sessionKey.data(), sessionKey.size());
  if (opened.keys) {
    steps.push_back("Replicated the secrets of " + keys.account + ": " + opened.keys->describe());
  }
  // IDL_DRSUnbind: the DC drops the handle now rather than at the connection's end.
  drs::DrsUnbindRequest unbind;
  unbind.phDrs = bound.phDrs;
  (void)call(t, a, drs::kOpnumDrsUnbind, drs::encodeDrsUnbindRequest(unbind), reply, why);
  return opened;
}

}  // namespace

RetrievalResult retrieveByReplication(const RetrievalJob& job, RpcTransport& transport,
                                      DcLocator& locator) {
  RetrievalResult out;
  out.id = job.id;
  auto fail = [&](RetrievalError e) {
    out.error = std::move(e);
    out.keys.reset();
    transport.close();
    return out;
  };
  if (job.secrets == nullptr) {
    return fail({RetrievalFailure::CredentialUnreadable, job.credentialsError, std::nullopt});
  }
  krb::GssStatus status;
  std::unique_ptr<krb::GssCredential> cred;
  std::string principal = job.identity.clientPrincipal();
  if (job.identity.kind == IdentityKind::User) {
    std::string password(job.secrets->password.begin(), job.secrets->password.end());
    cred = krb::GssCredential::withPassword(principal, password, status);
    OPENSSL_cleanse(password.data(), password.size());
  } else {
    // The keytab as read at start, while root (/etc/krb5.keytab is 0600 root): the file is not
    // opened again after the privilege drop.
    std::vector<krb::KeytabKey> keys;
    keys.reserve(job.secrets->keytab.size());
    for (const auto& k : job.secrets->keytab) {
      keys.push_back({k.principal, k.key.etype, k.key.kvno, k.key.value});
    }
    cred = krb::GssCredential::withKeytabKeys(principal, keys, status);
  }
  if (!cred) {
    RetrievalError e{fromGss(status.failure), principal + ": " + status.describe(), std::nullopt};
    if (e.kind == RetrievalFailure::ClockSkew) {
      measureRefusedSkew(job, locator, transport, out.steps, e);
    }
    return fail(e);
  }
  out.steps.push_back("Authentication success for ID: " + job.identity.name + " (" +
                      cred->principal() + ")");
  return replicateFromDcs(
      job,
      [&cred](const DomainController& dc) {
        return std::make_unique<GssDcSecurity>(*cred, "host/" + dc.fqdn);
      },
      transport, locator, std::move(out));
}

RetrievalResult replicateFromDcs(const RetrievalJob& job, const DcSecurityFactory& securityFor,
                                 RpcTransport& transport, DcLocator& locator, RetrievalResult out) {
  out.id = job.id;
  auto fail = [&](RetrievalError e) {
    out.error = std::move(e);
    out.keys.reset();
    transport.close();
    return out;
  };
  std::string why;
  auto dcs = locator.locate(job.domain, job.domainControllers, why);
  if (dcs.empty()) {
    return fail({RetrievalFailure::DcUnreachable,
                 "no domain controller of " + job.domain + " found: " + why, std::nullopt});
  }
  RetrievalError last;
  for (const auto& dc : dcs) {
    // Seed Problem 2, named with the offset before MIT's kdc_timesync can hide it (README.md).
    if (auto skew = checkKdcClock(job, dc, transport, out.steps)) {
      last = *skew;
      continue;
    }
    Attempt a = fromDc(job, securityFor, dc, transport, out.steps);
    transport.close();
    if (a.keys) {
      out.keys = std::move(a.keys);
      return out;
    }
    last = a.error;
    if (!a.tryNext) {
      break;
    }
    out.steps.push_back("Domain controller " + dc.fqdn + " failed: " + a.error.detail);
  }
  return fail(last);
}

}  // namespace bh::secure::encryption_service
