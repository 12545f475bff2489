#pragma once
// A domain controller behind the RpcTransport, for the replication retrieval's unit tests: the
// endpoint mapper on 135 (an unauthenticated bind and ept_map, answering the DRSUAPI port), and
// on that port a DRSUAPI server over the sealed_rpc tests' FakeServer (the acceptor's
// FakeSecurity): IDL_DRSBind, IDL_DRSCrackNames (the SPN to the account's GUID),
// IDL_DRSGetNCChanges (the account with objectSid, unicodePwd and supplementalCredentials
// encrypted as a DC does, MS-DRSR 4.1.10.6.17, under the session key FakeDcSecurity reports)
// and IDL_DRSUnbind. Every reply is built with our own codec (mapi/epm, mapi/drsuapi,
// secure/replication). Knobs make it fail one step at a time: silent (the client's receive
// then fails as the real transport does at its deadline), a truncated or garbage stub, a name
// not found, a refusal inside a good reply. It answers synchronously: what a send() asks is
// queued for the following receive()s.

#include <optional>
#include <string>
#include <vector>

#include "mapi/drsuapi/constants.h"
#include "mapi/drsuapi/crack_names.h"
#include "mapi/drsuapi/drs_bind.h"
#include "mapi/drsuapi/get_nc_changes.h"
#include "mapi/epm/ept_map.h"
#include "secure/encryption_service/dc_security.h"
#include "secure/encryption_service/drsuapi_endpoint.h"
#include "secure/encryption_service/replication_retrieval.h"
#include "secure/replication/encrypted_payload.h"
#include "secure/replication/rid_des.h"
#include "secure/replication/supplemental_credentials.h"
#include "tests/unit/secure/sealed_rpc/fake_server.h"

