// The context the core hands the edge (secure/emapi/exported_context.h): a round trip keeps every
// field; every truncation, every cap and every unknown value is refused, from the header when the
// header says so; a refused frame leaves nothing imported.
#include "secure/emapi/exported_context.h"

#include <doctest/doctest.h>

#include "secure/emapi/kerberos_protected_association.h"
#include "tests/unit/secure/emapi/emapi_vectors.h"

using namespace bh;
using namespace bh::secure::emapi;
using namespace bh::secure::emapi::test;
using State = KerberosDceSession::State;

namespace {

KerberosDceSession::Context sampleContext() {
  KerberosDceSession::Context c;
  c.state = State::AwaitingAlterContextResp;
  c.authType = 9;
  c.authLevel = 6;
  c.authContextId = 0x01020304;
  c.keys.sessionKey = KeyBlock(18, Bytes(32, 0x11));
  c.keys.initiatorSubkey = KeyBlock(17, Bytes(16, 0x22));
  c.keys.acceptorSubkey = KeyBlock(23, Bytes(16, 0x33));
  c.keys.headerSigning = true;
  c.initiator = {0x0102030405060708u, 0x1112131415161718u};
  c.acceptor = {7, 9};
  return c;
}

/// Offsets in the frame (exported_context.h's layout).
constexpr size_t kBodyLenAt = 5;
constexpr size_t kStateAt = 7;
constexpr size_t kAuthTypeAt = 8;
constexpr size_t kLevelAt = 9;
constexpr size_t kFlagsAt = 14;
constexpr size_t kFirstKeyAt = 47;

std::string refusal(const Bytes& frame) {
  KerberosDceSession::Context c;
  ParseResult r = decodeExportedContext(frame, c);
  return r.status == ParseStatus::Error ? r.error : "(not refused)";
}

void setBodyLen(Bytes& f, size_t n) {
  f[kBodyLenAt] = static_cast<uint8_t>(n >> 8);
  f[kBodyLenAt + 1] = static_cast<uint8_t>(n);
}

}  // namespace

TEST_CASE("emapi exported context: a round trip keeps every field") {
  const auto c = sampleContext();
  const Bytes f = encodeExportedContext(c);
  REQUIRE(f.size() == 7 + 40 + 3 * 3 + 32 + 16 + 16);
  KerberosDceSession::Context d;
  ParseResult r = decodeExportedContext(f, d);
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.consumed == f.size());
  CHECK(d.state == c.state);
  CHECK(d.authType == 9);
  CHECK(d.authLevel == 6);
  CHECK(d.authContextId == 0x01020304);
  CHECK(d.keys.headerSigning);
  CHECK(d.keys.sessionKey.enctype == 18);
  CHECK(d.keys.sessionKey.value == c.keys.sessionKey.value);
  REQUIRE(d.keys.initiatorSubkey);
  CHECK(d.keys.initiatorSubkey->enctype == 17);
  CHECK(d.keys.initiatorSubkey->value == c.keys.initiatorSubkey->value);
  REQUIRE(d.keys.acceptorSubkey);
  CHECK(d.keys.acceptorSubkey->value == c.keys.acceptorSubkey->value);
  CHECK(d.initiator.received == c.initiator.received);
  CHECK(d.initiator.sent == c.initiator.sent);
  CHECK(d.acceptor.received == 7);
  CHECK(d.acceptor.sent == 9);
  CHECK(encodeExportedContext(d) == f);
  // Without subkeys.
  auto bare = sampleContext();
  bare.keys.initiatorSubkey.reset();
  bare.keys.acceptorSubkey.reset();
  bare.keys.headerSigning = false;
  const Bytes g = encodeExportedContext(bare);
  REQUIRE(decodeExportedContext(g, d).ok());
  CHECK_FALSE(d.keys.initiatorSubkey);
  CHECK_FALSE(d.keys.acceptorSubkey);
  CHECK_FALSE(d.keys.headerSigning);
}

TEST_CASE("emapi exported context: what cannot be carried is not encoded") {
  auto c = sampleContext();
  c.state = State::AwaitingBindAck;  // not keyed
  CHECK(encodeExportedContext(c).empty());
  c = sampleContext();
  c.keys.sessionKey = KeyBlock(18, Bytes(16, 1));  // the wrong size for aes256
  CHECK(encodeExportedContext(c).empty());
  c = sampleContext();
  c.keys.acceptorSubkey = KeyBlock(20, Bytes(32, 1));  // aes256-sha384: not sealed here
  CHECK(encodeExportedContext(c).empty());
  c = sampleContext();
  c.authType = 16;  // alter_context_resp awaited only with SPNEGO
  CHECK(encodeExportedContext(c).empty());
}

