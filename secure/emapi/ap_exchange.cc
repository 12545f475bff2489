#include "secure/emapi/ap_exchange.h"

namespace bh::secure::emapi {

ParseResult openApReq(const Krb5Crypto& crypto, ByteSpan apReq,
                      std::span<const encryption_service::ServiceKey> keys, OpenedApReq& out) {
  ApReq req;
  ParseResult r = decodeApReq(apReq, req);
  if (!r.ok()) {
    return r;
  }
  const int32_t etype = req.ticket.etype;
  const std::string tag = "etype " + std::to_string(etype) +
                          (req.ticket.kvno ? " kvno " + std::to_string(*req.ticket.kvno) : "");
  // The key of the ticket's kvno first; any key of its etype after (AD's kvno in a ticket can
  // lag a password change by a replication, RFC 4120 5.3 "kvno ... may be ignored").
  std::optional<Bytes> plain;
  bool anyKey = false;
  for (int pass = 0; pass < 2 && !plain; ++pass) {
    for (const auto& k : keys) {
      bool sameKvno = req.ticket.kvno && k.kvno == *req.ticket.kvno;
      if (k.etype != etype || (pass == 0) != sameKvno) {
        continue;
      }
      anyKey = true;
      plain = crypto.decrypt(KeyBlock(k.etype, k.value), kUsageTicket, req.ticket);
      if (plain) {
        out.ticketKvno = k.kvno;
        break;
      }
    }
  }
  if (!anyKey) {
    return ParseResult::fail("no service key for the ticket (" + tag + ")");
  }
  if (!plain) {
    return ParseResult::fail("the ticket does not decrypt with the service key (" + tag + ")");
  }
  EncTicketPart part;
  ParseResult t = decodeEncTicketPart(*plain, part);
  std::fill(plain->begin(), plain->end(), 0);
  if (!t.ok()) {
    return t;
  }
  std::optional<Bytes> authPlain =
      crypto.decrypt(part.sessionKey, kUsageAuthenticator, req.authenticator);
  if (!authPlain) {
    return ParseResult::fail("the authenticator does not decrypt with the ticket's session key");
  }
  Authenticator auth;
  ParseResult a = decodeAuthenticator(*authPlain, auth);
  std::fill(authPlain->begin(), authPlain->end(), 0);
  if (!a.ok()) {
    return a;
  }
  out.client = part.client;
  out.server = req.serverName + "@" + req.ticketRealm;
  out.ticketEtype = etype;
  if (!req.ticket.kvno) {
    out.ticketKvno = 0;
  }
  out.apOptions = req.apOptions;
  out.sessionKey = std::move(part.sessionKey);
  out.initiatorSubkey = std::move(auth.subkey);
  out.initiatorSeq = auth.seqNumber;
  out.gssFlags = gssChecksumFlags(auth).value_or(0);
  out.ctime = auth.ctime;
  out.cusec = auth.cusec;
  return r;
}

ParseResult openApRep(const Krb5Crypto& crypto, ByteSpan apRep, const KeyBlock& sessionKey,
                      OpenedApRep& out) {
  ApRep rep;
  ParseResult r = decodeApRep(apRep, rep);
  if (!r.ok()) {
    return r;
  }
  std::optional<Bytes> plain = crypto.decrypt(sessionKey, kUsageApRepEncPart, rep.encPart);
  if (!plain) {
    return ParseResult::fail("the AP-REP does not decrypt with the ticket's session key");
  }
  EncApRepPart part;
  ParseResult p = decodeEncApRepPart(*plain, part);
  std::fill(plain->begin(), plain->end(), 0);
  if (!p.ok()) {
    return p;
  }
  out.subkey = std::move(part.subkey);
  out.seq = part.seqNumber;
  out.ctime = part.ctime;
  out.cusec = part.cusec;
  return r;
}

}  // namespace bh::secure::emapi
