// WAN secure `auto` (proxy/wan_secure/leg_security.h): the MAPI AO says from a connection's first
// bytes whether its peer leg must be secured. Yes only for a bind eMAPI opens (Kerberos or
// SPNEGO at packet integrity or privacy) on a box with a protection provider; NeedMore until
// the whole first PDU is there, at every split; anything else, malformed input included, no.
#include <doctest/doctest.h>

#include "fake_protection.h"
#include "mapi/dcerpc/pdu_codec.h"
#include "mapi/mapi_ao/mapi_accelerator.h"

using namespace bh;
using namespace bh::mapi;
using accel::SecureLegNeed;

namespace {

class QuietHost final : public accel::Host {
 public:
  uint64_t nowNs() const override { return 0; }
  void logInfo(const std::string&) override {}
  void logError(const std::string&) override {}
  bool stopping() const override { return false; }
  void wake() override {}
  accel::FlowRecord* findFlow(uint64_t) override { return nullptr; }
  const accel::FlowFilter* filterOf(uint64_t) const override { return nullptr; }
  bool runFilter(
      uint64_t,
      const std::function<void(accel::FlowFilter&, accel::FlowFilter::Output&)>&) override {
    return false;
  }
  void handOff(uint64_t, uint16_t, const std::string&) override {}
  void reset(uint64_t, const std::string&) override {}
  void forEachFlow(const std::function<void(accel::FlowRecord&)>&) override {}
};

class NoAdmission final : public accel::Admission {
 public:
  Grant admit(uint64_t, bool) override { return Grant::Admitted; }
  void release(Grant) override {}
  void endGroup(uint64_t) override {}
  uint64_t active() const override { return 0; }
};

/// A bind to EMSMDB (MS-OXCRPC 1.9) with an auth verifier of `type` at `level`.
Bytes bind(dcerpc::AuthType type, dcerpc::AuthLevel level,
           dcerpc::PType ptype = dcerpc::PType::Bind) {
  dcerpc::Pdu p;
  p.header.ptype = ptype;
  p.header.pfcFlags = 0x03;
  p.header.callId = 1;
  dcerpc::Bind b;
  b.maxXmitFrag = 5840;
  b.maxRecvFrag = 5840;
  dcerpc::ContextElement c;
  c.contextId = 0;
  c.abstractSyntax.versionMajor = 4081;
  c.transferSyntaxes.push_back({});
  b.contexts.push_back(c);
  p.body = b;
  if (type != dcerpc::AuthType::None) {
    dcerpc::AuthVerifier v;
    v.trailer.authType = type;
    v.trailer.authLevel = level;
    v.credentials = Bytes(1500, 0x6e);  // an AP-REQ's size
    p.auth = v;
  }
  return *dcerpc::encodePdu(p);
}

}  // namespace

TEST_CASE("secureLegNeed: a sealed Kerberos or SPNEGO bind needs the secured leg, at every split") {
  QuietHost host;
  NoAdmission admission;
  mapi_ao::MapiAccelerator mapi{host, admission, {}};
  mapi_ao::testing::FakeProvider provider;
  // No provider: eMAPI cannot open anything here, nothing needs the leg.
  CHECK(mapi.secureLegNeed(bind(dcerpc::AuthType::Kerberos, dcerpc::AuthLevel::PktPrivacy)) ==
        SecureLegNeed::No);
  mapi.setProtectionProvider(&provider);
  for (auto type : {dcerpc::AuthType::Kerberos, dcerpc::AuthType::Spnego}) {
    for (auto level : {dcerpc::AuthLevel::PktPrivacy, dcerpc::AuthLevel::PktIntegrity}) {
      Bytes b = bind(type, level);
      CHECK(mapi.secureLegNeed(b) == SecureLegNeed::Yes);
      for (size_t cut = 0; cut < b.size(); ++cut) {
        CAPTURE(cut);
        REQUIRE(mapi.secureLegNeed(ByteSpan(b).first(cut)) == SecureLegNeed::NeedMore);
      }
      // What follows the bind (the client does not wait) does not change the answer.
      Bytes more = b;
      more.insert(more.end(), 100, 0x05);
      CHECK(mapi.secureLegNeed(more) == SecureLegNeed::Yes);
    }
  }
}

TEST_CASE("secureLegNeed: clear, connect-level, NTLM binds and malformed bytes do not") {
  QuietHost host;
  NoAdmission admission;
  mapi_ao::MapiAccelerator mapi{host, admission, {}};
  mapi_ao::testing::FakeProvider provider;
  mapi.setProtectionProvider(&provider);
  CHECK(mapi.secureLegNeed(bind(dcerpc::AuthType::None, dcerpc::AuthLevel::None)) ==
        SecureLegNeed::No);
  CHECK(mapi.secureLegNeed(bind(dcerpc::AuthType::Kerberos, dcerpc::AuthLevel::Connect)) ==
        SecureLegNeed::No);
  CHECK(mapi.secureLegNeed(bind(dcerpc::AuthType::Ntlm, dcerpc::AuthLevel::PktPrivacy)) ==
        SecureLegNeed::No);
  // Not DCE/RPC (an HTTP request), a PDU header with a bad version, a frag_length below the
  // header's: no, at once (never NeedMore forever).
  const std::string http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  CHECK(mapi.secureLegNeed(ByteSpan(reinterpret_cast<const uint8_t*>(http.data()), http.size())) ==
        SecureLegNeed::No);
  Bytes bad = bind(dcerpc::AuthType::Kerberos, dcerpc::AuthLevel::PktPrivacy);
  bad[0] = 4;
  CHECK(mapi.secureLegNeed(bad) == SecureLegNeed::No);
  Bytes shortFrag = bind(dcerpc::AuthType::Kerberos, dcerpc::AuthLevel::PktPrivacy);
  shortFrag[8] = 8;
  shortFrag[9] = 0;
  CHECK(mapi.secureLegNeed(shortFrag) == SecureLegNeed::No);
  // A request first (no bind): nothing eMAPI opens.
  Bytes req = bind(dcerpc::AuthType::Kerberos, dcerpc::AuthLevel::PktPrivacy);
  req[2] = 0;  // ptype request: the body no longer parses as a bind's, or is a request's
  CHECK(mapi.secureLegNeed(req) == SecureLegNeed::No);
}
