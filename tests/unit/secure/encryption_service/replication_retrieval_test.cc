// The replication retrieval's DRSUAPI steps against a fake DC behind the RpcTransport
// (fake_dc.h): ept_map, the sealed bind, DsBind, DsCrackNames, DsGetNCChanges, the secrets
// opened; and each failure named. The seam is replicateFromDcs: the identity's credential
// (a real KDC) is the lab tests' part; here each DC's security is the sealed_rpc tests' fake.
#include "secure/encryption_service/replication_retrieval.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "tests/unit/secure/encryption_service/fake_dc.h"

using namespace bh;
using namespace bh::secure::encryption_service;
using namespace bh::secure::encryption_service::test;

namespace {

RetrievalJob job() {
  RetrievalJob j;
  j.id = 7;
  j.spn = "exchangeMDB/exch1.example.com";
  j.host = "exch1.example.com";
  j.domain = "example.com";
  j.identity.name = "repl";
  return j;
}

struct Run {
  FakeDc dc;
  FakeLocator locator;
  Run() { locator.dcs = {{"dc1.example.com", dc.address}}; }
  RetrievalResult go() { return replicateFromDcs(job(), fakeSecurity(), dc, locator, {}); }
};

const ServiceKey* keyOf(const RetrievalResult& r, int32_t etype, uint32_t kvno) {
  REQUIRE(r.keys);
  return r.keys->find(etype, kvno);
}

bool stepped(const RetrievalResult& r, const std::string& text) {
  return std::any_of(r.steps.begin(), r.steps.end(),
                     [&](const std::string& s) { return s.find(text) != std::string::npos; });
}

}  // namespace

TEST_CASE("replication: the account's keys from a DC that answers every step") {
  Run run;
  RetrievalResult r = run.go();
  REQUIRE_MESSAGE(r.keys, r.error.detail);
  CHECK(r.id == 7);
  const FakeAccount& acct = run.dc.account;
  const ServiceKey* rc4 = keyOf(r, kEtypeRc4, acct.kvno);
  REQUIRE(rc4 != nullptr);
  CHECK(rc4->value == Bytes(acct.nt.begin(), acct.nt.end()));
  REQUIRE(keyOf(r, kEtypeAes256, acct.kvno) != nullptr);
  CHECK(keyOf(r, kEtypeAes256, acct.kvno)->value == acct.aes256);
  REQUIRE(keyOf(r, kEtypeAes128, acct.kvno) != nullptr);
  CHECK(keyOf(r, kEtypeAes128, acct.kvno)->value == acct.aes128);
  // The previous password's AES key one kvno below (MS-SAMR 2.2.10.5 OldCredentials).
  REQUIRE(keyOf(r, kEtypeAes256, acct.kvno - 1) != nullptr);
  CHECK(keyOf(r, kEtypeAes256, acct.kvno - 1)->value == acct.oldAes256);
  CHECK(r.keys->spn == "exchangeMDB/exch1.example.com");
  CHECK(r.keys->account == "CN=EXCH1,CN=Computers,DC=example,DC=com");

  // What the DC was asked: its KDC's clock on 88 (seed Problem 2, kdc_clock_check.h: this fake
  // refuses it, which is only noted), ept_map on 135, then the DRSUAPI port from the tower at
  // the DC's own address; DsBind, DsCrackNames of the SPN, GetNCChanges EXOP_REPL_OBJ for its
  // GUID, DsUnbind.
  REQUIRE(run.dc.connections.size() == 3);
  CHECK(run.dc.connections[0] == std::pair<std::string, uint16_t>{"192.0.2.10", 88});
  CHECK(run.dc.connections[1] == std::pair<std::string, uint16_t>{"192.0.2.10", 135});
  CHECK(run.dc.connections[2] == std::pair<std::string, uint16_t>{"192.0.2.10", 49160});
  CHECK(run.dc.opnums == std::vector<uint16_t>{0, 12, 3, 1});
  REQUIRE(run.dc.crackRequest.rpNames.size() == 1);
  CHECK(drs::utf8(run.dc.crackRequest.rpNames[0]) == "exchangeMDB/exch1.example.com");
  CHECK(run.dc.crackRequest.formatOffered == drs::kDsServicePrincipalName);
  CHECK(run.dc.getRequest.ulExtendedOp == drs::kExopReplObj);
  CHECK(run.dc.getRequest.pNC.guid == *dce::Uuid::parse(run.dc.account.guid));
  CHECK(stepped(r, "DRS_SPN: host/dc1.example.com@EXAMPLE.COM"));
  CHECK(stepped(r, "DRSBind Success, Status:00000000"));
  CHECK(stepped(r, "DsCrackNames: exchangeMDB/exch1.example.com is account {"));
}

