#include "sim/rpc.h"

#include <algorithm>

#include "mapi/dcerpc/pdu_codec.h"
#include "mapi/dcerpc/well_known.h"

namespace bh::sim {

using dcerpc::Pdu;
using dcerpc::PType;

namespace {

constexpr uint16_t kProviderRejection = 2;
constexpr uint16_t kAbstractSyntaxNotSupported = 1;
constexpr uint16_t kTransferSyntaxesNotSupported = 2;

dcerpc::Header replyHeader(const dcerpc::Header& request, PType type) {
  dcerpc::Header h;
  h.ptype = type;
  h.callId = request.callId;
  h.pfcFlags = dcerpc::pfc::FirstFrag | dcerpc::pfc::LastFrag;
  h.drep = request.drep;  // answer in the client's byte order
  return h;
}

bool sendPdu(Socket& s, const Pdu& pdu) {
  auto wire = dcerpc::encodePdu(pdu);
  return wire && s.writeAll(*wire);
}

}  // namespace

Bytes ntlmNegotiate() {
  // MS-NLMP 2.2.1.1: Signature, MessageType 1, NegotiateFlags (UNICODE, REQUEST_TARGET, NTLM,
  // ALWAYS_SIGN, EXTENDED_SESSIONSECURITY, 128, 56), empty DomainName and Workstation fields.
  Bytes out;
  ByteWriter w(out);
  const char sig[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
  w.bytes(ByteSpan(reinterpret_cast<const uint8_t*>(sig), 8));
  w.u32(1);
  w.u32(0xa0088205);
  w.zeros(16);
  return out;
}

Bytes ntlmAnonymousAuthenticate() {
  // MS-NLMP 2.2.1.3 for anonymous authentication (3.2.5.1.2): LmChallengeResponse Z(1), every
  // other field empty, NTLMSSP_NEGOTIATE_ANONYMOUS set; no Version, no MIC.
  Bytes out;
  ByteWriter w(out);
  const char sig[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
  w.bytes(ByteSpan(reinterpret_cast<const uint8_t*>(sig), 8));
  w.u32(3);
  const uint32_t payload = 64;
  w.u16(1);  // LmChallengeResponseFields: one zero byte
  w.u16(1);
  w.u32(payload);
  for (int i = 0; i < 5; ++i) {  // NtChallengeResponse, DomainName, UserName, Workstation,
    w.u16(0);                    // EncryptedRandomSessionKey: empty
    w.u16(0);
    w.u32(payload + 1);
  }
  w.u32(0xa0088a05);  // the NEGOTIATE's flags | NTLMSSP_NEGOTIATE_ANONYMOUS
  w.u8(0);
  return out;
}

Bytes ntlmChallenge(uint64_t serverChallenge) {
  // Signature, MessageType 2, TargetNameFields, NegotiateFlags, ServerChallenge, Reserved,
  // TargetInfoFields, Version (MS-NLMP 2.2.1.2); TargetName "SIM" and, as Windows sends, a
  // TargetInfo with MsvAvNbDomainName "SIM" and MsvAvNbComputerName "EXCHANGE" before MsvAvEOL
  // (NTLMv2 clients such as impacket build their response from these pairs).
  auto utf16 = [](const std::string& a) {
    Bytes b;
    for (char c : a) {
      b.push_back(static_cast<uint8_t>(c));
      b.push_back(0);
    }
    return b;
  };
  const Bytes target = utf16("SIM");
  Bytes info;
  ByteWriter iw(info);
  for (const auto& [id, value] : {std::pair<uint16_t, Bytes>{2, utf16("SIM")},
                                  std::pair<uint16_t, Bytes>{1, utf16("EXCHANGE")}}) {
    iw.u16(id);
    iw.u16(static_cast<uint16_t>(value.size()));
    iw.bytes(value);
  }
  iw.u32(0);  // MsvAvEOL
  Bytes out;
  ByteWriter w(out);
  const char sig[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
  w.bytes(ByteSpan(reinterpret_cast<const uint8_t*>(sig), 8));
  w.u32(2);
  uint32_t payload = 56;
  w.u16(static_cast<uint16_t>(target.size()));
  w.u16(static_cast<uint16_t>(target.size()));
  w.u32(payload);
  w.u32(0xe2898215);  // NTLMSSP_NEGOTIATE_56|KEY_EXCH|128|VERSION|TARGET_INFO|EXTENDED|...
  w.u64(serverChallenge);
  w.u64(0);
  w.u16(static_cast<uint16_t>(info.size()));
  w.u16(static_cast<uint16_t>(info.size()));
  w.u32(payload + static_cast<uint32_t>(target.size()));
  w.u8(10);  // Version: 10.0 build 17763, NTLMSSP_REVISION_W2K3
  w.u8(0);
  w.u16(17763);
  w.zeros(3);
  w.u8(15);
  w.bytes(target);
  w.bytes(info);
  return out;
}

bool receivePdu(Socket& socket, dcerpc::CoStream& stream, dcerpc::StreamPdu& out) {
  uint8_t buf[16384];
  for (;;) {
    ParseResult r = stream.next(out);
    if (r.ok()) {
      return true;
    }
    if (r.status == ParseStatus::Error) {
      return false;
    }
    size_t n = socket.readSome(buf, sizeof buf);
    if (n == 0) {
      return false;
    }
    (void)stream.feed(ByteSpan(buf, n));  // a framing error comes out of next()
  }
}

void RpcServer::serveConnection(Socket& socket) {
  CallInfo info{socket.localAddress(), socket.localPort()};
  std::map<uint16_t, RpcInterface*> contexts;
  uint16_t maxXmit = options_.maxFrag;
  // Calls of up to maxCallStub bytes, maxPendingCalls of them interleaved (PFC_CONC_MPX).
  dcerpc::CoStream stream(
      dcerpc::Sender::Client,
      dcerpc::StreamLimits{65535, options_.maxCallStub, options_.maxPendingCalls,
                           2 * options_.maxCallStub + (1u << 20)});
  for (;;) {
    dcerpc::StreamPdu item;
    if (!receivePdu(socket, stream, item)) {
      return;  // EOF, or C706 12.6.4: a malformed PDU ends the association
    }
    Pdu& pdu = item.pdu;
    switch (pdu.ptype()) {
      case PType::Bind:
      case PType::AlterContext: {
        const dcerpc::Bind& b = *pdu.bind();
        Pdu ack;
        bool isBind = pdu.ptype() == PType::Bind;
        // Authenticated binds: the configured type, at the configured level or above.
        if (isBind && pdu.auth &&
            (pdu.auth->trailer.authType != options_.acceptAuth ||
             options_.acceptAuth == AuthType::None ||
             static_cast<uint8_t>(pdu.auth->trailer.authLevel) <
                 static_cast<uint8_t>(options_.acceptLevel))) {
          ack.header = replyHeader(pdu.header, PType::BindNak);
          dcerpc::BindNak nak;
          nak.providerRejectReason = 9;  // authentication_type_not_recognized (C706 12.6.3.1)
          nak.versions.push_back({5, 0});
          ack.body = nak;
          sendPdu(socket, ack);
          continue;
        }
        ack.header = replyHeader(pdu.header, isBind ? PType::BindAck : PType::AlterContextResp);
        dcerpc::BindAck a;
        maxXmit = std::min<uint16_t>(b.maxRecvFrag, options_.maxFrag);
        maxXmit = std::max<uint16_t>(maxXmit, 1024);
        a.maxXmitFrag = maxXmit;
        a.maxRecvFrag = std::min<uint16_t>(b.maxXmitFrag, options_.maxFrag);
        a.assocGroupId = b.assocGroupId != 0 ? b.assocGroupId : nextAssocGroup_++;
        if (isBind) {
          a.secondaryAddress = std::to_string(info.localPort) + std::string(1, '\0');
        }
        for (const auto& ctx : b.contexts) {
          dcerpc::ContextResult res;
          if (!ctx.transferSyntaxes.empty() &&
              dcerpc::syntax::isBindTimeFeatureNegotiation(ctx.transferSyntaxes[0].uuid)) {
            // MS-RPCE 3.3.1.5.3: acknowledge, supporting "keep connection on orphan".
            res.result = static_cast<uint16_t>(dcerpc::ContextResultCode::NegotiateAck);
            res.reason = 0x0002;
            a.results.push_back(res);
            continue;
          }
          RpcInterface* iface = nullptr;
          for (RpcInterface* i : interfaces_) {
            if (i->syntax() == ctx.abstractSyntax) {
              iface = i;
            }
          }
          bool ndr = std::find(ctx.transferSyntaxes.begin(), ctx.transferSyntaxes.end(),
                               dcerpc::syntax::ndr()) != ctx.transferSyntaxes.end();
          if (iface != nullptr && ndr && contexts.size() < 64) {
            res.result = 0;
            res.transferSyntax = dcerpc::syntax::ndr();
            contexts[ctx.contextId] = iface;
          } else {
            res.result = kProviderRejection;
            res.reason =
                iface == nullptr ? kAbstractSyntaxNotSupported : kTransferSyntaxesNotSupported;
          }
          a.results.push_back(res);
        }
        ack.body = a;
        if (pdu.auth) {
          dcerpc::AuthVerifier v;
          v.trailer = pdu.auth->trailer;
          v.trailer.authPadLength = 0;
          v.pad.assign(dcerpc::authPadFor(0), 0);  // recomputed below
          if (pdu.auth->trailer.authType == AuthType::Ntlm) {
            v.credentials = ntlmChallenge(0x0123456789abcdefULL);
          } else {
            // Kerberos/SPNEGO: we hold no keys, so the token is a placeholder; the client gets
            // its bind_ack (enough for the hand-off cases) but cannot complete the context.
            v.credentials = Bytes(16, 0);
          }
          auto body = dcerpc::encodePdu(ack);
          v.pad.assign(body ? dcerpc::authPadFor(body->size()) : 0, 0);
          ack.auth = v;
        }
        if (!sendPdu(socket, ack)) {
          return;
        }
        break;
      }
      case PType::Request: {
        if (!item.call) {
          continue;  // a call's first fragments, or one cut off by co_cancel/orphaned
        }
        const Bytes& stub = item.call->stub;
        const uint16_t contextId = item.call->contextId;
        const uint16_t opnum = item.call->opnum;
        uint32_t fault = 0;
        std::optional<Bytes> out;
        auto ctx = contexts.find(contextId);
        if (ctx == contexts.end()) {
          fault = 0x1c010003;  // nca_s_unk_if
        } else {
          out = ctx->second->call(opnum, stub, info, fault);
        }
        if (!out) {
          Pdu f;
          f.header = replyHeader(pdu.header, PType::Fault);
          dcerpc::Fault fb;
          fb.contextId = contextId;
          fb.status = fault;
          f.body = fb;
          if (!sendPdu(socket, f)) {
            return;
          }
          continue;
        }
        // Fragment the response: each fragment's stub a multiple of 8 (C706 12.6.3.5).
        size_t room = ((maxXmit - dcerpc::kHeaderSize - 8u) / 8u) * 8u;
        size_t off = 0;
        do {
          size_t n = std::min(room, out->size() - off);
          Pdu r;
          r.header = replyHeader(pdu.header, PType::Response);
          r.header.pfcFlags =
              static_cast<uint8_t>((off == 0 ? dcerpc::pfc::FirstFrag : 0) |
                                   (off + n == out->size() ? dcerpc::pfc::LastFrag : 0));
          dcerpc::Response rb;
          rb.allocHint = static_cast<uint32_t>(out->size() - off);
          rb.contextId = contextId;
          rb.stub.assign(out->begin() + static_cast<std::ptrdiff_t>(off),
                         out->begin() + static_cast<std::ptrdiff_t>(off + n));
          r.body = std::move(rb);
          if (!sendPdu(socket, r)) {
            return;
          }
          off += n;
        } while (off < out->size());
        break;
      }
      case PType::Auth3:
      case PType::CoCancel:
      case PType::Orphaned:
        break;  // nothing to answer (MS-RPCE 2.2.2.10; C706 12.6.4.8, 12.6.4.11)
      default:
        return;  // shutdown, or a PDU a client must not send
    }
  }
}

bool RpcClient::connect(const std::string& host, uint16_t port, std::string* error) {
  auto s = connectTcp(host, port, error);
  if (!s) {
    return false;
  }
  socket_ = std::move(*s);
  return true;
}

bool RpcClient::send(const Pdu& pdu, std::string* error) {
  auto wire = dcerpc::encodePdu(pdu);
  if (!wire || !socket_.writeAll(*wire)) {
    *error = "send failed";
    return false;
  }
  sent_ += wire->size();
  if (recorder_) {
    recorder_(true, *wire);
  }
  return true;
}

bool RpcClient::bind(const SyntaxId& syntax, uint32_t assocGroup, std::string* error) {
  Pdu p;
  p.header.ptype = PType::Bind;
  p.header.callId = callId_++;
  dcerpc::Bind b;
  b.maxXmitFrag = 5840;
  b.maxRecvFrag = 5840;
  b.assocGroupId = assocGroup;
  b.contexts.push_back({0, 0, syntax, {dcerpc::syntax::ndr()}});
  p.body = b;
  constexpr uint32_t kAuthContextId = 79231;
  if (ntlmConnect_) {
    auto body = dcerpc::encodePdu(p);
    dcerpc::AuthVerifier v;
    v.trailer.authType = AuthType::Ntlm;
    v.trailer.authLevel = AuthLevel::Connect;
    v.trailer.authContextId = kAuthContextId;
    v.pad.assign(body ? dcerpc::authPadFor(body->size()) : 0, 0);
    v.credentials = ntlmNegotiate();
    p.auth = v;
  }
  if (!send(p, error)) {
    return false;
  }
  dcerpc::StreamPdu item;
  if (!receivePdu(socket_, fromServer_, item)) {
    *error = "no bind_ack";
    return false;
  }
  const Pdu& ack = item.pdu;
  received_ += item.raw.size();
  if (recorder_) {
    recorder_(false, item.raw);
  }
  const dcerpc::BindAck* a = ack.bindAck();
  if (ack.ptype() != PType::BindAck || a == nullptr || a->results.empty() ||
      a->results[0].result != 0) {
    *error = "bind refused";
    return false;
  }
  assocGroup_ = a->assocGroupId;
  maxXmit_ = a->maxRecvFrag;  // we never send more than the server receives
  if (ntlmConnect_) {
    if (!ack.auth || ack.auth->trailer.authType != AuthType::Ntlm ||
        ack.auth->credentials.size() < 12 ||
        !std::equal(ack.auth->credentials.begin(), ack.auth->credentials.begin() + 8, "NTLMSSP")) {
      *error = "bind_ack without an NTLM CHALLENGE";
      return false;
    }
    // rpc_auth_3: same call id as the bind, four bytes of pad, then the AUTHENTICATE.
    Pdu a3;
    a3.header.ptype = PType::Auth3;
    a3.header.callId = p.header.callId;
    a3.body = dcerpc::Auth3{{0x20, 0x20, 0x20, 0x20}};
    dcerpc::AuthVerifier v;
    v.trailer.authType = AuthType::Ntlm;
    v.trailer.authLevel = AuthLevel::Connect;
    v.trailer.authContextId = kAuthContextId;
    v.credentials = ntlmAnonymousAuthenticate();
    a3.auth = v;
    if (!send(a3, error)) {
      return false;
    }
  }
  return true;
}

std::optional<Bytes> RpcClient::call(uint16_t opnum, ByteSpan stub, std::string* error) {
  uint32_t id = callId_++;
  size_t room = ((maxXmit_ - dcerpc::kHeaderSize - 8u) / 8u) * 8u;
  size_t off = 0;
  do {
    size_t n = std::min(room, stub.size() - off);
    Pdu p;
    p.header.ptype = PType::Request;
    p.header.callId = id;
    p.header.pfcFlags = static_cast<uint8_t>((off == 0 ? dcerpc::pfc::FirstFrag : 0) |
                                             (off + n == stub.size() ? dcerpc::pfc::LastFrag : 0));
    dcerpc::Request q;
    q.allocHint = static_cast<uint32_t>(stub.size() - off);
    q.contextId = 0;
    q.opnum = opnum;
    q.stub.assign(stub.begin() + static_cast<std::ptrdiff_t>(off),
                  stub.begin() + static_cast<std::ptrdiff_t>(off + n));
    p.body = std::move(q);
    if (!send(p, error)) {
      return std::nullopt;
    }
    off += n;
  } while (off < stub.size());
  for (;;) {
    dcerpc::StreamPdu item;
    if (!receivePdu(socket_, fromServer_, item) || item.pdu.header.callId != id) {
      *error = "bad or missing response";
      return std::nullopt;
    }
    received_ += item.raw.size();
    if (recorder_) {
      recorder_(false, item.raw);
    }
    if (const auto* f = item.pdu.fault()) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "fault 0x%08x", f->status);
      *error = buf;
      return std::nullopt;
    }
    if (item.pdu.ptype() != PType::Response) {
      *error = "unexpected PDU";
      return std::nullopt;
    }
    if (item.call) {
      return std::move(item.call->stub);
    }
  }
}

}  // namespace bh::sim
