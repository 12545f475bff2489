// secure/encryption_service: the seed's Problem 2 before any key is asked for. A fake KDC (a
// transport that answers a fixed KRB-ERROR) and a fake clock: the offset measured, the named
// failure with its sign and side, its sr-errorlog text and remedy.
#include "secure/encryption_service/kdc_clock_check.h"

#include <doctest/doctest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "secure/encryption_service/retrieval_failure.h"

using namespace bh;
using namespace bh::secure::encryption_service;

namespace {

/// A KRB-ERROR (RFC 4120 5.9.1) as a KDC answers an AS-REQ without pre-authentication. Made
/// once by MIT krb5's krb5_mk_error; the test decodes it with nothing but the code under test.
const Bytes kPreauthRequired = {
    0x7e, 0x5a, 0x30, 0x58,                                     // [APPLICATION 30] SEQUENCE
    0xa0, 0x03, 0x02, 0x01, 0x05,                               // pvno 5
    0xa1, 0x03, 0x02, 0x01, 0x1e,                               // msg-type 30
    0xa4, 0x11, 0x18, 0x0f, '2',  '0',  '2',  '3',  '1',  '1',  // stime 20231114221320Z
    '1',  '4',  '2',  '2',  '1',  '3',  '2',  '0',  'Z',        //   = 1700000000
    0xa5, 0x05, 0x02, 0x03, 0x03, 0xd0, 0x90,                   // susec 250000
    0xa6, 0x03, 0x02, 0x01, 0x19,                               // error-code 25 PREAUTH_REQUIRED
    0xa9, 0x0c, 0x1b, 0x0a, 'B',  'H',  'L',  'A',  'B',  '.',  // realm BHLAB.TEST
    'T',  'E',  'S',  'T',                                      //
    0xaa, 0x1f, 0x30, 0x1d, 0xa0, 0x03, 0x02, 0x01, 0x02,       // sname NT-SRV-INST
    0xa1, 0x16, 0x30, 0x14, 0x1b, 0x06, 'k',  'r',  'b',  't', 'g', 't',   // krbtgt
    0x1b, 0x0a, 'B',  'H',  'L',  'A',  'B',  '.',  'T',  'E', 'S', 'T'};  // /BHLAB.TEST
constexpr int64_t kKdcTimeUs = 1700000000LL * 1000000 + 250000;

/// A KDC on the other end: what it was sent, and what it answers (the 4-byte length and
/// message), read as the transport's receive() asks.
class FakeKdc : public RpcTransport {
 public:
  bool connect(const std::string& address, uint16_t port, std::string& why) override {
    connects.push_back(address + ":" + std::to_string(port));
    if (refuse) {
      why = "connection refused";
      return false;
    }
    return true;
  }
  bool send(ByteSpan bytes, std::string&) override {
    sent.insert(sent.end(), bytes.begin(), bytes.end());
    return true;
  }
  bool receive(size_t n, Bytes& out, std::string& why) override {
    if (answer.size() < n) {
      why = "connection closed";
      return false;
    }
    out.insert(out.end(), answer.begin(), answer.begin() + static_cast<ptrdiff_t>(n));
    answer.erase(answer.begin(), answer.begin() + static_cast<ptrdiff_t>(n));
    received += n;
    return true;
  }
  void close() override { ++closes; }

