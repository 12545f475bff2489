// bh-sealed-rpc-probe: the encryption service's sealed DCE/RPC client (secure/sealed_rpc,
// secure/kerberos) against a real DC, as a blocking test tool. As IDENTITY with its password
// (from a file) or keytab: the DRSUAPI endpoint from the DC's endpoint mapper (ept_map on 135,
// the product's lookup, secure/encryption_service/drsuapi_endpoint.h, over the proxy's blocking
// SocketTransport), then a bind at packet privacy with Kerberos (auth_type 16) for SPN, IDL_DRSBind
// and IDL_DRSUnbind (MS-DRSR 4.1.3, 4.1.25; their stubs built here minimally). Prints one line per
// step ("epm: ...", "bind: ...", "DsBind: ok ...") or "FAILED <step> <NAME>: <text>" and exits
// 2 (credential), 3 (security context / bind), 4 (a call), 1 (usage, network). No password,
// key or ticket is printed.
//
// usage: bh-sealed-rpc-probe --dc ADDR --principal P (--password-file F | --keytab K)
//          --spn SPN [--max-xmit-frag N] [--port N (skip the endpoint mapper)]
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mapi/drsuapi/constants.h"
#include "proxy/encryption_service/socket_transport.h"
#include "secure/encryption_service/drsuapi_endpoint.h"
#include "secure/kerberos/gss_credential.h"
#include "secure/kerberos/gss_dce_context.h"
#include "secure/sealed_rpc/sealed_association.h"

using namespace bh;
namespace dce = bh::mapi::dcerpc;
namespace es = bh::secure::encryption_service;
namespace krb = bh::secure::kerberos;
namespace srpc = bh::secure::sealed_rpc;

