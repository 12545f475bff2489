// sim/rpc: exchange-sim's RpcServer with a Kerberos acceptor (RpcServerOptions::kerberosAcceptor)
// on loopback, driven by secure/sealed_rpc's client association, with the fake provider at both
// ends (tests/unit/secure/sealed_rpc/fake_server_security.h): the three legs, header signing
// echoed, requests unsealed before reassembly and responses sealed in fragments, and a tampered
// request or an AP-REQ that does not verify refused; SPNEGO's four legs (auth_type 9, the third in
// alter_context) and packet integrity, each way; an unknown auth type refused with C706's reason.
// The real GSS-API pair runs against the lab's KDC in tests/lab/sim_kerberos_test.sh.
#include <doctest/doctest.h>

#include <thread>

#include "mapi/dcerpc/pdu_codec.h"
#include "secure/sealed_rpc/sealed_association.h"
#include "sim/net.h"
#include "sim/rpc.h"
#include "tests/unit/secure/sealed_rpc/fake_server.h"
#include "tests/unit/secure/sealed_rpc/fake_server_security.h"

using namespace bh;
using namespace bh::sim;
namespace sr = bh::secure::sealed_rpc;

namespace {

/// Answers every call with its stub reversed, then as many bytes again of a pattern: responses
/// span several fragments when the request does.
class EchoInterface final : public RpcInterface {
 public:
  const SyntaxId& syntax() const override { return sr::test::drsuapiSyntax(); }
  std::optional<Bytes> call(uint16_t, ByteSpan stub, const CallInfo&, uint32_t&) override {
    return expected(stub);
  }
  static Bytes expected(ByteSpan stub) {
    Bytes out(stub.rbegin(), stub.rend());
    for (size_t i = 0; i < stub.size(); ++i) {
      out.push_back(static_cast<uint8_t>(i * 31 + 7));
    }
    return out;
  }
};

/// exchange-sim's server on a loopback port, serving one connection.
struct Server {
  EchoInterface echo;
  RpcServer server;
  Socket listener;
  std::thread thread;

  Server()
      : server({&echo}, [] {
          RpcServerOptions o;
          o.acceptAuth = AuthType::Kerberos;
          o.acceptLevel = AuthLevel::PktPrivacy;
          o.kerberosAcceptor = [] { return std::make_unique<sr::test::FakeServerSecurity>(); };
          o.spnegoAcceptor = [] { return std::make_unique<sr::test::FakeServerSecurity>(true); };
          return o;
        }()) {
    std::string error;
    auto l = listenTcp(0, &error);
    REQUIRE(l);
    listener = std::move(*l);
    thread = std::thread([this] {
      auto c = acceptTcp(listener);
      if (c) {
        server.serveConnection(*c);
      }
    });
  }
  ~Server() { thread.join(); }
};

/// Reads from `s` until `step` is done with the buffered bytes; false at EOF or error.
bool readUntil(Socket& s, Bytes& buffer, const std::function<ParseResult(ByteSpan)>& step) {
  uint8_t buf[4096];
  for (;;) {
    if (!buffer.empty()) {
      ParseResult r = step(buffer);
      if (r.status == ParseStatus::Error) {
        return false;
      }
      if (r.ok()) {
        buffer.erase(buffer.begin(), buffer.begin() + static_cast<ptrdiff_t>(r.consumed));
        return true;
      }
    }
    size_t n = s.readSome(buf, sizeof buf);
    if (n == 0) {
      return false;
    }
    buffer.insert(buffer.end(), buf, buf + n);
  }
}

struct Client {
  sr::test::FakeSecurity security;
  sr::SealedClientAssociation a;
  Socket socket;
  Bytes buffer;