  void answerWith(const Bytes& message) {
    uint32_t n = static_cast<uint32_t>(message.size());
    answer = {static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
              static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
    answer.insert(answer.end(), message.begin(), message.end());
  }

  bool refuse = false;
  std::vector<std::string> connects;
  Bytes sent;
  std::deque<uint8_t> answer;
  size_t received = 0;
  int closes = 0;
};

/// Our clock: `first` at the request, then `step` later at the answer.
WallClockUs clockFrom(int64_t first, int64_t step) {
  auto t = std::make_shared<int64_t>(first - step);
  return [t, step] { return *t += step; };
}

RetrievalJob job() {
  RetrievalJob j;
  j.spn = "exchangeMDB/exch1.bhlab.test";
  j.domain = "bhlab.test";
  j.identity.name = "repl";
  j.identity.kind = IdentityKind::User;
  j.identity.domain = "bhlab.test";
  j.identity.principal = "bhrepl";
  return j;
}

const DomainController kDc{"dc1.bhlab.test", "10.91.5.1"};

}  // namespace

TEST_CASE("KDC clock: the offset from the KDC's KRB-ERROR, at the middle of the round trip") {
  FakeKdc kdc;
  kdc.answerWith(kPreauthRequired);
  // This box 10 minutes ahead: asked at KDC time + 599.9 s, answered 0.2 s later.
  auto r = readKdcClock(kdc, "10.91.5.1", "bhrepl@BHLAB.TEST",
                        clockFrom(kKdcTimeUs + 599900000, 200000));
  REQUIRE_MESSAGE(r.ok(), r.error());
  CHECK(r.value().offsetUs == -600000000);
  CHECK(r.value().roundTripUs == 200000);
  CHECK(r.value().errorCode == 25);
  CHECK(kdc.connects == std::vector<std::string>{"10.91.5.1:88"});
  CHECK(kdc.closes == 1);
  // What went out: one framed AS-REQ (RFC 4120 7.2.2, 5.4.1).
  REQUIRE(kdc.sent.size() > 4);
  CHECK(kdc.sent[4] == 0x6a);
  CHECK(((kdc.sent[0] << 24) | (kdc.sent[1] << 16) | (kdc.sent[2] << 8) | kdc.sent[3]) ==
        static_cast<int>(kdc.sent.size() - 4));
}

TEST_CASE("KDC clock: a reply over the cap is refused after its length, unread") {
  FakeKdc kdc;
  kdc.answerWith(Bytes(64 * 1024 + 1, 0x7e));
  auto r = readKdcClock(kdc, "10.91.5.1", "bhrepl@BHLAB.TEST", clockFrom(kKdcTimeUs, 1000));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find("over the cap") != std::string::npos);
  CHECK(kdc.received == 4);
  CHECK(kdc.closes == 1);
}

TEST_CASE("KDC clock: no answer, or not a KRB-ERROR, is a reading that failed, by name") {
  FakeKdc silent;
  auto r = readKdcClock(silent, "10.91.5.1", "bhrepl@BHLAB.TEST", clockFrom(kKdcTimeUs, 1000));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == "connection closed");
  FakeKdc asRep;
  Bytes reply = kPreauthRequired;
  reply[0] = 0x6b;  // [APPLICATION 11] AS-REP: an account without pre-authentication
  asRep.answerWith(reply);
  r = readKdcClock(asRep, "10.91.5.1", "bhrepl@BHLAB.TEST", clockFrom(kKdcTimeUs, 1000));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find("not a KRB-ERROR") != std::string::npos);
  FakeKdc refused;
  refused.refuse = true;
  r = readKdcClock(refused, "10.91.5.1", "bhrepl@BHLAB.TEST", clockFrom(kKdcTimeUs, 1000));
  CHECK(r.error() == "connect: connection refused");
}

TEST_CASE("KDC clock: beyond the 300 s tolerance is clock-skew, with its rounded signed offset") {
  KdcClockReading r;
  r.offsetUs = 300000000;
  CHECK_FALSE(clockSkewFailure(r, "dc1").has_value());
  r.offsetUs = -300000000;
  CHECK_FALSE(clockSkewFailure(r, "dc1").has_value());
  r.offsetUs = 300000001;
  auto e = clockSkewFailure(r, "dc1");
  REQUIRE(e.has_value());
  CHECK(e->kind == RetrievalFailure::ClockSkew);
  CHECK(*e->clockOffsetSeconds == 300);
  r.offsetUs = -599600000;
  e = clockSkewFailure(r, "dc1.bhlab.test (10.91.5.1)");
  REQUIRE(e.has_value());
  CHECK(*e->clockOffsetSeconds == -600);
  CHECK(e->detail == "KDC dc1.bhlab.test (10.91.5.1) measured -599.600 s, allowed +/-300 s");
}