namespace bh::secure::encryption_service::test {

namespace dce = mapi::dcerpc;
namespace drs = mapi::drsuapi;
namespace epm = mapi::epm;
namespace srt = sealed_rpc::test;

/// The session key both ends of the fake context agree on (what GSS_C_INQ_SSPI_SESSION_KEY
/// gives in the product).
inline Bytes fakeSessionKey() {
  return Bytes{0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
               0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
}

/// The client's security for a DC: the sealed_rpc tests' FakeSecurity, no KDC.
class FakeDcSecurity final : public DcSecurity {
 public:
  FakeDcSecurity(std::string target, Bytes sessionKey)
      : target_(std::move(target)), sessionKey_(std::move(sessionKey)) {}
  dce::AuthType authType() const override { return fake_.authType(); }
  bool initialToken(Bytes& out) override { return fake_.initialToken(out); }
  bool acceptReply(ByteSpan reply, Bytes& out) override {
    if (!fake_.acceptReply(reply, out)) {
      status_ = kerberos::GssStatus::fail(kerberos::GssFailure::Other, fake_.lastError());
      return false;
    }
    return true;
  }
  size_t sealedTokenSize() override { return fake_.sealedTokenSize(); }
  bool seal(ByteSpan pre, std::span<uint8_t> data, ByteSpan post,
            std::span<uint8_t> token) override {
    return fake_.seal(pre, data, post, token);
  }
  bool unseal(ByteSpan pre, std::span<uint8_t> data, ByteSpan post, ByteSpan token) override {
    return fake_.unseal(pre, data, post, token);
  }
  std::string lastError() const override { return fake_.lastError(); }
  std::string target() const override { return target_; }
  kerberos::GssStatus lastStatus() const override { return status_; }
  Bytes sessionKey() const override { return sessionKey_; }

 private:
  srt::FakeSecurity fake_{false};
  std::string target_;
  Bytes sessionKey_;
  kerberos::GssStatus status_;
};

/// @param sessionKey what the client's context reports (the DC seals with fakeSessionKey()).
inline DcSecurityFactory fakeSecurity(Bytes sessionKey = fakeSessionKey()) {
  return [sessionKey](const DomainController& dc) {
    return std::make_unique<FakeDcSecurity>("host/" + dc.fqdn + "@EXAMPLE.COM", sessionKey);
  };
}

/// The DCs as configured, in order.
struct FakeLocator final : DcLocator {
  std::vector<DomainController> dcs;
  std::vector<DomainController> locate(const std::string&, const std::vector<std::string>&,
                                       std::string& why) override {
    if (dcs.empty()) {
      why = "no SRV record _ldap._tcp.dc._msdcs.example.com";
    }
    return dcs;
  }
};

/// Which reply a knob applies to.
enum class Step { None, EptMap, Bind, DsBind, CrackNames, GetNcChanges };

/// The account the fake directory holds: its keys, as the test expects them back.
struct FakeAccount {
  std::string guid = "6f1d3b2a-9c4e-4b7d-8e21-5a0c3f9d7e14";
  std::u16string dn = u"CN=EXCH1,CN=Computers,DC=example,DC=com";
  uint32_t rid = 1105;
  uint32_t kvno = 3;
  replication::Hash16 nt{0x31, 0xd6, 0xcf, 0xe0, 0xd1, 0x6a, 0xe9, 0x31,
                         0xb7, 0x3c, 0x59, 0xd7, 0xe0, 0xc0, 0x89, 0xc0};
  Bytes aes256 = Bytes(32, 0xa6);
  Bytes aes128 = Bytes(16, 0xa1);
  Bytes oldAes256 = Bytes(32, 0x06);
};

class FakeDc final : public RpcTransport {
 public:
  // The directory and its DRSUAPI endpoint.
  std::string address = "192.0.2.10";
  uint16_t drsPort = 49160;
  FakeAccount account;
  // Knobs.
  std::vector<std::string> refuse;  ///< addresses whose connect() fails
  Step silentAt = Step::None;       ///< that reply never comes
  Step truncateAt = Step::None;     ///< that reply's stub cut to half
  Step garbageAt = Step::None;      ///< that reply's stub replaced by 0x5a bytes
  uint32_t eptMapStatus = 0;        ///< non-zero: no tower, this status
  uint32_t crackStatus = drs::kDsNameNoError;
  uint32_t getNcReturn = 0;  ///< the call's WERROR (0x2105: no replication rights)
  uint32_t extendedRet = drs::kExopErrSuccess;
  bool sendObjects = true;  ///< false: a reply with no object (what Samba sends with 0x2105)

  // What it saw.
  std::vector<std::pair<std::string, uint16_t>> connections;
  std::vector<uint16_t> opnums;
  drs::CrackNamesRequest crackRequest;
  drs::GetNcChangesRequest getRequest;

  bool connect(const std::string& addr, uint16_t port, std::string& why) override {
    close();
    connections.emplace_back(addr, port);
    bool refused = addr != address || (port != kEndpointMapperPort && port != drsPort);
    for (const auto& r : refuse) {
      refused = refused || r == addr;
    }
    if (refused) {
      why = "cannot connect to " + addr + ":" + std::to_string(port) + ": Connection refused";
      return false;
    }
    port_ = port;
    if (port == drsPort) {
      server_.emplace();
    }
    return true;
  }
  bool send(ByteSpan bytes, std::string& why) override {
    if (port_ == 0) {
      why = "not connected";
      return false;
    }
    in_.insert(in_.end(), bytes.begin(), bytes.end());
    while (in_.size() >= dce::kHeaderSize) {
      size_t len = in_[8] | (in_[9] << 8);
      if (in_.size() < len) {
        break;
      }
      Bytes pdu(in_.begin(), in_.begin() + static_cast<ptrdiff_t>(len));
      in_.erase(in_.begin(), in_.begin() + static_cast<ptrdiff_t>(len));
      if (port_ == kEndpointMapperPort) {
        onEpm(pdu);
      } else {
        onDrs(pdu);
      }
    }
    return true;
  }
  bool receive(size_t n, Bytes& out, std::string& why) override {
    if (port_ == 0 || out_.size() < n) {
      why = "timed out (encryption_service.timeout_ms)";
      return false;
    }
    out.insert(out.end(), out_.begin(), out_.begin() + static_cast<ptrdiff_t>(n));
    out_.erase(out_.begin(), out_.begin() + static_cast<ptrdiff_t>(n));
    return true;
  }
  void close() override {
    port_ = 0;
    in_.clear();
    out_.clear();
    server_.reset();
  }

  /// The reply GetNCChanges gives for the account (before the knobs).
  drs::GetNcChangesReply changes() const {
    drs::GetNcChangesReply r;
    // "1.2.840.113556.1.4" (MS-DRSR 5.16.4: the prefix of every attribute read here).
    r.prefixTableSrc.entries.push_back({9, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x14, 0x01, 0x04}});
    r.ulExtendedRet = extendedRet;
    r.returnValue = getNcReturn;
    if (!sendObjects) {
      return r;
    }
    drs::ReplEntInfList obj;
    obj.entinf.pName = drs::DsName::of(*dce::Uuid::parse(account.guid), account.dn);
    obj.pMetaDataExt.emplace();
    const Bytes key = fakeSessionKey();
    auto attr = [&](const char* oid, Bytes value, uint32_t version) {
      drs::Attr a;
      a.attrTyp = *drs::attidFromOid(r.prefixTableSrc, oid);
      a.values.push_back(std::move(value));
      obj.entinf.attrs.push_back(std::move(a));
      drs::PropertyMetaDataExt m;
      m.dwVersion = version;
      obj.pMetaDataExt->push_back(m);
    };
    // S-1-5-21-1-2-3-RID (MS-DTYP 2.4.2).
    Bytes sid = {1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0};
    for (int i = 0; i < 4; ++i) {
      sid.push_back(static_cast<uint8_t>(account.rid >> (8 * i)));
    }
    attr(drs::oid::kObjectSid, sid, 1);
    auto des = replication::encryptHashWithRid(account.rid, account.nt);
    auto pwd = replication::sealEncryptedPayload(key, {1, 2, 3}, des.value());
    attr(drs::oid::kUnicodePwd, pwd.value(), account.kvno);
    replication::KerberosNewerKeys kk;
    kk.defaultSalt = "EXAMPLE.COMhostexch1.example.com";
    kk.defaultIterationCount = 4096;
    kk.credentials = {{18, 4096, account.aes256}, {17, 4096, account.aes128}};
    kk.oldCredentials = {{18, 4096, account.oldAes256}};
    Bytes props = replication::encodeUserProperties(
        {{replication::kKerberosNewerKeysProperty, replication::encodeKerberosNewerKeys(kk)}});
    auto supp = replication::sealEncryptedPayload(key, {4, 5, 6}, props);
    attr(drs::oid::kSupplementalCredentials, supp.value(), account.kvno);
    r.objects.push_back(std::move(obj));
    r.cNumObjects = 1;
    return r;
  }

 private:
  void queue(const Bytes& b) { out_.insert(out_.end(), b.begin(), b.end()); }
  Bytes knobbed(Step step, Bytes stub) const {
    if (truncateAt == step) {
      stub.resize(stub.size() / 2);
    }
    if (garbageAt == step) {
      stub.assign(stub.size(), 0x5a);
    }
    return stub;
  }

  void onEpm(const Bytes& bytes) {
    dce::Pdu pdu;
    if (!dce::decodePdu(bytes, pdu).ok()) {
      return;
    }
    if (pdu.ptype() == dce::PType::Bind) {
      dce::Pdu ack;
      ack.header.ptype = dce::PType::BindAck;
      ack.header.callId = pdu.header.callId;
      dce::BindAck a;
      a.maxXmitFrag = 5840;
      a.maxRecvFrag = 5840;
      a.assocGroupId = 0x77;
      a.secondaryAddress = std::string("135") + '\0';
      a.results.push_back({0, 0, dce::syntax::ndr()});
      ack.body = a;
      if (silentAt != Step::EptMap) {
        queue(*dce::encodePdu(ack));
      }
      return;
    }
    if (pdu.request() == nullptr || silentAt == Step::EptMap) {
      return;
    }
    epm::EptMapResponse m;
    m.maxCount = 4;
    m.status = eptMapStatus;
    if (eptMapStatus == 0) {
      epm::TowerPointer tp;
      tp.referentId = 3;
      tp.tower = epm::tcpIpTower(drs::drsuapiInterface(), dce::syntax::ndr(), drsPort,
                                 {0, 0, 0, 0});  // Samba names no address
      m.towers.push_back(std::move(tp));
    }
    dce::Pdu resp;
    resp.header.ptype = dce::PType::Response;
    resp.header.callId = pdu.header.callId;
    dce::Response r;
    r.stub = knobbed(Step::EptMap, *epm::encodeEptMapResponse(m, Endian::Little));
    r.allocHint = static_cast<uint32_t>(r.stub.size());
    resp.body = r;
    queue(*dce::encodePdu(resp));
  }

  void onDrs(const Bytes& bytes) {
    dce::Pdu pdu;
    if (!dce::decodePdu(bytes, pdu).ok()) {
      return;
    }
    if (pdu.ptype() == dce::PType::Bind) {
      if (silentAt != Step::Bind) {
        queue(server_->bindAck(pdu.header.callId));
      }
      return;
    }
    if (pdu.ptype() != dce::PType::Request) {
      return;  // rpc_auth_3: no answer (MS-RPCE 3.3.1.5.2)
    }
    Bytes plain;
    if (!server_->readRequest(bytes, pdu, plain)) {
      return;
    }
    const uint16_t opnum = pdu.request()->opnum;
    opnums.push_back(opnum);
    Step step = Step::None;
    Bytes stub;
    drs::DrsHandle handle;
    handle.bytes.fill(0x4b);
    switch (opnum) {
      case drs::kOpnumDrsBind: {
        step = Step::DsBind;
        drs::DrsBindReply r;
        r.phDrs = handle;
        stub = drs::encodeDrsBindReply(r);
        break;
      }
      case drs::kOpnumDrsCrackNames: {
        step = Step::CrackNames;
        (void)drs::decodeCrackNamesRequest(plain, crackRequest);
        drs::CrackNamesReply r;
        drs::DsNameResultItem item;
        item.status = crackStatus;
        item.pDomain = u"example.com";
        if (crackStatus == drs::kDsNameNoError) {
          item.pName = drs::utf16("{" + account.guid + "}");
        }
        r.items.push_back(item);
        stub = drs::encodeCrackNamesReply(r);
        break;
      }
      case drs::kOpnumDrsGetNcChanges:
        step = Step::GetNcChanges;
        (void)drs::decodeGetNcChangesRequest(plain, getRequest);
        stub = drs::encodeGetNcChangesReply(changes());
        break;
      case drs::kOpnumDrsUnbind:
        stub = drs::encodeDrsUnbindReply(drs::DrsUnbindReply{});
        break;
      default:
        return;
    }
    if (silentAt == step) {
      return;
    }
    for (const Bytes& frag :
         server_->responses(pdu.header.callId, knobbed(step, std::move(stub)), 4096)) {
      queue(frag);
    }
  }

  uint16_t port_ = 0;
  Bytes in_;
  Bytes out_;
  std::optional<srt::FakeServer> server_;
};

}  // namespace bh::secure::encryption_service::test