TEST_CASE("emapi exported context: every truncation and every trailing byte is refused") {
  const Bytes f = encodeExportedContext(sampleContext());
  Krb5Crypto crypto;
  for (size_t n = 0; n < f.size(); ++n) {
    CAPTURE(n);
    Bytes cut(f.begin(), f.begin() + static_cast<ptrdiff_t>(n));
    KerberosDceSession::Context c;
    ParseResult r = decodeExportedContext(cut, c);
    REQUIRE(r.status == ParseStatus::NeedMore);
    CHECK(r.needed > n);
    CHECK(r.needed == (n < 7 ? 7 : f.size()));
    std::string why;
    CHECK_FALSE(KerberosProtectedAssociation::importContext(crypto, cut, why));
    CHECK(why == "exported context cut short");
    // The frame cut and its length patched to fit: refused from the body.
    if (n >= 7) {
      setBodyLen(cut, n - 7);
      CHECK(decodeExportedContext(cut, c).status == ParseStatus::Error);
    }
  }
  Bytes longer = f;
  longer.push_back(0);
  std::string why;
  CHECK_FALSE(KerberosProtectedAssociation::importContext(crypto, longer, why));
  CHECK(why == "bytes after the exported context");
  setBodyLen(longer, longer.size() - 7);
  CHECK(refusal(longer) == "exported context: bytes after its keys");
}

TEST_CASE("emapi exported context: caps and unknown values are refused, caps from the header") {
  const Bytes f = encodeExportedContext(sampleContext());
  {
    // A body over the cap: refused from the 7-byte header alone.
    Bytes h(f.begin(), f.begin() + 7);
    setBodyLen(h, kMaxExportedContext - 7 + 1);
    CHECK(refusal(h) == "exported context over 256 bytes");
    setBodyLen(h, kMaxExportedContext - 7);
    KerberosDceSession::Context c;
    CHECK(decodeExportedContext(h, c).status == ParseStatus::NeedMore);
    setBodyLen(h, 0xffff);
    CHECK(refusal(h) == "exported context over 256 bytes");
  }
  {
    Bytes b = f;
    setBodyLen(b, 42);
    CHECK(refusal(b) == "exported context shorter than its fixed part");
  }
  {
    Bytes b = f;
    b[0] = 'X';
    CHECK(refusal(b) == "not an exported Kerberos context");
    CHECK(refusal(Bytes{'B', 'H', 'X'}) == "not an exported Kerberos context");
    b = f;
    b[4] = 2;
    CHECK(refusal(b) == "exported context version 2 is not known");
  }
  auto patched = [&](size_t at, uint8_t v) {
    Bytes b = f;
    b[at] = v;
    return refusal(b);
  };
  CHECK(patched(kStateAt, 0) == "exported context: not a keyed session's state");
  CHECK(patched(kStateAt, 4) == "exported context: not a keyed session's state");
  CHECK(patched(kAuthTypeAt, 10) == "exported context: auth_type 10 is not Kerberos");
  CHECK(patched(kAuthTypeAt, 16) == "exported context: alter_context_resp awaited without SPNEGO");
  CHECK(patched(kLevelAt, 4) == "exported context: auth_level 4 is neither integrity nor privacy");
  CHECK(patched(kFlagsAt, 0x0f) == "exported context: unknown flags");
  // The session key: length over the cap, the wrong size, an enctype this layer does not seal.
  CHECK(patched(kFirstKeyAt + 2, 33) == "exported context: a key over 32 bytes");
  CHECK(patched(kFirstKeyAt + 2, 0xff) == "exported context: a key over 32 bytes");
  CHECK(patched(kFirstKeyAt + 2, 16) ==
        "exported context: a key of 16 bytes for aes256-cts-hmac-sha1-96");
  CHECK(patched(kFirstKeyAt + 1, 20) ==
        "exported context: etype 20 is not an enctype this layer seals with");
  CHECK(patched(kFirstKeyAt, 1) ==
        "exported context: etype 274 is not an enctype this layer seals with");
  // A subkey flag without the subkey: the bytes run out inside the frame.
  {
    auto c = sampleContext();
    c.keys.acceptorSubkey.reset();
    Bytes b = encodeExportedContext(c);
    b[kFlagsAt] |= 0x04;
    CHECK(refusal(b) == "exported context: a key cut short");
  }
}

TEST_CASE(
    "emapi exported context: any one byte changed is refused or decodes to a context that "
    "encodes back to it") {
  const Bytes f = encodeExportedContext(sampleContext());
  for (size_t i = 0; i < f.size(); ++i) {
    for (uint8_t x : {0x01, 0x80, 0xff}) {
      Bytes b = f;
      b[i] ^= x;
      KerberosDceSession::Context c;
      ParseResult r = decodeExportedContext(b, c);
      if (r.ok()) {
        CHECK(encodeExportedContext(c) == Bytes(b.begin(), b.begin() + r.consumed));
      }
    }
  }
}