TEST_CASE("KDC clock: the named failure's sr-errorlog text and remedy say which side is ahead") {
  RetrievalError ahead{RetrievalFailure::ClockSkew, "KDC dc1", -600};
  std::string text = describeFailure(ahead, "repl", "bhlab.test");
  CHECK(text ==
        "Key retrieval failed: Clock skew too great with the KDC of bhlab.test, offset -600 s "
        "(KDC minus this box): this box's clock is 600 s ahead of the KDC's (KDC dc1)");
  RetrievalError behind{RetrievalFailure::ClockSkew, "", 420};
  CHECK(describeFailure(behind, "repl", "bhlab.test").find("offset +420 s") != std::string::npos);
  CHECK(describeFailure(behind, "repl", "bhlab.test")
            .find("this box's clock is 420 s behind the KDC's") != std::string::npos);
  RetrievalError unread{RetrievalFailure::ClockSkew, "KRB_AP_ERR_SKEW", std::nullopt};
  CHECK(describeFailure(unread, "repl", "bhlab.test").find("could not be read") !=
        std::string::npos);
  auto remedy = failureRemedy(ahead, "repl", "bhlab.test");
  REQUIRE(remedy.size() == 2);
  CHECK(remedy[0].find("ntpdate bhlab.test") != std::string::npos);
  CHECK(remedy[1].find("chronyd") != std::string::npos);
}

TEST_CASE("KDC clock: checked before a DC, noted in the steps; a silent KDC only noted") {
  FakeKdc kdc;
  kdc.answerWith(kPreauthRequired);
  std::vector<std::string> steps;
  auto e = checkKdcClock(job(), kDc, kdc, steps, clockFrom(kKdcTimeUs + 599990000, 20000));
  REQUIRE(e.has_value());
  CHECK(e->kind == RetrievalFailure::ClockSkew);
  CHECK(*e->clockOffsetSeconds == -600);
  REQUIRE(steps.size() == 1);
  CHECK(steps[0] ==
        "KDC clock of dc1.bhlab.test (10.91.5.1): offset -600.000 s (KDC minus this box), round "
        "trip 20 ms, from its KDC_ERR_PREAUTH_REQUIRED");

  FakeKdc inTime;
  inTime.answerWith(kPreauthRequired);
  steps.clear();
  CHECK_FALSE(
      checkKdcClock(job(), kDc, inTime, steps, clockFrom(kKdcTimeUs - 2000, 2000)).has_value());
  CHECK(steps[0].find("offset +0.001 s") != std::string::npos);

  FakeKdc refused;
  refused.refuse = true;
  steps.clear();
  CHECK_FALSE(checkKdcClock(job(), kDc, refused, steps).has_value());
  CHECK(steps[0] ==
        "KDC clock of dc1.bhlab.test (10.91.5.1) not read: connect: connection refused");
}

namespace {

class FixedLocator : public DcLocator {
 public:
  std::vector<DomainController> locate(const std::string&, const std::vector<std::string>&,
                                       std::string& why) override {
    if (dcs.empty()) {
      why = "no SRV record";
    }
    return dcs;
  }
  std::vector<DomainController> dcs;
};

}  // namespace

TEST_CASE("KDC clock: a skew the KDC refused (kdc_timesync = 0) gets the offset measured") {
  FakeKdc kdc;
  kdc.answerWith(kPreauthRequired);
  FixedLocator locator;
  locator.dcs = {kDc, {"dc2.bhlab.test", "10.91.5.2"}};
  std::vector<std::string> steps;
  RetrievalError e{RetrievalFailure::ClockSkew, "bhrepl@BHLAB.TEST: KRB_AP_ERR_SKEW", {}};
  measureRefusedSkew(job(), locator, kdc, steps, e, clockFrom(kKdcTimeUs - 420000000, 2000));
  CHECK(kdc.connects == std::vector<std::string>{"10.91.5.1:88"});
  REQUIRE(e.clockOffsetSeconds.has_value());
  CHECK(*e.clockOffsetSeconds == 420);
  CHECK(e.detail ==
        "bhrepl@BHLAB.TEST: KRB_AP_ERR_SKEW; KDC dc1.bhlab.test (10.91.5.1) measured +419.999 s");
  CHECK(describeFailure(e, "repl", "bhlab.test").find("this box's clock is 420 s behind") !=
        std::string::npos);

  FixedLocator none;
  RetrievalError unread{RetrievalFailure::ClockSkew, "KRB_AP_ERR_SKEW", {}};
  measureRefusedSkew(job(), none, kdc, steps, unread);
  CHECK_FALSE(unread.clockOffsetSeconds.has_value());
  CHECK(steps.back() ==
        "KDC clock not read: no domain controller of bhlab.test found: no SRV record");
}