namespace {

int failed(int code, const std::string& step, const std::string& why) {
  std::printf("FAILED %s %s\n", step.c_str(), why.c_str());
  std::fflush(stdout);
  return code;
}

/// The whole run's deadline: each step blocks at most until then.
bh::proxy::SocketTransport::Clock::time_point deadline() {
  return bh::proxy::SocketTransport::Clock::now() + std::chrono::seconds(30);
}

/// The DRSUAPI endpoint from the DC's endpoint mapper (secure/encryption_service's ept_map).
int lookupEndpoint(const std::string& dc, uint16_t& port) {
  bh::proxy::SocketTransport t(deadline());
  std::string why;
  auto ep = es::lookupDrsuapiEndpoint(t, dc, why);
  if (!ep) {
    return failed(1, "epm", why);
  }
  port = ep->port;
  std::printf("epm: DRSUAPI %s at %s\n", bh::mapi::drsuapi::drsuapiInterface().toString().c_str(),
              ep->addressString().c_str());
  return 0;
}

/// IDL_DRSBind's [in] stub (MS-DRSR 4.1.3.1): puuidClientDsa (unique, the NTDSAPI client GUID
/// e24d201a-4fd6-11d1-a3da-0000f875ae0d, MS-DRSR 5.138) and pextClient (unique DRS_EXTENSIONS,
/// a conformant struct: max_count, cb, rgb[cb]) holding a 28-byte DRS_EXTENSIONS_INT body
/// (dwFlags, SiteObjGuid, Pid, dwReplEpoch; MS-DRSR 5.39).
Bytes dsBindStub() {
  Bytes s;
  ByteWriter w(s);
  w.u32(0x00020000);  // referent of puuidClientDsa
  dce::Uuid::parse("e24d201a-4fd6-11d1-a3da-0000f875ae0d")->write(w);
  w.u32(0x00020004);  // referent of pextClient
  w.u32(28);          // conformance of rgb
  w.u32(28);          // cb
  // DRS_EXT_BASE | STRONG_ENCRYPTION | GETCHGREQ_V6 | GETCHGREQ_V8 | GETCHGREPLY_V6
  w.u32(0x00000001 | 0x00008000 | 0x00400000 | 0x01000000 | 0x04000000);
  w.zeros(16);  // SiteObjGuid
  w.u32(0);     // Pid
  w.u32(0);     // dwReplEpoch
  return s;
}

/// IDL_DRSBind's [out] stub: ppextServer (unique DRS_EXTENSIONS), phDrs (a 20-byte context
/// handle), the ULONG return value. @return false if it does not parse to its end.
bool parseDsBindReply(ByteSpan stub, Bytes& handle, uint32_t& ret, uint32_t& serverExtBytes) {
  ByteReader r(stub);
  if (r.u32() != 0) {
    uint32_t maxCount = r.u32();
    serverExtBytes = r.u32();
    if (maxCount != serverExtBytes) {
      return false;
    }
    r.skip(serverExtBytes);
    r.align(4);
  }
  ByteSpan h = r.take(20);
  handle.assign(h.begin(), h.end());
  ret = r.u32();
  return r.ok() && r.remaining() == 0;
}

/// One sealed call: the fragments out, the response fragments in.
int call(es::RpcTransport& c, srpc::SealedClientAssociation& a, uint16_t opnum, const Bytes& stub,
         const char* name, Bytes& reply, size_t& fragmentsSent) {
  std::vector<Bytes> frags;
  if (!a.request(opnum, stub, frags)) {
    return failed(4, name, a.error().describe());
  }
  fragmentsSent = frags.size();
  std::string why;
  for (const Bytes& f : frags) {
    if (!c.send(f, why)) {
      return failed(1, name, "send failed: " + why);
    }
  }
  Bytes in;
  while (!a.responseComplete()) {
    if (!es::readPdu(c, in, why)) {
      return failed(1, name, "no response: " + why);
    }
    ParseResult r = a.onResponse(in);
    if (!r.ok()) {
      return failed(4, name, a.error().describe());
    }
  }
  reply = a.takeResponse();
  return 0;
}

std::string hexOf(ByteSpan b) {
  return toHex(b);
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> opt;
  for (int i = 1; i + 1 < argc; i += 2) {
    opt[argv[i]] = argv[i + 1];
  }
  if (!opt.count("--dc") || !opt.count("--principal") || !opt.count("--spn") ||
      (!opt.count("--password-file") && !opt.count("--keytab"))) {
    std::fprintf(stderr,
                 "usage: bh-sealed-rpc-probe --dc ADDR --principal P (--password-file F | "
                 "--keytab K) --spn SPN [--max-xmit-frag N] [--port N]\n");
    return 1;
  }
  krb::GssStatus status;
  std::unique_ptr<krb::GssCredential> cred;
  if (opt.count("--password-file")) {
    std::ifstream f(opt["--password-file"]);
    std::string password;
    std::getline(f, password);
    if (!f && password.empty()) {
      return failed(1, "credential", "cannot read the password file");
    }
    cred = krb::GssCredential::withPassword(opt["--principal"], password, status);
  } else {
    cred = krb::GssCredential::withKeytab(opt["--principal"], opt["--keytab"], status);
  }
  if (!cred) {
    return failed(2, "credential", status.describe());
  }
  std::printf("credential: TGT for %s\n", cred->principal().c_str());

  uint16_t port = 0;
  if (opt.count("--port")) {
    port = static_cast<uint16_t>(std::stoi(opt["--port"]));
  } else if (int rc = lookupEndpoint(opt["--dc"], port); rc != 0) {
    return rc;
  }

  krb::GssDceContext gss(*cred, opt["--spn"]);
  srpc::AssociationConfig config;
  config.interface = bh::mapi::drsuapi::drsuapiInterface();
  if (opt.count("--max-xmit-frag")) {
    config.maxXmitFrag = static_cast<uint16_t>(std::stoi(opt["--max-xmit-frag"]));
  }
  srpc::SealedClientAssociation a(gss, config);
  bh::proxy::SocketTransport c(deadline());
  std::string why;
  if (!c.connect(opt["--dc"], port, why)) {
    return failed(1, "bind", why);
  }
  Bytes out;
  if (!a.bind(out)) {
    // The security provider's name of the cause, when it has one.
    return failed(3, "bind",
                  a.error().failure == srpc::AssociationFailure::Security
                      ? gss.lastStatus().describe()
                      : a.error().describe());
  }
  Bytes in;
  if (!c.send(out, why) || !es::readPdu(c, in, why)) {
    return failed(1, "bind", "no answer to the bind: " + why);
  }
  Bytes auth3;
  if (!a.onBindAck(in, auth3).ok()) {
    return failed(3, "bind",
                  a.error().failure == srpc::AssociationFailure::Security
                      ? gss.lastStatus().describe()
                      : a.error().describe());
  }
  if (!c.send(auth3, why)) {
    return failed(1, "bind", "cannot send rpc_auth_3: " + why);
  }
  std::printf(
      "bind: ok auth_type 16 level 6 target %s header_signing %s max_xmit_frag %u "
      "fragment_payload %zu\n",
      gss.target().c_str(), a.headerSigning() ? "yes" : "no", a.negotiatedXmitFrag(),
      a.fragmentPayload());

  Bytes reply;
  size_t sent = 0;
  if (int rc = call(c, a, 0, dsBindStub(), "DsBind", reply, sent); rc != 0) {
    return rc;
  }
  Bytes handle;
  uint32_t ret = 1;
  uint32_t extBytes = 0;
  if (!parseDsBindReply(reply, handle, ret, extBytes)) {
    return failed(4, "DsBind",
                  "the reply stub does not parse (" + std::to_string(reply.size()) + " bytes)");
  }
  if (ret != 0) {
    return failed(4, "DsBind", "return code " + std::to_string(ret));
  }
  // The handle is the DC's session cookie, not a secret of the identity.
  std::printf(
      "DsBind: ok return 0 request_fragments %zu reply %zu bytes server_extensions %u "
      "handle %s\n",
      sent, reply.size(), extBytes, hexOf(handle).c_str());

  if (int rc = call(c, a, 1, handle, "DsUnbind", reply, sent); rc != 0) {
    return rc;
  }
  ByteReader r(reply);
  r.skip(20);
  ret = r.u32();
  if (!r.ok() || r.remaining() != 0 || ret != 0) {
    return failed(
        4, "DsUnbind",
        "reply of " + std::to_string(reply.size()) + " bytes, return " + std::to_string(ret));
  }
  std::printf("DsUnbind: ok return 0\n");
  return 0;
}
