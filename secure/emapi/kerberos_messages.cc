#include "secure/emapi/kerberos_messages.h"

#include <openssl/crypto.h>

#include "secure/emapi/der.h"

namespace bh::secure::emapi {

KeyBlock::~KeyBlock() {
  if (!value.empty()) {
    OPENSSL_cleanse(value.data(), value.size());
  }
}

namespace {

constexpr int64_t kPvno = 5;
constexpr int64_t kMsgApReq = 14;
constexpr int64_t kMsgApRep = 15;

/// Frames the outermost element: Done(size), NeedMore(size) or Error, checked against the cap
/// before the caller waits for the rest.
ParseResult frame(ByteSpan data, uint8_t tag) {
  if (data.size() < 2) {
    return ParseResult::needMore(2);
  }
  if (data[0] != tag) {
    return ParseResult::fail("not the expected Kerberos message");
  }
  DerReader r(data);
  size_t size = r.firstElementSize();
  if (size == 0) {
    // The length octets themselves are cut (long form) or malformed.
    if ((data[1] & 0x80) != 0 && (data[1] & 0x7f) >= 1 && (data[1] & 0x7f) <= 4) {
      return ParseResult::needMore(2 + (data[1] & 0x7f));
    }
    return ParseResult::fail("bad DER length");
  }
  if (size > kMaxApMessage) {
    return ParseResult::fail("Kerberos message larger than its cap");
  }
  if (size > data.size()) {
    return ParseResult::needMore(size);
  }
  return ParseResult::done(size);
}

bool readString(DerReader& r, uint8_t tag, std::string& out) {
  DerReader inner(r.expect(tag));
  ByteSpan s = inner.expect(der::kGeneralString);
  if (!r.ok() || !inner.ok() || !inner.atEnd()) {
    r.fail();
    return false;
  }
  out.assign(s.begin(), s.end());
  return true;
}

/// PrincipalName (RFC 4120 5.2.2) as "a/b".
bool readPrincipal(DerReader& r, uint8_t tag, std::string& out) {
  DerReader seq(DerReader(r.expect(tag)).expect(der::kSequence));
  int64_t type = 0;
  readExplicitInteger(seq, der::context(0), type);
  DerReader names(DerReader(seq.expect(der::context(1))).expect(der::kSequence));
  if (!r.ok() || !seq.ok()) {
    r.fail();
    return false;
  }
  out.clear();
  size_t n = 0;
  while (!names.atEnd()) {
    ByteSpan s = names.expect(der::kGeneralString);
    if (!names.ok() || ++n > kMaxNameComponents) {
      r.fail();
      return false;
    }
    if (!out.empty()) {
      out += '/';
    }
    out.append(s.begin(), s.end());
  }
  return names.ok() && n > 0;
}

bool readEncryptedData(DerReader& r, uint8_t tag, EncryptedData& out) {
  DerReader seq(DerReader(r.expect(tag)).expect(der::kSequence));
  int64_t etype = 0;
  readExplicitInteger(seq, der::context(0), etype);
  out.kvno.reset();
  if (seq.peekTag() == der::context(1)) {
    int64_t kvno = 0;
    if (readExplicitInteger(seq, der::context(1), kvno)) {
      out.kvno = static_cast<uint32_t>(kvno);
    }
  }
  readExplicitOctets(seq, der::context(2), out.cipher);
  out.etype = static_cast<int32_t>(etype);
  if (!r.ok() || !seq.ok() || !seq.atEnd() || etype < INT32_MIN || etype > INT32_MAX) {
    r.fail();
    return false;
  }
  return true;
}

bool readKey(DerReader& r, uint8_t tag, KeyBlock& out) {
  DerReader seq(DerReader(r.expect(tag)).expect(der::kSequence));
  int64_t type = 0;
  ByteSpan value;
  readExplicitInteger(seq, der::context(0), type);
  readExplicitOctets(seq, der::context(1), value);
  if (!r.ok() || !seq.ok() || value.empty() || value.size() > 64) {
    r.fail();
    return false;
  }
  out.enctype = static_cast<int32_t>(type);
  out.value.assign(value.begin(), value.end());
  return true;
}

bool readTime(DerReader& r, uint8_t tag, std::string& out) {
  DerReader inner(r.expect(tag));
  ByteSpan t = inner.expect(der::kGeneralizedTime);
  if (!r.ok() || !inner.ok() || t.size() > 32) {
    r.fail();
    return false;
  }
  out.assign(t.begin(), t.end());
  return true;
}

bool readSeq(DerReader& r, uint8_t tag, std::optional<uint32_t>& out) {
  int64_t v = 0;
  if (!readExplicitInteger(r, tag, v)) {
    return false;
  }
  // Heimdal and MIT send sequence numbers as 32-bit values, some as negative INTEGERs (RFC
  // 4120 5.5.1 says 0..2^32-1; MIT's krb5 code masks to 32 bits as well).
  out = static_cast<uint32_t>(static_cast<uint64_t>(v));
  return true;
}

/// Skips [tag] fields we do not need, in order, if present.
void skipIf(DerReader& r, uint8_t tag) {
  if (r.peekTag() == tag) {
    r.skip();
  }
}

}  // namespace

ParseResult decodeApReq(ByteSpan data, ApReq& out) {
  ParseResult f = frame(data, der::application(14));
  if (!f.ok()) {
    return f;
  }
  DerReader seq(DerReader(data.first(f.consumed)).expect(der::application(14)));
  DerReader body(seq.expect(der::kSequence));
  int64_t pvno = 0;
  int64_t type = 0;
  readExplicitInteger(body, der::context(0), pvno);
  readExplicitInteger(body, der::context(1), type);
  DerReader opts(body.expect(der::context(2)));
  ByteSpan bits = opts.expect(der::kBitString);
  // Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno[0], realm[1], sname[2], enc-part[3] }
  DerReader tkt(DerReader(DerReader(body.expect(der::context(3))).expect(der::application(1)))
                    .expect(der::kSequence));
  int64_t tktVno = 0;
  readExplicitInteger(tkt, der::context(0), tktVno);
  readString(tkt, der::context(1), out.ticketRealm);
  readPrincipal(tkt, der::context(2), out.serverName);
  readEncryptedData(tkt, der::context(3), out.ticket);
  readEncryptedData(body, der::context(4), out.authenticator);
  if (!seq.ok() || !body.ok() || !opts.ok() || !tkt.ok() || !tkt.atEnd() || !body.atEnd()) {
    return ParseResult::fail("malformed AP-REQ");
  }
  if (pvno != kPvno || type != kMsgApReq || tktVno != kPvno) {
    return ParseResult::fail("AP-REQ with a wrong pvno or msg-type");
  }
  // KerberosFlags: unused-bits octet, then at least 32 bits (RFC 4120 5.2.8).
  if (bits.size() < 5) {
    return ParseResult::fail("AP-REQ ap-options shorter than 32 bits");
  }
  out.apOptions =
      uint32_t{bits[1]} << 24 | uint32_t{bits[2]} << 16 | uint32_t{bits[3]} << 8 | bits[4];
  return f;
}

ParseResult decodeApRep(ByteSpan data, ApRep& out) {
  ParseResult f = frame(data, der::application(15));
  if (!f.ok()) {
    return f;
  }
  DerReader seq(DerReader(data.first(f.consumed)).expect(der::application(15)));
  DerReader body(seq.expect(der::kSequence));
  int64_t pvno = 0;
  int64_t type = 0;
  readExplicitInteger(body, der::context(0), pvno);
  readExplicitInteger(body, der::context(1), type);
  readEncryptedData(body, der::context(2), out.encPart);
  if (!seq.ok() || !body.ok() || !body.atEnd()) {
    return ParseResult::fail("malformed AP-REP");
  }
  if (pvno != kPvno || type != kMsgApRep) {
    return ParseResult::fail("AP-REP with a wrong pvno or msg-type");
  }
  return f;
}

ParseResult decodeEncTicketPart(ByteSpan plain, EncTicketPart& out) {
  DerReader outer(plain);
  DerReader body(DerReader(outer.expect(der::application(3))).expect(der::kSequence));
  skipIf(body, der::context(0));  // flags
  readKey(body, der::context(1), out.sessionKey);
  std::string realm;
  std::string name;
  readString(body, der::context(2), realm);
  readPrincipal(body, der::context(3), name);
  if (!outer.ok() || !body.ok()) {
    return ParseResult::fail("malformed EncTicketPart");
  }
  // transited, authtime, starttime, endtime, renew-till, caddr, authorization-data (the PAC):
  // not needed to open the session; walked only to check the part is well formed.
  while (!body.atEnd()) {
    body.skip();
  }
  if (!body.ok()) {
    return ParseResult::fail("malformed EncTicketPart");
  }
  out.client = name + "@" + realm;
  return ParseResult::done(outer.offset());
}

ParseResult decodeAuthenticator(ByteSpan plain, Authenticator& out) {
  DerReader outer(plain);
  DerReader body(DerReader(outer.expect(der::application(2))).expect(der::kSequence));
  int64_t vno = 0;
  std::string realm;
  std::string name;
  readExplicitInteger(body, der::context(0), vno);
  readString(body, der::context(1), realm);
  readPrincipal(body, der::context(2), name);
  out.checksum.reset();
  if (body.peekTag() == der::context(3)) {
    DerReader ck(DerReader(body.expect(der::context(3))).expect(der::kSequence));
    int64_t type = 0;
    ByteSpan value;
    readExplicitInteger(ck, der::context(0), type);
    readExplicitOctets(ck, der::context(1), value);
    if (!ck.ok()) {
      return ParseResult::fail("malformed Authenticator checksum");
    }
    out.checksum = Checksum{static_cast<int32_t>(type), Bytes(value.begin(), value.end())};
  }
  readExplicitInteger(body, der::context(4), out.cusec);
  readTime(body, der::context(5), out.ctime);
  out.subkey.reset();
  if (body.peekTag() == der::context(6)) {
    out.subkey.emplace();
    readKey(body, der::context(6), *out.subkey);
  }
  out.seqNumber.reset();
  if (body.peekTag() == der::context(7)) {
    readSeq(body, der::context(7), out.seqNumber);
  }
  skipIf(body, der::context(8));  // authorization-data (etype negotiation, RFC 4537)
  if (!outer.ok() || !body.ok() || !body.atEnd() || vno != kPvno) {
    return ParseResult::fail("malformed Authenticator");
  }
  return ParseResult::done(outer.offset());
}

ParseResult decodeEncApRepPart(ByteSpan plain, EncApRepPart& out) {
  DerReader outer(plain);
  DerReader body(DerReader(outer.expect(der::application(27))).expect(der::kSequence));
  readTime(body, der::context(0), out.ctime);
  readExplicitInteger(body, der::context(1), out.cusec);
  out.subkey.reset();
  if (body.peekTag() == der::context(2)) {
    out.subkey.emplace();
    readKey(body, der::context(2), *out.subkey);
  }
  out.seqNumber.reset();
  if (body.peekTag() == der::context(3)) {
    readSeq(body, der::context(3), out.seqNumber);
  }
  if (!outer.ok() || !body.ok() || !body.atEnd()) {
    return ParseResult::fail("malformed EncAPRepPart");
  }
  return ParseResult::done(outer.offset());
}

std::optional<uint32_t> gssChecksumFlags(const Authenticator& a) {
  // RFC 4121 4.1.1: Lgth(4) Bnd(16) Flags(4), little-endian.
  if (!a.checksum || a.checksum->type != kGssChecksumType || a.checksum->value.size() < 24) {
    return std::nullopt;
  }
  const Bytes& v = a.checksum->value;
  return uint32_t{v[20]} | uint32_t{v[21]} << 8 | uint32_t{v[22]} << 16 | uint32_t{v[23]} << 24;
}

}  // namespace bh::secure::emapi
