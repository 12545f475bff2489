// KerberosProtectionProvider (issue 18): the core opens a captured bind with the keys its key
// source gives for the ticket's SPN, or names why not (NTLM, another auth type or level, an
// unsupported enctype, no key yet, a ticket no key opens); the edge imports the core's context.
#include <doctest/doctest.h>

#include <algorithm>

#include "secure/emapi/kerberos_protected_association.h"
#include "secure/emapi/kerberos_protection_provider.h"
#include "tests/unit/secure/emapi/emapi_vectors.h"

using namespace bh;
using namespace bh::secure::emapi;
using namespace bh::secure::emapi::test;
using bh::mapi::dcerpc::Sender;

namespace {

struct FakeKeySource : ServiceKeySource {
  std::vector<bh::secure::encryption_service::ServiceKey> keys;
  std::string whyNot;
  std::vector<std::pair<std::string, uint32_t>> asked;
  ServiceKeyAnswer keysFor(const std::string& spn, uint32_t ticketKvno) override {
    asked.emplace_back(spn, ticketKvno);
    return {keys, keys.empty() ? whyNot : std::string()};
  }
};

/// The captured bind with another sec_trailer and auth_value (lengths fixed up).
Bytes bindWith(const Bytes& bind, uint8_t authType, uint8_t level, const Bytes& authValue) {
  const size_t authLen = bind[10] | bind[11] << 8;
  const size_t trailerAt = bind.size() - authLen - 8;
  Bytes out(bind.begin(), bind.begin() + static_cast<ptrdiff_t>(trailerAt + 8));
  out[trailerAt] = authType;
  out[trailerAt + 1] = level;
  out.insert(out.end(), authValue.begin(), authValue.end());
  out[8] = static_cast<uint8_t>(out.size());
  out[9] = static_cast<uint8_t>(out.size() >> 8);
  out[10] = static_cast<uint8_t>(authValue.size());
  out[11] = static_cast<uint8_t>(authValue.size() >> 8);
  return out;
}

Bytes authValueOf(const Bytes& pdu) {
  const size_t authLen = pdu[10] | pdu[11] << 8;
  return Bytes(pdu.end() - static_cast<ptrdiff_t>(authLen), pdu.end());
}

}  // namespace

TEST_CASE("emapi provider: the core opens a bind with the keys of the ticket's SPN") {
  Krb5Crypto crypto;
  for (const char* name : {"aes_krb5", "aes_spnego", "rc4_krb5", "rc4_spnego_sign"}) {
    const std::string caseName = name;
    CAPTURE(caseName);
    const VectorConnection conn = loadCase(name)[0];
    FakeKeySource source;
    source.keys = dcKeys();
    KerberosProtectionProvider provider(crypto, source);
    std::string why;
    auto core = provider.openBind(conn[0].bytes, why);
    REQUIRE_MESSAGE(core, why);
    REQUIRE(source.asked.size() == 1);
    CHECK(source.asked[0].first == "host/dc1.bhlab.test");  // sname joined by '/', no realm
    CHECK(source.asked[0].second == 1);
    CHECK_FALSE(core->keyed());
    REQUIRE(core->observeBindLeg(Sender::Server, conn[1].bytes).ok());
    auto edge = provider.importContext(core->exportContext(), why);
    REQUIRE_MESSAGE(edge, why);
    CHECK(edge->describe() == core->describe());
    for (size_t i = 2; i < conn.size(); ++i) {
      const Sender from = conn[i].dir == Direction::FromInitiator ? Sender::Client : Sender::Server;
      if (isBindLeg(conn[i].ptype())) {
        REQUIRE(core->observeBindLeg(from, conn[i].bytes).ok());
        REQUIRE(edge->observeBindLeg(from, conn[i].bytes).ok());
        continue;
      }
      Bytes a;
      Bytes b;
      REQUIRE(core->unwrap(from, conn[i].bytes, a).ok());
      REQUIRE(edge->unwrap(from, conn[i].bytes, b).ok());
      CHECK(a == b);
    }
    CHECK(edge->established());
  }
}

