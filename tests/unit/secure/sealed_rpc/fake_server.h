#pragma once
// The server's side of a sealed association for tests: PDUs as a DC sends them (bind_ack with
// the AP-REP, bind_nak, fault, sealed response fragments), built with the mapi/dcerpc codec and
// sealed by the acceptor's FakeSecurity; and the server's reading of the client's requests.

#include <vector>

#include "mapi/dcerpc/pdu_codec.h"
#include "mapi/dcerpc/well_known.h"
#include "tests/unit/secure/sealed_rpc/fake_security.h"

namespace bh::secure::sealed_rpc::test {

namespace dce = mapi::dcerpc;

inline const dce::SyntaxId& drsuapiSyntax() {
  static const dce::SyntaxId id{*dce::Uuid::parse("e3514235-4b06-11d1-ab04-00c04fc2dcd2"), 4, 0};
  return id;
}

struct FakeServer {
  FakeSecurity security{true};
  bool headerSigning = true;
  uint16_t maxXmitFrag = 5840;
  uint16_t maxRecvFrag = 5840;
  /// The level of every verifier it writes (security.integrity follows it for the tests).
  dce::AuthLevel level = dce::AuthLevel::PktPrivacy;

  Bytes bindAck(uint32_t callId, Bytes apRep = fakeServerApRep(), uint16_t result = 0,
                uint16_t reason = 0, dce::AuthType type = dce::AuthType::Kerberos,
                bool withAuth = true) const {
    dce::Pdu p;
    p.header.ptype = dce::PType::BindAck;
    p.header.pfcFlags = static_cast<uint8_t>(dce::pfc::FirstFrag | dce::pfc::LastFrag |
                                             (headerSigning ? dce::pfc::SupportHeaderSign : 0));
    p.header.callId = callId;
    dce::BindAck a;
    a.maxXmitFrag = maxXmitFrag;
    a.maxRecvFrag = maxRecvFrag;
    a.assocGroupId = 0x1234;
    a.secondaryAddress = std::string("49153") + '\0';
    a.results.push_back({result, reason, dce::syntax::ndr()});
    p.body = a;
    if (withAuth) {
      Bytes plain = *dce::encodePdu(p);
      dce::AuthVerifier v;
      v.pad.assign(dce::authPadFor(plain.size()), 0);
      v.trailer.authType = type;
      v.trailer.authLevel = level;
      v.trailer.authContextId = 1;
      v.credentials = std::move(apRep);
      p.auth = v;
    }
    return *dce::encodePdu(p);
  }

  /// SPNEGO's fourth leg: alter_context_resp (no header signing flag, as Samba's) with `token`.
  Bytes alterContextResp(uint32_t callId, Bytes token = fakeFinalToken(),
                         dce::AuthType type = dce::AuthType::Spnego) const {
    dce::Pdu p;
    p.header.ptype = dce::PType::AlterContextResp;
    p.header.pfcFlags = dce::pfc::FirstFrag | dce::pfc::LastFrag;
    p.header.callId = callId;
    dce::BindAck a;
    a.maxXmitFrag = maxXmitFrag;
    a.maxRecvFrag = maxRecvFrag;
    a.assocGroupId = 0x1234;
    a.results.push_back({0, 0, dce::syntax::ndr()});
    p.body = a;
    Bytes plain = *dce::encodePdu(p);
    dce::AuthVerifier v;
    v.pad.assign(dce::authPadFor(plain.size()), 0);
    v.trailer.authType = type;
    v.trailer.authLevel = level;
    v.trailer.authContextId = 1;
    v.credentials = std::move(token);
    p.auth = v;
    return *dce::encodePdu(p);
  }

  static Bytes bindNak(uint32_t callId, uint16_t reason) {
    dce::Pdu p;
    p.header.ptype = dce::PType::BindNak;
    p.header.callId = callId;
    p.body = dce::BindNak{reason, {{5, 0}}};
    return *dce::encodePdu(p);
  }

  static Bytes fault(uint32_t callId, uint32_t status) {
    dce::Pdu p;
    p.header.ptype = dce::PType::Fault;
    p.header.pfcFlags = dce::pfc::FirstFrag | dce::pfc::LastFrag | dce::pfc::DidNotExecute;
    p.header.callId = callId;
    dce::Fault f;
    f.status = status;
    p.body = f;
    return *dce::encodePdu(p);
  }

  /// One sealed response fragment of `chunk`, padded to 16; allocHint as given.
  Bytes response(uint32_t callId, ByteSpan chunk, uint8_t flags, uint32_t allocHint,
                 uint16_t contextId = 0) {
    dce::Pdu p;
    p.header.ptype = dce::PType::Response;
    p.header.pfcFlags = flags;
    p.header.callId = callId;
    dce::Response r;
    r.allocHint = allocHint;
    r.contextId = contextId;
    r.stub.assign(chunk.begin(), chunk.end());
    p.body = r;
    const size_t pad = (16 - chunk.size() % 16) % 16;
    dce::AuthVerifier v;
    v.pad.assign(pad, 0);
    v.trailer.authType = security.authType();
    v.trailer.authLevel = level;
    v.trailer.authContextId = 1;
    v.credentials.assign(FakeSecurity::kTokenSize, 0);
    p.auth = v;
    Bytes b = *dce::encodePdu(p);
    const size_t dataEnd = 24 + chunk.size() + pad;
    std::span<uint8_t> all(b);
    ByteSpan pre = headerSigning ? ByteSpan(b).first(24) : ByteSpan();
    ByteSpan post = headerSigning ? ByteSpan(b).subspan(dataEnd, 8) : ByteSpan();
    security.seal(pre, all.subspan(24, chunk.size() + pad), post, all.subspan(dataEnd + 8));
    return b;
  }

  /// A whole response stub cut into fragments of at most `chunkSize` stub bytes.
  std::vector<Bytes> responses(uint32_t callId, ByteSpan stub, size_t chunkSize) {
    std::vector<Bytes> out;
    size_t off = 0;
    do {
      size_t n = std::min(chunkSize, stub.size() - off);
      uint8_t flags = static_cast<uint8_t>((off == 0 ? dce::pfc::FirstFrag : 0) |
                                           (off + n == stub.size() ? dce::pfc::LastFrag : 0));
      out.push_back(
          response(callId, stub.subspan(off, n), flags, static_cast<uint32_t>(stub.size() - off)));
      off += n;
    } while (off < stub.size());
    return out;
  }

  /// Unseals one request fragment as the server would; false if it does not verify.
  bool readRequest(const Bytes& frag, dce::Pdu& pdu, Bytes& plain) {
    if (!dce::decodePdu(frag, pdu).ok() || !pdu.auth || pdu.request() == nullptr) {
      return false;
    }
    Bytes b = frag;
    const size_t pad = pdu.auth->trailer.authPadLength;
    const size_t n = pdu.request()->stub.size() + pad;
    const size_t dataEnd = 24 + n;
    std::span<uint8_t> all(b);
    ByteSpan pre = headerSigning ? ByteSpan(b).first(24) : ByteSpan();
    ByteSpan post = headerSigning ? ByteSpan(b).subspan(dataEnd, 8) : ByteSpan();
    if (!security.unseal(pre, all.subspan(24, n), post, ByteSpan(b).subspan(dataEnd + 8))) {
      return false;
    }
    plain.assign(b.begin() + 24, b.begin() + static_cast<ptrdiff_t>(24 + n - pad));
    return true;
  }
};

}  // namespace bh::secure::sealed_rpc::test
