// bh-sealed-rpc-probe: the encryption service's sealed DCE/RPC client (secure/sealed_rpc,
// secure/kerberos) against a real DC, as a blocking test tool. As IDENTITY with its password
// (from a file) or keytab: the DRSUAPI endpoint from the DC's endpoint mapper (ept_map on 135,
// mapi/epm), then a bind at packet privacy with Kerberos (auth_type 16) for SPN, IDL_DRSBind and
// IDL_DRSUnbind (MS-DRSR 4.1.3, 4.1.25; their stubs built here minimally). Prints one line per
// step ("epm: ...", "bind: ...", "DsBind: ok ...") or "FAILED <step> <NAME>: <text>" and exits
// 2 (credential), 3 (security context / bind), 4 (a call), 1 (usage, network). No password,
// key or ticket is printed.
//
// usage: bh-sealed-rpc-probe --dc ADDR --principal P (--password-file F | --keytab K)
//          --spn SPN [--max-xmit-frag N] [--port N (skip the endpoint mapper)]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mapi/dcerpc/pdu_codec.h"
#include "mapi/dcerpc/well_known.h"
#include "mapi/epm/ept_map.h"
#include "secure/kerberos/gss_credential.h"
#include "secure/kerberos/gss_dce_context.h"
#include "secure/sealed_rpc/sealed_association.h"

using namespace bh;
namespace dce = bh::mapi::dcerpc;
namespace epm = bh::mapi::epm;
namespace krb = bh::secure::kerberos;
namespace srpc = bh::secure::sealed_rpc;

namespace {

int failed(int code, const std::string& step, const std::string& why) {
  std::printf("FAILED %s %s\n", step.c_str(), why.c_str());
  std::fflush(stdout);
  return code;
}

class Connection {
 public:
  ~Connection() {
    if (fd_ >= 0) {
      close(fd_);
    }
  }
  bool open(const std::string& addr, uint16_t port) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (inet_pton(AF_INET, addr.c_str(), &sa.sin_addr) != 1) {
      return false;
    }
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0;
  }
  bool send(const Bytes& b) {
    size_t off = 0;
    while (off < b.size()) {
      ssize_t n = ::send(fd_, b.data() + off, b.size() - off, MSG_NOSIGNAL);
      if (n <= 0) {
        return false;
      }
      off += static_cast<size_t>(n);
    }
    return true;
  }
  /// One whole PDU (header first, then frag_length bytes).
  bool readPdu(Bytes& out) {
    out.clear();
    if (!readN(out, dce::kHeaderSize)) {
      return false;
    }
    size_t fragLength = (out[4] & 0x10) != 0 ? out[8] | (out[9] << 8) : (out[8] << 8) | out[9];
    if (fragLength < dce::kHeaderSize) {
      return false;
    }
    return readN(out, fragLength - dce::kHeaderSize);
  }

 private:
  bool readN(Bytes& out, size_t n) {
    size_t start = out.size();
    out.resize(start + n);
    size_t got = 0;
    while (got < n) {
      ssize_t r = recv(fd_, out.data() + start + got, n - got, 0);
      if (r <= 0) {
        return false;
      }
      got += static_cast<size_t>(r);
    }
    return true;
  }
  int fd_ = -1;
};

const dce::SyntaxId& drsuapi() {
  static const dce::SyntaxId id{*dce::Uuid::parse("e3514235-4b06-11d1-ab04-00c04fc2dcd2"), 4, 0};
  return id;
}

/// ept_map for DRSUAPI over ncacn_ip_tcp, unauthenticated, as every Windows client asks.
int lookupEndpoint(const std::string& dc, uint16_t& port) {
  Connection c;
  if (!c.open(dc, 135)) {
    return failed(1, "epm", "cannot connect to " + dc + ":135");
  }
  dce::Pdu bind;
  bind.header.ptype = dce::PType::Bind;
  bind.header.callId = 1;
  dce::Bind b;
  b.maxXmitFrag = 5840;
  b.maxRecvFrag = 5840;
  b.contexts.push_back({0, 0, dce::syntax::epm(), {dce::syntax::ndr()}});
  bind.body = b;
  Bytes in;
  dce::Pdu ack;
  if (!c.send(*dce::encodePdu(bind)) || !c.readPdu(in) || !dce::decodePdu(in, ack).ok() ||
      ack.ptype() != dce::PType::BindAck || ack.bindAck()->results.empty() ||
      ack.bindAck()->results[0].result != 0) {
    return failed(1, "epm", "the endpoint mapper did not accept the bind");
  }
  epm::EptMapRequest q;
  q.object = dce::Uuid{};
  q.mapTower.tower = epm::tcpIpTower(drsuapi(), dce::syntax::ndr(), 135, {0, 0, 0, 0});
  q.maxTowers = 4;
  dce::Pdu req;
  req.header.callId = 2;
  dce::Request r;
  r.opnum = epm::kEptMapOpnum;
  r.stub = *epm::encodeEptMapRequest(q, Endian::Little);
  r.allocHint = static_cast<uint32_t>(r.stub.size());
  req.body = r;
  dce::Pdu resp;
  if (!c.send(*dce::encodePdu(req)) || !c.readPdu(in) || !dce::decodePdu(in, resp).ok() ||
      resp.ptype() != dce::PType::Response) {
    return failed(1, "epm", "no ept_map response");
  }
  epm::EptMapResponse m;
  if (!epm::decodeEptMapResponse(resp.response()->stub, Endian::Little, m).ok()) {
    return failed(1, "epm", "the ept_map response does not decode");
  }
  auto ep = epm::mappedEndpoint(m);
  if (!ep) {
    return failed(1, "epm", "no DRSUAPI endpoint (status " + std::to_string(m.status) + ")");
  }
  port = ep->port;
  std::printf("epm: DRSUAPI %s at %s\n", drsuapi().toString().c_str(), ep->addressString().c_str());
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
int call(Connection& c, srpc::SealedClientAssociation& a, uint16_t opnum, const Bytes& stub,
         const char* name, Bytes& reply, size_t& fragmentsSent) {
  std::vector<Bytes> frags;
  if (!a.request(opnum, stub, frags)) {
    return failed(4, name, a.error().describe());
  }
  fragmentsSent = frags.size();
  for (const Bytes& f : frags) {
    if (!c.send(f)) {
      return failed(1, name, "send failed");
    }
  }
  Bytes in;
  while (!a.responseComplete()) {
    if (!c.readPdu(in)) {
      return failed(1, name, "the connection closed before the response");
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
  config.interface = drsuapi();
  if (opt.count("--max-xmit-frag")) {
    config.maxXmitFrag = static_cast<uint16_t>(std::stoi(opt["--max-xmit-frag"]));
  }
  srpc::SealedClientAssociation a(gss, config);
  Connection c;
  if (!c.open(opt["--dc"], port)) {
    return failed(1, "bind", "cannot connect to the DRSUAPI endpoint");
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
  if (!c.send(out) || !c.readPdu(in)) {
    return failed(1, "bind", "no answer to the bind");
  }
  Bytes auth3;
  if (!a.onBindAck(in, auth3).ok()) {
    return failed(3, "bind",
                  a.error().failure == srpc::AssociationFailure::Security
                      ? gss.lastStatus().describe()
                      : a.error().describe());
  }
  if (!c.send(auth3)) {
    return failed(1, "bind", "cannot send rpc_auth_3");
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
