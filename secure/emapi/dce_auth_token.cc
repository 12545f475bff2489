#include "secure/emapi/dce_auth_token.h"

#include <algorithm>
#include <array>

#include "secure/emapi/der.h"

namespace bh::secure::emapi {

namespace {

// DER contents of the OIDs (RFC 1964 1.1, MS-KILE 3.1.5.1 "MS KRB5", RFC 4178 3).
constexpr std::array<uint8_t, 9> kKrb5Oid = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
constexpr std::array<uint8_t, 9> kMsKrb5Oid = {0x2a, 0x86, 0x48, 0x82, 0xf7,
                                               0x12, 0x01, 0x02, 0x02};
constexpr std::array<uint8_t, 6> kSpnegoOid = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};

template <size_t N>
bool is(ByteSpan oid, const std::array<uint8_t, N>& want) {
  return std::equal(oid.begin(), oid.end(), want.begin(), want.end());
}

/// A krb5 mechanism token: bare (6e / 6f) or RFC 2743 framed with TOK_ID 01 00 / 02 00.
bool readKrb5(ByteSpan t, DceAuthToken& out) {
  if (t.empty()) {
    return false;
  }
  if (t[0] == der::application(14) || t[0] == der::application(15)) {
    out.kind = t[0] == der::application(14) ? KrbToken::ApReq : KrbToken::ApRep;
    out.message = t;
    return true;
  }
  DerReader r(t);
  ByteSpan inner = r.expect(der::application(0));
  if (!r.ok() || !r.atEnd()) {
    return false;
  }
  DerReader in(inner);
  ByteSpan oid = in.expect(der::kOid);
  if (!in.ok() || !(is(oid, kKrb5Oid) || is(oid, kMsKrb5Oid)) || inner.size() - in.offset() < 2) {
    return false;
  }
  ByteSpan rest = inner.subspan(in.offset());
  uint16_t tokId = static_cast<uint16_t>(rest[0] << 8 | rest[1]);
  if (tokId != 0x0100 && tokId != 0x0200) {
    return false;
  }
  out.kind = tokId == 0x0100 ? KrbToken::ApReq : KrbToken::ApRep;
  out.message = rest.subspan(2);
  return true;
}

/// NegTokenInit (RFC 4178 4.2.1) contents of [0].
bool readNegTokenInit(ByteSpan t, DceAuthToken& out) {
  DerReader seq(DerReader(t).expect(der::kSequence));
  ByteSpan mech;
  ByteSpan mic;
  seq.optional(der::context(0), mech);  // mechTypes
  seq.optional(der::context(1), mech);  // reqFlags
  bool haveMech = false;
  if (seq.peekTag() == der::context(2)) {
    haveMech = readExplicitOctets(seq, der::context(2), mech);
  }
  if (seq.peekTag() == der::context(3)) {
    out.mechListMic = readExplicitOctets(seq, der::context(3), mic);
  }
  if (!seq.ok() || !seq.atEnd()) {
    return false;
  }
  return !haveMech || readKrb5(mech, out);
}

/// NegTokenResp (RFC 4178 4.2.2) contents of [1].
bool readNegTokenResp(ByteSpan t, DceAuthToken& out) {
  DerReader seq(DerReader(t).expect(der::kSequence));
  ByteSpan s;
  if (seq.peekTag() == der::context(0)) {
    DerReader e(seq.expect(der::context(0)));
    int64_t state = 0;
    if (!DerReader::integer(e.expect(der::kEnumerated), state) || !e.ok() || state < 0 ||
        state > 3) {
      return false;
    }
    out.negState = static_cast<int>(state);
  }
  seq.optional(der::context(1), s);  // supportedMech
  ByteSpan mech;
  bool haveMech = false;
  if (seq.peekTag() == der::context(2)) {
    haveMech = readExplicitOctets(seq, der::context(2), mech);
  }
  if (seq.peekTag() == der::context(3)) {
    ByteSpan mic;
    out.mechListMic = readExplicitOctets(seq, der::context(3), mic);
  }
  if (!seq.ok() || !seq.atEnd()) {
    return false;
  }
  return !haveMech || readKrb5(mech, out);
}

}  // namespace

ParseResult readDceAuthToken(uint8_t authType, ByteSpan authValue, DceAuthToken& out) {
  out = DceAuthToken{};
  if (authType == 16) {
    return readKrb5(authValue, out)
               ? ParseResult::done(authValue.size())
               : ParseResult::fail("auth_value is not a Kerberos AP-REQ/AP-REP");
  }
  if (authType != 9) {
    return ParseResult::fail("not a Kerberos auth_type");
  }
  DerReader r(authValue);
  bool ok = false;
  if (r.peekTag() == der::application(0)) {
    // InitialContextToken: the SPNEGO OID, then NegotiationToken [0] NegTokenInit.
    DerReader in(r.expect(der::application(0)));
    ByteSpan oid = in.expect(der::kOid);
    ByteSpan init = in.expect(der::context(0));
    ok = r.ok() && r.atEnd() && in.ok() && in.atEnd() && is(oid, kSpnegoOid) &&
         readNegTokenInit(init, out);
  } else if (r.peekTag() == der::context(1)) {
    ByteSpan resp = r.expect(der::context(1));
    ok = r.ok() && r.atEnd() && readNegTokenResp(resp, out);
  }
  return ok ? ParseResult::done(authValue.size())
            : ParseResult::fail("auth_value is not a SPNEGO token with Kerberos");
}

}  // namespace bh::secure::emapi
