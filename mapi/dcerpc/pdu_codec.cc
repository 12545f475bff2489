#include "mapi/dcerpc/pdu_codec.h"

#include <string>

namespace bh::mapi::dcerpc {
namespace {

ParseResult failWith(const char* why) {
  return ParseResult::fail(why);
}

void readContexts(ByteReader& r, Bind& b) {
  uint8_t n = r.u8();
  b.reserved = r.u8();
  b.reserved2 = r.u16();
  for (uint8_t i = 0; i < n && r.ok(); ++i) {
    ContextElement e;
    e.contextId = r.u16();
    uint8_t transfers = r.u8();
    e.reserved = r.u8();
    e.abstractSyntax = SyntaxId::read(r);
    for (uint8_t t = 0; t < transfers && r.ok(); ++t) {
      e.transferSyntaxes.push_back(SyntaxId::read(r));
    }
    b.contexts.push_back(std::move(e));
  }
}

bool decodeBody(ByteReader& r, const Header& h, Body& body) {
  switch (h.ptype) {
    case PType::Request: {
      Request q;
      q.allocHint = r.u32();
      q.contextId = r.u16();
      q.opnum = r.u16();
      if (h.has(pfc::ObjectUuid)) {
        q.object = Uuid::read(r);
      }
      ByteSpan stub = r.take(r.remaining());
      q.stub.assign(stub.begin(), stub.end());
      body = std::move(q);
      break;
    }
    case PType::Response: {
      Response p;
      p.allocHint = r.u32();
      p.contextId = r.u16();
      p.cancelCount = r.u8();
      p.reserved = r.u8();
      ByteSpan stub = r.take(r.remaining());
      p.stub.assign(stub.begin(), stub.end());
      body = std::move(p);
      break;
    }
    case PType::Fault: {
      Fault f;
      f.allocHint = r.u32();
      f.contextId = r.u16();
      f.cancelCount = r.u8();
      f.reserved = r.u8();
      f.status = r.u32();
      f.reserved2 = r.u32();
      ByteSpan stub = r.take(r.remaining());
      f.stub.assign(stub.begin(), stub.end());
      body = std::move(f);
      break;
    }
    case PType::Bind:
    case PType::AlterContext: {
      Bind b;
      b.maxXmitFrag = r.u16();
      b.maxRecvFrag = r.u16();
      b.assocGroupId = r.u32();
      readContexts(r, b);
      body = std::move(b);
      break;
    }
    case PType::BindAck:
    case PType::AlterContextResp: {
      BindAck a;
      a.maxXmitFrag = r.u16();
      a.maxRecvFrag = r.u16();
      a.assocGroupId = r.u32();
      uint16_t addrLength = r.u16();
      ByteSpan addr = r.take(addrLength);
      a.secondaryAddress.assign(addr.begin(), addr.end());
      r.align(4);  // p_result_list is 4-aligned from the PDU start (C706 12.6.4.4)
      uint8_t n = r.u8();
      a.reserved = r.u8();
      a.reserved2 = r.u16();
      for (uint8_t i = 0; i < n && r.ok(); ++i) {
        ContextResult c;
        c.result = r.u16();
        c.reason = r.u16();
        c.transferSyntax = SyntaxId::read(r);
        a.results.push_back(c);
      }
      body = std::move(a);
      break;
    }
    case PType::BindNak: {
      BindNak k;
      k.providerRejectReason = r.u16();
      if (r.remaining() > 0) {
        uint8_t n = r.u8();
        for (uint8_t i = 0; i < n && r.ok(); ++i) {
          ProtocolVersion v;
          v.major = r.u8();
          v.minor = r.u8();
          k.versions.push_back(v);
        }
      }
      body = std::move(k);
      break;
    }
    case PType::Auth3: {
      Auth3 a;
      ByteSpan pad = r.take(r.remaining());
      a.pad.assign(pad.begin(), pad.end());
      body = std::move(a);
      break;
    }
    case PType::Shutdown:
    case PType::CoCancel:
    case PType::Orphaned:
      body = Empty{};
      break;
  }
  return r.ok();
}

void writeContexts(ByteWriter& w, const Bind& b) {
  w.u8(static_cast<uint8_t>(b.contexts.size()));
  w.u8(b.reserved);
  w.u16(b.reserved2);
  for (const auto& e : b.contexts) {
    w.u16(e.contextId);
    w.u8(static_cast<uint8_t>(e.transferSyntaxes.size()));
    w.u8(e.reserved);
    e.abstractSyntax.write(w);
    for (const auto& t : e.transferSyntaxes) {
      t.write(w);
    }
  }
}

bool encodeBody(ByteWriter& w, const Header& h, const Body& body) {
  if (const auto* q = std::get_if<Request>(&body)) {
    w.u32(q->allocHint);
    w.u16(q->contextId);
    w.u16(q->opnum);
    if (q->object) {
      q->object->write(w);
    }
    w.bytes(q->stub);
  } else if (const auto* p = std::get_if<Response>(&body)) {
    w.u32(p->allocHint);
    w.u16(p->contextId);
    w.u8(p->cancelCount);
    w.u8(p->reserved);
    w.bytes(p->stub);
  } else if (const auto* f = std::get_if<Fault>(&body)) {
    w.u32(f->allocHint);
    w.u16(f->contextId);
    w.u8(f->cancelCount);
    w.u8(f->reserved);
    w.u32(f->status);
    w.u32(f->reserved2);
    w.bytes(f->stub);
  } else if (const auto* b = std::get_if<Bind>(&body)) {
    if (b->contexts.size() > 255) {
      return false;
    }
    for (const auto& e : b->contexts) {
      if (e.transferSyntaxes.size() > 255) {
        return false;
      }
    }
    w.u16(b->maxXmitFrag);
    w.u16(b->maxRecvFrag);
    w.u32(b->assocGroupId);
    writeContexts(w, *b);
  } else if (const auto* a = std::get_if<BindAck>(&body)) {
    if (a->results.size() > 255 || a->secondaryAddress.size() > 0xffff) {
      return false;
    }
    w.u16(a->maxXmitFrag);
    w.u16(a->maxRecvFrag);
    w.u32(a->assocGroupId);
    w.u16(static_cast<uint16_t>(a->secondaryAddress.size()));
    w.bytes(ByteSpan(reinterpret_cast<const uint8_t*>(a->secondaryAddress.data()),
                     a->secondaryAddress.size()));
    w.align(4);
    w.u8(static_cast<uint8_t>(a->results.size()));
    w.u8(a->reserved);
    w.u16(a->reserved2);
    for (const auto& c : a->results) {
      w.u16(c.result);
      w.u16(c.reason);
      c.transferSyntax.write(w);
    }
  } else if (const auto* k = std::get_if<BindNak>(&body)) {
    if (k->versions.size() > 255) {
      return false;
    }
    w.u16(k->providerRejectReason);
    w.u8(static_cast<uint8_t>(k->versions.size()));
    for (const auto& v : k->versions) {
      w.u8(v.major);
      w.u8(v.minor);
    }
  } else if (const auto* x = std::get_if<Auth3>(&body)) {
    w.bytes(x->pad);
  }
  (void)h;
  return true;
}

bool bodyMatchesType(PType t, const Body& body) {
  switch (t) {
    case PType::Request:
      return std::holds_alternative<Request>(body);
    case PType::Response:
      return std::holds_alternative<Response>(body);
    case PType::Fault:
      return std::holds_alternative<Fault>(body);
    case PType::Bind:
    case PType::AlterContext:
      return std::holds_alternative<Bind>(body);
    case PType::BindAck:
    case PType::AlterContextResp:
      return std::holds_alternative<BindAck>(body);
    case PType::BindNak:
      return std::holds_alternative<BindNak>(body);
    case PType::Auth3:
      return std::holds_alternative<Auth3>(body);
    case PType::Shutdown:
    case PType::CoCancel:
    case PType::Orphaned:
      return std::holds_alternative<Empty>(body);
  }
  return false;
}

}  // namespace

bool isConnectionOrientedPType(uint8_t ptype) {
  return ptype == 0 || ptype == 2 || ptype == 3 || (ptype >= 11 && ptype <= 19);
}

const char* ptypeName(PType ptype) {
  switch (ptype) {
    case PType::Request:
      return "request";
    case PType::Response:
      return "response";
    case PType::Fault:
      return "fault";
    case PType::Bind:
      return "bind";
    case PType::BindAck:
      return "bind_ack";
    case PType::BindNak:
      return "bind_nak";
    case PType::AlterContext:
      return "alter_context";
    case PType::AlterContextResp:
      return "alter_context_resp";
    case PType::Auth3:
      return "auth3";
    case PType::Shutdown:
      return "shutdown";
    case PType::CoCancel:
      return "co_cancel";
    case PType::Orphaned:
      return "orphaned";
  }
  return "unknown";
}

std::string BindAck::port() const {
  std::string p = secondaryAddress;
  while (!p.empty() && p.back() == '\0') {
    p.pop_back();
  }
  return p;
}

size_t minBodySize(PType ptype, uint8_t pfcFlags) {
  switch (ptype) {
    case PType::Request:
      return (pfcFlags & pfc::ObjectUuid) != 0 ? 24 : 8;
    case PType::Response:
      return 8;
    case PType::Fault:
      return 16;
    case PType::Bind:
    case PType::AlterContext:
      return 12;
    case PType::BindAck:
    case PType::AlterContextResp:
      return 16;  // 8 fixed + sec_addr length 2 + pad 2 + p_result_list header 4
    case PType::BindNak:
      return 2;
    case PType::Auth3:
    case PType::Shutdown:
    case PType::CoCancel:
    case PType::Orphaned:
      return 0;
  }
  return 0;
}

ParseResult frameHeader(ByteSpan data, const FrameLimits& limits, Header& out) {
  if (data.size() < kHeaderSize) {
    return ParseResult::needMore(kHeaderSize);
  }
  ByteReader r(data.first(kHeaderSize));
  Header h;
  h.rpcVers = r.u8();
  h.rpcVersMinor = r.u8();
  uint8_t ptype = r.u8();
  h.pfcFlags = r.u8();
  ByteSpan drep = r.take(4);
  for (size_t i = 0; i < 4; ++i) {
    h.drep[i] = drep[i];
  }
  r.setEndian(h.endian());  // C706 12.6.3.1: frag_length onwards follow drep
  h.fragLength = r.u16();
  h.authLength = r.u16();
  h.callId = r.u32();
  if (h.rpcVers != 5) {
    return failWith("rpc_vers is not 5");
  }
  if (h.rpcVersMinor > 1) {
    return failWith("rpc_vers_minor is not 0 or 1");
  }
  if (!isConnectionOrientedPType(ptype)) {
    return failWith("not a connection-oriented PTYPE");
  }
  h.ptype = static_cast<PType>(ptype);
  size_t needed = kHeaderSize + minBodySize(h.ptype, h.pfcFlags);
  if (h.authLength > 0) {
    needed += kSecTrailerSize + h.authLength;
  }
  if (h.fragLength < needed) {
    return failWith("frag_length shorter than the PDU's fixed part and auth trailer");
  }
  if (h.fragLength > limits.maxFragLength) {
    return failWith("frag_length above the fragment cap");
  }
  out = h;
  return ParseResult::done(h.fragLength);
}

ParseResult decodePdu(ByteSpan data, Pdu& out, const FrameLimits& limits) {
  Header h;
  ParseResult framed = frameHeader(data, limits, h);
  if (!framed.ok()) {
    return framed;
  }
  if (data.size() < h.fragLength) {
    return ParseResult::needMore(h.fragLength);
  }
  ByteSpan frame = data.first(h.fragLength);
  const size_t bodyStart = kHeaderSize;
  const size_t minBody = minBodySize(h.ptype, h.pfcFlags);
  size_t contentEnd = h.fragLength;
  std::optional<AuthVerifier> auth;
  if (h.authLength > 0) {
    // The sec_trailer sits right before the auth_value at the end (MS-RPCE 2.2.2.11); the pad
    // it announces sits right before it and is not stub data.
    size_t trailerStart = h.fragLength - h.authLength - kSecTrailerSize;
    ByteReader t(frame.subspan(trailerStart), h.endian());
    AuthVerifier v;
    v.trailer.authType = static_cast<AuthType>(t.u8());
    v.trailer.authLevel = static_cast<AuthLevel>(t.u8());
    v.trailer.authPadLength = t.u8();
    v.trailer.authReserved = t.u8();
    v.trailer.authContextId = t.u32();
    ByteSpan cred = t.take(h.authLength);
    if (!t.ok()) {
      return failWith("sec_trailer truncated");
    }
    if (v.trailer.authPadLength > trailerStart - bodyStart - minBody) {
      return failWith("auth_pad_length reaches into the PDU's fixed part");
    }
    contentEnd = trailerStart - v.trailer.authPadLength;
    ByteSpan pad = frame.subspan(contentEnd, v.trailer.authPadLength);
    v.pad.assign(pad.begin(), pad.end());
    v.credentials.assign(cred.begin(), cred.end());
    auth = std::move(v);
  }
  ByteReader r(frame.first(contentEnd), h.endian());
  r.skip(bodyStart);
  Pdu pdu;
  pdu.header = h;
  if (!decodeBody(r, h, pdu.body)) {
    return ParseResult::fail(std::string(ptypeName(h.ptype)) + " body truncated");
  }
  ByteSpan extra = r.take(r.remaining());
  pdu.extra.assign(extra.begin(), extra.end());
  pdu.auth = std::move(auth);
  out = std::move(pdu);
  return ParseResult::done(h.fragLength);
}

std::optional<Bytes> encodePdu(const Pdu& pdu) {
  const Header& h = pdu.header;
  if (!bodyMatchesType(h.ptype, pdu.body)) {
    return std::nullopt;
  }
  Bytes out;
  ByteWriter w(out, h.endian());
  uint8_t flags = h.pfcFlags;
  if (h.ptype == PType::Request) {
    const auto& q = std::get<Request>(pdu.body);
    flags = q.object ? static_cast<uint8_t>(flags | pfc::ObjectUuid)
                     : static_cast<uint8_t>(flags & ~pfc::ObjectUuid);
  }
  w.u8(h.rpcVers);
  w.u8(h.rpcVersMinor);
  w.u8(static_cast<uint8_t>(h.ptype));
  w.u8(flags);
  w.bytes(h.drep);
  w.u16(0);  // frag_length, patched below
  w.u16(0);  // auth_length, patched below
  w.u32(h.callId);
  if (!encodeBody(w, h, pdu.body)) {
    return std::nullopt;
  }
  w.bytes(pdu.extra);
  uint16_t authLength = 0;
  if (pdu.auth) {
    const AuthVerifier& v = *pdu.auth;
    if (v.pad.size() > 255 || v.credentials.size() > 0xffff || v.credentials.empty()) {
      return std::nullopt;
    }
    w.bytes(v.pad);
    w.u8(static_cast<uint8_t>(v.trailer.authType));
    w.u8(static_cast<uint8_t>(v.trailer.authLevel));
    w.u8(static_cast<uint8_t>(v.pad.size()));
    w.u8(v.trailer.authReserved);
    w.u32(v.trailer.authContextId);
    w.bytes(v.credentials);
    authLength = static_cast<uint16_t>(v.credentials.size());
  }
  if (out.size() > 0xffff) {
    return std::nullopt;
  }
  w.patch16(8, static_cast<uint16_t>(out.size()));
  w.patch16(10, authLength);
  return out;
}

namespace {
bool littleEndian(ByteSpan pdu) {
  return pdu.size() > 4 && (pdu[4] & 0x10) != 0;
}
}  // namespace

uint32_t callIdOf(ByteSpan pdu) {
  if (pdu.size() < kHeaderSize) {
    return 0;
  }
  ByteReader r(pdu.subspan(12, 4), littleEndian(pdu) ? Endian::Little : Endian::Big);
  return r.u32();
}

void setCallId(Bytes& pdu, uint32_t callId) {
  if (pdu.size() < kHeaderSize) {
    return;
  }
  bool le = littleEndian(pdu);
  for (int i = 0; i < 4; ++i) {
    int shift = le ? 8 * i : 8 * (3 - i);
    pdu[12 + static_cast<size_t>(i)] = static_cast<uint8_t>(callId >> shift);
  }
}

PType ptypeOf(ByteSpan pdu) {
  return static_cast<PType>(pdu.size() > 2 ? pdu[2] : 0);
}

uint8_t pfcFlagsOf(ByteSpan pdu) {
  return pdu.size() > 3 ? pdu[3] : 0;
}

}  // namespace bh::mapi::dcerpc