  Client(uint16_t port, uint16_t maxFrag) : a(security, config(maxFrag)) {
    std::string error;
    auto s = connectTcp("127.0.0.1", port, &error);
    REQUIRE(s);
    socket = std::move(*s);
  }
  static sr::AssociationConfig config(uint16_t maxFrag) {
    sr::AssociationConfig c;
    c.interface = sr::test::drsuapiSyntax();
    c.maxXmitFrag = maxFrag;
    c.maxRecvFrag = maxFrag;
    return c;
  }
  bool bind(const std::function<void(Bytes&)>& mutate = nullptr) {
    Bytes bindPdu;
    REQUIRE(a.bind(bindPdu));
    if (mutate) {
      mutate(bindPdu);
    }
    REQUIRE(socket.writeAll(bindPdu));
    Bytes auth3;
    if (!readUntil(socket, buffer, [&](ByteSpan d) { return a.onBindAck(d, auth3); })) {
      return false;
    }
    if (!socket.writeAll(auth3)) {
      return false;
    }
    // SPNEGO: the third leg was an alter_context; its answer carries the fourth.
    return a.state() != sr::SealedClientAssociation::State::AlterContextSent ||
           readUntil(socket, buffer, [&](ByteSpan d) { return a.onAlterContextResp(d); });
  }
  std::optional<Bytes> call(ByteSpan stub, const std::function<void(Bytes&)>& mutate = nullptr) {
    std::vector<Bytes> fragments;
    REQUIRE(a.request(5, stub, fragments));
    for (Bytes& f : fragments) {
      if (mutate) {
        mutate(f);
      }
      REQUIRE(socket.writeAll(f));
    }
    while (!a.responseComplete()) {
      if (!readUntil(socket, buffer, [&](ByteSpan d) { return a.onResponse(d); })) {
        return std::nullopt;
      }
    }
    return a.takeResponse();
  }
};

Bytes pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) {
    b[i] = static_cast<uint8_t>(i * 5 + 1);
  }
  return b;
}

}  // namespace

TEST_CASE("exchange-sim's server binds a Kerberos client at packet privacy and seals its answers") {
  Server server;
  Client client(server.listener.localPort(), 1024);
  REQUIRE(client.bind());
  CHECK(client.a.headerSigning());  // offered by the client, echoed by the server
  for (size_t size : {size_t{0}, size_t{10}, size_t{900}, size_t{20000}}) {
    CAPTURE(size);
    const Bytes stub = pattern(size);
    auto reply = client.call(stub);
    REQUIRE(reply);
    CHECK(*reply == EchoInterface::expected(stub));
  }
  // Every request fragment was sealed by the client and verified in sequence by the server.
  CHECK(client.security.sealedPdus > 20);
  client.socket.close();
}

TEST_CASE("a request that does not verify ends the connection") {
  Server server;
  Client client(server.listener.localPort(), 5840);
  REQUIRE(client.bind());
  REQUIRE(client.call(pattern(100)));
  // A stub byte changed on the way: the server closes instead of answering.
  CHECK_FALSE(client.call(pattern(100), [](Bytes& f) { f[30] ^= 1; }));
}

TEST_CASE("an AP-REQ that does not verify gets bind_nak") {
  Server server;
  Client client(server.listener.localPort(), 5840);
  // The AP-REQ is the bind's last bytes (its auth_value): change its last one.
  CHECK_FALSE(client.bind([](Bytes& b) { b.back() ^= 1; }));
  CHECK(client.a.error().failure == sr::AssociationFailure::BindNak);
  CHECK(client.a.error().status == 9);  // MS-RPCE 2.2.2.5 invalid_checksum
  client.socket.close();
}

TEST_CASE("SPNEGO (four legs) and packet integrity, each way: bound, every call answered") {
  for (bool spnego : {false, true}) {
    for (bool integrity : {false, true}) {
      CAPTURE(spnego);
      CAPTURE(integrity);
      Server server;
      Client client(server.listener.localPort(), 2048);
      client.security.spnego = spnego;
      client.security.integrity = integrity;
      REQUIRE(client.bind());
      CHECK(client.a.state() == sr::SealedClientAssociation::State::Ready);
      CHECK(client.a.headerSigning());
      for (size_t size : {size_t{10}, size_t{5000}}) {
        const Bytes stub = pattern(size);
        auto reply = client.call(stub);
        REQUIRE(reply);
        CHECK(*reply == EchoInterface::expected(stub));
      }
      // At integrity a changed stub byte fails the server's check, as at privacy.
      CHECK_FALSE(client.call(pattern(100), [](Bytes& f) { f[30] ^= 1; }));
    }
  }
}

TEST_CASE("a bind of an auth type no acceptor speaks gets bind_nak 8") {
  Server server;
  Client client(server.listener.localPort(), 5840);
  // auth_type NTLM (10) in the sec_trailer: C706 12.6.3.1 authentication_type_not_recognized.
  CHECK_FALSE(client.bind([](Bytes& b) {
    const size_t authLength = b[10] | (b[11] << 8);
    b[b.size() - authLength - 8] = 10;
  }));
  CHECK(client.a.error().failure == sr::AssociationFailure::BindNak);
  CHECK(client.a.error().status == 8);
  client.socket.close();
}