TEST_CASE("emapi provider: what cannot be opened is named") {
  Krb5Crypto crypto;
  const Bytes bind = loadCase("aes_krb5")[0][0].bytes;
  FakeKeySource source;
  source.keys = dcKeys();
  KerberosProtectionProvider provider(crypto, source);
  std::string why;
  SUBCASE("no key yet: the key source's reason") {
    source.keys.clear();
    source.whyNot = "no key for host/dc1.bhlab.test yet: retrieval in progress";
    CHECK_FALSE(provider.openBind(bind, why));
    CHECK(why == source.whyNot);
    source.whyNot.clear();
    CHECK_FALSE(provider.openBind(bind, why));
    CHECK(why == "no key for host/dc1.bhlab.test");
  }
  SUBCASE("no key of the ticket's etype") {
    std::erase_if(source.keys, [](const auto& k) { return k.etype == 18; });
    CHECK_FALSE(provider.openBind(bind, why));
    CHECK(why == "no service key for the ticket (etype 18 kvno 1)");
  }
  SUBCASE("a key that does not open the ticket (the account's password changed)") {
    for (auto& k : source.keys) {
      k.value[0] ^= 1;
      k.kvno = 2;
    }
    CHECK_FALSE(provider.openBind(bind, why));
    // The ticket names kvno 1; no key of it, so any of its etype is tried (AD lags).
    CHECK(why == "the ticket does not decrypt with the service key (etype 18 kvno 1)");
  }
  SUBCASE("NTLM, directly and inside SPNEGO") {
    const Bytes ntlmssp = {'N', 'T', 'L', 'M', 'S',  'S',  'P',  0,
                           1,   0,   0,   0,   0x97, 0x82, 0x08, 0xe2};
    CHECK_FALSE(provider.openBind(bindWith(bind, 10, 6, ntlmssp), why));
    CHECK(why == "NTLM is not supported");
    // NegTokenInit offering NTLMSSP (1.3.6.1.4.1.311.2.2.10) with its NEGOTIATE as mechToken.
    Bytes spnego = {0x60, 0x30, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02, 0xa0, 0x26,
                    0x30, 0x24, 0xa0, 0x0e, 0x30, 0x0c, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04,
                    0x01, 0x82, 0x37, 0x02, 0x02, 0x0a, 0xa2, 0x12, 0x04, 0x10};
    spnego.insert(spnego.end(), ntlmssp.begin(), ntlmssp.end());
    CHECK_FALSE(provider.openBind(bindWith(bind, 9, 6, spnego), why));
    CHECK(why == "NTLM is not supported");
    CHECK(source.asked.empty());
  }
  SUBCASE("another auth type or level") {
    CHECK_FALSE(provider.openBind(bindWith(bind, 68, 6, authValueOf(bind)), why));
    CHECK(why == "auth_type 68 is not supported (Kerberos 16 and SPNEGO 9 are)");
    CHECK_FALSE(provider.openBind(bindWith(bind, 16, 2, authValueOf(bind)), why));
    CHECK(why == "auth_level 2 is not supported (packet integrity 5 and privacy 6 are)");
    CHECK_FALSE(provider.openBind(bindWith(bind, 16, 4, authValueOf(bind)), why));
    CHECK(why == "auth_level 4 is not supported (packet integrity 5 and privacy 6 are)");
    CHECK(source.asked.empty());
  }
  SUBCASE("an unsupported ticket enctype") {
    // The ticket's enc-part: etype 18 (a0 03 02 01 12), kvno 1; made camellia256 (26).
    Bytes b = bind;
    const Bytes etype = {0xa0, 0x03, 0x02, 0x01, 0x12, 0xa1, 0x03, 0x02, 0x01, 0x01, 0xa2};
    auto at = std::search(b.begin(), b.end(), etype.begin(), etype.end());
    REQUIRE(at != b.end());
    at[4] = 26;
    CHECK_FALSE(provider.openBind(b, why));
    CHECK(why == "the ticket's enctype is not supported (etype 26)");
    CHECK(source.asked.empty());
  }
  SUBCASE("not a bind, no authentication, a bind that does not frame") {
    CHECK_FALSE(provider.openBind(loadCase("aes_krb5")[0][1].bytes, why));
    CHECK(why == "not a bind");
    Bytes clear(bind.begin(), bind.begin() + 16);
    clear[8] = 16;
    clear[9] = 0;
    clear[10] = clear[11] = 0;
    CHECK_FALSE(provider.openBind(clear, why));
    CHECK(why == "the bind asks for no authentication");
    Bytes cut(bind.begin(), bind.end() - 1);
    CHECK_FALSE(provider.openBind(cut, why));
    CHECK(why == "bind: frag_length does not match the PDU");
  }
  SUBCASE("an import that does not decode") {
    CHECK_FALSE(provider.importContext(Bytes{1, 2, 3}, why));
    CHECK(why == "not an exported Kerberos context");
  }
}
