// secure/kerberos: the KDC's TCP framing (RFC 4120 7.2.2) and its clock read from a KRB-ERROR.
// The KRB-ERRORs here are made by MIT krb5's own encoder (krb5_mk_error), independent of the
// decoding path under test beyond the library both share.
#include "secure/kerberos/kdc_clock.h"

#include <doctest/doctest.h>
#include <krb5.h>

#include "secure/kerberos/kdc_tcp_framing.h"

using namespace bh;
using namespace bh::secure::kerberos;

namespace {

Bytes makeKrbError(int32_t code, krb5_timestamp stime, krb5_int32 susec, const char* realm) {
  krb5_context ctx = nullptr;
  REQUIRE(krb5_init_context(&ctx) == 0);
  krb5_principal server = nullptr;
  std::string name = std::string("krbtgt/") + realm + "@" + realm;
  REQUIRE(krb5_parse_name(ctx, name.c_str(), &server) == 0);
  krb5_error err{};
  err.stime = stime;
  err.susec = susec;
  err.error = static_cast<krb5_ui_4>(code);
  err.server = server;
  krb5_data out{};
  REQUIRE(krb5_mk_error(ctx, &err, &out) == 0);
  Bytes b(reinterpret_cast<uint8_t*>(out.data), reinterpret_cast<uint8_t*>(out.data) + out.length);
  krb5_free_data_contents(ctx, &out);
  krb5_free_principal(ctx, server);
  krb5_free_context(ctx);
  return b;
}

}  // namespace

TEST_CASE("KDC TCP framing: a message and its prefix, delivered split at every point") {
  Bytes a = {0x6a, 0x01, 0x02, 0x03, 0x04};
  Bytes b(300, 0x7e);
  Bytes stream = frameKdcMessage(a);
  Bytes second = frameKdcMessage(b);
  stream.insert(stream.end(), second.begin(), second.end());
  CHECK(stream[3] == 5);
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    KdcTcpFramer f;
    std::vector<Bytes> got;
    for (ByteSpan piece : {ByteSpan(stream.data(), cut), ByteSpan(stream).subspan(cut)}) {
      ParseResult r = f.feed(piece);
      REQUIRE(r.status != ParseStatus::Error);
      while (f.hasMessage()) {
        got.push_back(f.next());
      }
    }
    REQUIRE(got.size() == 2);
    CHECK(got[0] == a);
    CHECK(got[1] == b);
    CHECK(f.bufferedBytes() == 0);
  }
}

TEST_CASE("KDC TCP framing: the reserved bit and a length over the cap are refused unbuffered") {
  KdcTcpFramer f(1000);
  const uint8_t reserved[] = {0x80, 0, 0, 4, 1, 2, 3, 4};
  CHECK(f.feed(reserved).status == ParseStatus::Error);
  CHECK(f.error().find("reserved") != std::string::npos);
  CHECK(f.feed(reserved).status == ParseStatus::Error);  // stays failed
  KdcTcpFramer g(1000);
  const uint8_t big[] = {0, 0, 0x03, 0xe9, 0xaa};
  CHECK(g.feed(ByteSpan(big, 3)).status == ParseStatus::NeedMore);
  CHECK(g.feed(ByteSpan(big + 3, 2)).status == ParseStatus::Error);
  CHECK(g.bufferedBytes() <= 4);
  KdcTcpFramer h(1000);
  const uint8_t atCap[] = {0, 0, 0x03, 0xe8};
  ParseResult r = h.feed(atCap);
  CHECK(r.status == ParseStatus::NeedMore);
  CHECK(r.needed == 1004);
}

TEST_CASE("the KDC's clock from a KRB-ERROR, and the offset against ours") {
  Bytes reply = makeKrbError(25, 1700000000, 250000, "EMAPI.LAB");
  auto t = kdcTimeFromReply(reply);
  REQUIRE_MESSAGE(t.ok(), t.error());
  CHECK(t.value().kdcTimeUs == 1700000000LL * 1000000 + 250000);
  CHECK(t.value().errorCode == 25);
  CHECK(t.value().realm == "EMAPI.LAB");
  CHECK(kerberosErrorName(t.value().errorCode) == "KDC_ERR_PREAUTH_REQUIRED");
  // Sent at KDC time - 600.1 s, answered 0.2 s later: the KDC is 600 s ahead (the middle of the
  // round trip is when it answered).
  int64_t kdc = t.value().kdcTimeUs;
  CHECK(kdcClockOffsetUs(t.value(), kdc - 600100000, kdc - 599900000) == 600000000);
}

TEST_CASE("a reply that is not a KRB-ERROR is refused by name, truncated ones too") {
  Bytes reply = makeKrbError(37, 1700000000, 0, "EMAPI.LAB");
  for (size_t n = 0; n < reply.size(); ++n) {
    CHECK_FALSE(kdcTimeFromReply(ByteSpan(reply.data(), n)).ok());
  }
  Bytes asRep = reply;
  asRep[0] = 0x6b;  // [APPLICATION 11] AS-REP
  CHECK(kdcTimeFromReply(asRep).error().find("not a KRB-ERROR") != std::string::npos);
  Bytes huge(70 * 1024, 0x7e);
  CHECK(kdcTimeFromReply(huge).error().find("too long") != std::string::npos);
}

TEST_CASE("the probe is an AS-REQ for the principal, without pre-authentication") {
  auto req = kdcClockProbeRequest("bridgehead@EMAPI.LAB");
  REQUIRE_MESSAGE(req.ok(), req.error());
  REQUIRE(!req.value().empty());
  CHECK(req.value()[0] == 0x6a);  // [APPLICATION 10] AS-REQ (RFC 4120 5.4.1)
  std::string text(req.value().begin(), req.value().end());
  CHECK(text.find("bridgehead") != std::string::npos);
  CHECK(text.find("EMAPI.LAB") != std::string::npos);
  CHECK_FALSE(kdcClockProbeRequest("bad@@name").ok());
}