TEST_CASE("replication: Problem 1, ERROR_DS_DRA_ACCESS_DENIED inside a successful reply") {
  SUBCASE("the WERROR, no object (what Samba sends)") {
    Run run;
    run.dc.getNcReturn = drs::kErrorDsDraAccessDenied;
    run.dc.sendObjects = false;
    RetrievalResult r = run.go();
    CHECK_FALSE(r.keys);
    CHECK(r.error.kind == RetrievalFailure::PermissionDenied);
    CHECK(r.error.detail.find("0x00002105") != std::string::npos);
  }
  SUBCASE("the WERROR with the object still in the reply: no key is taken from it") {
    Run run;
    run.dc.getNcReturn = drs::kErrorDsDraAccessDenied;
    RetrievalResult r = run.go();
    CHECK_FALSE(r.keys);
    CHECK(r.error.kind == RetrievalFailure::PermissionDenied);
  }
  SUBCASE("EXOP_ERR_ACCESS_DENIED with return value 0") {
    Run run;
    run.dc.extendedRet = drs::kExopErrAccessDenied;
    run.dc.sendObjects = false;
    RetrievalResult r = run.go();
    CHECK(r.error.kind == RetrievalFailure::PermissionDenied);
  }
}

TEST_CASE("replication: an SPN the directory does not know is spn-unknown, no GetNCChanges") {
  Run run;
  run.dc.crackStatus = drs::kDsNameErrorNotFound;
  RetrievalResult r = run.go();
  CHECK_FALSE(r.keys);
  CHECK(r.error.kind == RetrievalFailure::SpnUnknown);
  CHECK(r.error.detail.find("exchangeMDB/exch1.example.com") != std::string::npos);
  CHECK(std::count(run.dc.opnums.begin(), run.dc.opnums.end(), 3) == 0);
}

TEST_CASE("replication: a truncated or garbage reply is protocol-error, never keys") {
  for (Step step : {Step::DsBind, Step::CrackNames, Step::GetNcChanges}) {
    for (bool garbage : {false, true}) {
      CAPTURE(static_cast<int>(step));
      CAPTURE(garbage);
      Run run;
      (garbage ? run.dc.garbageAt : run.dc.truncateAt) = step;
      RetrievalResult r = run.go();
      CHECK_FALSE(r.keys);
      CHECK(r.error.kind == RetrievalFailure::ProtocolError);
    }
  }
}

TEST_CASE("replication: a DC that stops answering is dc-unreachable, at every step") {
  for (Step step : {Step::EptMap, Step::Bind, Step::DsBind, Step::CrackNames, Step::GetNcChanges}) {
    CAPTURE(static_cast<int>(step));
    Run run;
    run.dc.silentAt = step;
    RetrievalResult r = run.go();
    CHECK_FALSE(r.keys);
    CHECK(r.error.kind == RetrievalFailure::DcUnreachable);
    CHECK(r.error.detail.find("timed out") != std::string::npos);
  }
}

TEST_CASE("replication: an endpoint mapper without DRSUAPI, a refused DC, then the next DC") {
  SUBCASE("no tower") {
    Run run;
    run.dc.eptMapStatus = 0x16c9a0d6;  // EPT_S_NOT_REGISTERED
    RetrievalResult r = run.go();
    CHECK(r.error.kind == RetrievalFailure::DcUnreachable);
    CHECK(r.error.detail.find("knows no DRSUAPI endpoint (status 0x16c9a0d6)") !=
          std::string::npos);
  }
  SUBCASE("the first DC refuses the connection; the second gives the keys") {
    Run run;
    run.locator.dcs.insert(run.locator.dcs.begin(), {"dc0.example.com", "192.0.2.9"});
    run.dc.refuse = {"192.0.2.9"};
    RetrievalResult r = run.go();
    REQUIRE_MESSAGE(r.keys, r.error.detail);
    CHECK(stepped(r, "Domain controller dc0.example.com failed: "));
  }
  SUBCASE("no DC at all") {
    Run run;
    run.locator.dcs.clear();
    RetrievalResult r = run.go();
    CHECK(r.error.kind == RetrievalFailure::DcUnreachable);
    CHECK(r.error.detail.find("no domain controller of example.com") != std::string::npos);
  }
}

TEST_CASE("replication: secrets sealed under another session key do not open") {
  // The DC encrypts with the connection's session key (MS-DRSR 4.1.10.6.17); a reply sealed
  // under another gives protocol-error, never a wrong key.
  Run run;
  RetrievalResult r =
      replicateFromDcs(job(), fakeSecurity(Bytes(16, 0x99)), run.dc, run.locator, {});
  CHECK_FALSE(r.keys);
  CHECK(r.error.kind == RetrievalFailure::ProtocolError);
  CHECK(r.error.detail.find("unicodePwd") != std::string::npos);
}
