// The eMAPI provider in the DCE/RPC stream engine (mapi/dcerpc/co_stream.h): the client's and the
// server's byte streams of a captured sealed SAMR connection, fed in capture order through two
// CoStreams sharing one KerberosDceSession, come out as whole calls whose stubs are tshark's
// plaintext, with every byte of every PDU kept raw for relaying.
#include <doctest/doctest.h>

#include "mapi/dcerpc/co_stream.h"
#include "secure/emapi/kerberos_security_provider.h"
#include "tests/unit/secure/emapi/emapi_vectors.h"

using namespace bh;
using namespace bh::secure::emapi;
using namespace bh::secure::emapi::test;
namespace dce = bh::mapi::dcerpc;

namespace {

struct Streams {
  KerberosDceSession session;
  KerberosSecurityProvider clientSide;
  KerberosSecurityProvider serverSide;
  dce::CoStream client;
  dce::CoStream server;
  Streams(const Krb5Crypto& crypto)
      : session(crypto, dcKeys()),
        clientSide(session, Direction::FromInitiator),
        serverSide(session, Direction::FromAcceptor),
        client(dce::Sender::Client, {}, &clientSide),
        server(dce::Sender::Server, {}, &serverSide) {}
};

}  // namespace

TEST_CASE("emapi provider: sealed SAMR through the stream engine comes out as plaintext calls") {
  Krb5Crypto crypto;
  for (const char* name :
       {"aes_krb5", "aes_spnego", "rc4_krb5", "rc4_spnego", "aes_krb5_sign", "rc4_spnego_sign"}) {
    const std::string caseName = name;
    CAPTURE(caseName);
    for (const VectorConnection& conn : loadCase(name)) {
      Streams s(crypto);
      size_t calls = 0;
      for (const VectorPdu& p : conn) {
        dce::CoStream& st = p.dir == Direction::FromInitiator ? s.client : s.server;
        // One byte at a time: framing and the provider see whole PDUs whatever the split.
        for (uint8_t b : p.bytes) {
          REQUIRE(st.feed(ByteSpan(&b, 1)).ok());
        }
        dce::StreamPdu out;
        ParseResult r = st.next(out);
        REQUIRE_MESSAGE(r.ok(), r.error);
        CHECK(out.raw == p.bytes);
        if (p.ptype() != 0 && p.ptype() != 2) {
          continue;
        }
        REQUIRE(out.call);
        CHECK_FALSE(out.pdu.auth);
        // Sealed: tshark's plaintext; integrity: the stub as sent. Either without the padding.
        PduLayout l;
        REQUIRE(locatePdu(p.bytes, l).ok());
        Bytes plain = p.tsharkPlain;
        if (l.authLevel == 5) {
          plain.assign(p.bytes.begin() + static_cast<ptrdiff_t>(l.stubAt),
                       p.bytes.begin() + static_cast<ptrdiff_t>(l.stubAt + l.stubLen));
        }
        REQUIRE(plain.size() == l.stubLen);
        Bytes want(plain.begin(), plain.end() - static_cast<ptrdiff_t>(l.padLen));
        CHECK(out.call->stub == want);
        CHECK(out.call->fragments.front() == p.bytes);
        ++calls;
      }
      CHECK(calls > 0);
      CHECK(s.clientSide.unwrapped() + s.serverSide.unwrapped() == calls);
      CHECK(s.session.established());
    }
  }
}

TEST_CASE(
    "emapi provider: a tampered PDU or a clear request stops the stream with a security error") {
  Krb5Crypto crypto;
  auto conn = loadCase("aes_krb5")[0];
  size_t firstRequest = 0;
  while (conn[firstRequest].ptype() != 0) {
    ++firstRequest;
  }
  for (int variant = 0; variant < 2; ++variant) {
    Streams s(crypto);
    for (size_t i = 0; i < firstRequest; ++i) {
      dce::CoStream& st = conn[i].dir == Direction::FromInitiator ? s.client : s.server;
      REQUIRE(st.feed(conn[i].bytes).ok());
      dce::StreamPdu out;
      REQUIRE(st.next(out).ok());
    }
    Bytes bad = conn[firstRequest].bytes;
    if (variant == 0) {
      bad[30] ^= 0x80;  // a stub byte
    } else {
      // The same request with its auth trailer cut off: frag_length and auth_length adjusted.
      const size_t authLen = bad[10] | bad[11] << 8;
      const size_t pad = bad[bad.size() - authLen - 6];
      bad.resize(bad.size() - authLen - 8 - pad);
      bad[8] = static_cast<uint8_t>(bad.size());
      bad[9] = static_cast<uint8_t>(bad.size() >> 8);
      bad[10] = bad[11] = 0;
    }
    REQUIRE(s.client.feed(bad).ok());
    dce::StreamPdu out;
    ParseResult r = s.client.next(out);
    CHECK_FALSE(r.ok());
    CHECK(s.client.errorKind() == dce::StreamError::Security);
    // The stream stopped; the session did not change (the refused PDU took no number).
    CHECK(s.session.established());
    CHECK(s.session.nextReceived(Direction::FromInitiator) ==
          s.session.nextSent(Direction::FromInitiator));
    CHECK(r.error == (variant == 0 ? "RFC 4121 wrap token does not verify"
                                   : "a request/response in the clear in a Kerberos association"));
  }
}
