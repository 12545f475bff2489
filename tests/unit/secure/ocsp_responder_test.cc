// OCSP against Debian's own responder (`openssl ocsp -index`) and against test responders that
// never answer or answer garbage. The responders listen on 127.0.0.1 inside a network namespace
// this test makes for itself (openssl ocsp binds the wildcard address), so nothing but loopback
// is ever reachable. The socket driver below is the test's own; secure/ has no sockets.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "lab_ca.h"
#include "openssl_ocsp_responder.h"
#include "secure/ocsp_check.h"

extern char** environ;

using namespace bh;
using namespace bh::secure;
using bh::secure::test::LabCa;
using bh::secure::test::TempDir;

namespace {

constexpr uint16_t kResponderPort = 18960;  // free: the namespace is this test's alone
constexpr uint16_t kSilentPort = 18961;

bool privateLoopback() {
  static int state = -1;
  if (state < 0) {
    state = ::unshare(CLONE_NEWNET) == 0 && std::system("ip link set lo up") == 0 ? 1 : 0;
  }
  return state == 1;
}

int connectLoopback(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  ::fcntl(fd, F_SETFL, O_NONBLOCK);
  return fd;
}

int listenLoopback(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(fd, 4) == 0);
  return fd;
}

// Drives a check over one connection without blocking: poll in 20 ms steps, the check's own
// deadline (nowMs) decides when to give up. Returns when the check has its verdict.
void drive(OcspCheck& check, uint16_t port, time_t now, uint64_t startMs, int acceptFrom = -1,
           const std::string& serve = "") {
  if (check.done()) {
    return;
  }
  int fd = connectLoopback(port);
  if (fd < 0) {
    check.responderUnreachable("connection refused");
    return;
  }
  Bytes req = check.httpRequest();
  REQUIRE(::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size()));
  if (acceptFrom >= 0) {
    int peer = ::accept(acceptFrom, nullptr, nullptr);
    if (!serve.empty()) {
      REQUIRE(::send(peer, serve.data(), serve.size(), MSG_NOSIGNAL) > 0);
      ::close(peer);
    }
  }
  uint64_t nowMs = startMs;
  while (!check.done()) {
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, 20);
    nowMs += 20;  // the test's clock: the check sees time only through these calls
    if (r > 0) {
      uint8_t buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0) {
        check.receive(ByteSpan(buf, static_cast<size_t>(n)), now);
      } else if (n == 0) {
        check.responderClosed(now);
      }
    }
    check.expire(nowMs);
  }
  ::close(fd);
}

// The CA database with the one certificate these tests ask about (serial 0x1000, "core").
void writeIndex(const std::filesystem::path& dir, bool revoked) {
  test::writeOcspIndex(dir, {{0x1000, revoked, "/CN=core"}});
}

}  // namespace

TEST_CASE("ocsp: against openssl ocsp on 127.0.0.1") {
  if (!privateLoopback()) {
    FAIL("needs a private network namespace (root) for its responders on 127.0.0.1");
  }
  TempDir t;
  LabCa ca("Lab CA");
  std::string url = "http://127.0.0.1:" + std::to_string(kResponderPort) + "/";
  PeeringIdentity core = ca.issue("core", -3600, 86400L * 7, url);  // serial 0x1000
  test::writePem(t.path / "ca.pem", ca.cert.get());
  test::writeKeyPem(t.path / "ca.key", ca.key.get());
  writeIndex(t.path, false);
  X509StorePtr anchors(X509_STORE_new());
  X509_STORE_add_cert(anchors.get(), ca.cert.get());

  test::OpensslOcspResponder responder;
  REQUIRE(responder.start(t.path, kResponderPort, t.path / "ca.pem", t.path / "ca.pem",
                          t.path / "ca.key"));

  OcspSettings settings;
  OcspCache cache;
  auto query = [&](X509* cert, const std::string& configured = "") {
    auto q = OcspQuery::create(cert, ca.cert.get(), configured);
    REQUIRE_MESSAGE(q.ok(), q.error());
    return std::move(q).value();
  };
  time_t now = std::time(nullptr);
  // openssl ocsp looks at its index before it waits for the next connection, so a change is
  // seen one request late: after each change one throwaway request lets it reload.
  auto reload = [&](bool revokedNow) {
    writeIndex(t.path, revokedNow);
    OcspCache throwaway;
    OcspCheck c(query(core.certificate.get()), settings, throwaway, anchors.get(), 0, now);
    drive(c, kResponderPort, now, 0);
  };

  // The AIA names the responder.
  CHECK(ocspUrlOf(core.certificate.get()) == url);

  OcspCheck good(query(core.certificate.get()), settings, cache, anchors.get(), 0, now);
  CHECK_FALSE(good.done());
  drive(good, kResponderPort, now, 0);
  CHECK_MESSAGE(good.verdict().accept, good.verdict().detail);
  CHECK(good.verdict().status == OcspCertStatus::Good);
  CHECK(cache.size() == 1);

  // Revoked in the index: the cached "good" still holds until its nextUpdate (-nmin 1) ...
  reload(true);
  OcspCheck cached(query(core.certificate.get()), settings, cache, anchors.get(), 0, now + 30);
  REQUIRE(cached.done());
  CHECK(cached.verdict().fromCache);
  CHECK(cached.verdict().accept);

  // ... and after it the responder is asked again and says revoked.
  OcspCheck revoked(query(core.certificate.get()), settings, cache, anchors.get(), 0, now + 61);
  CHECK_FALSE(revoked.done());
  drive(revoked, kResponderPort, now + 61, 0);
  CHECK_FALSE(revoked.verdict().accept);
  CHECK(revoked.verdict().failure == TlsFailure::CertificateRevoked);
  CHECK(revoked.verdict().detail.find(url) != std::string::npos);
  // The verdict names the certificate (subject and serial), for the log's cause line.
  CHECK_MESSAGE(revoked.verdict().detail.find("CN=core") != std::string::npos,
                revoked.verdict().detail);
  CHECK_MESSAGE(revoked.verdict().detail.find("(serial 0x1000) revoked (OCSP, " + url + ")") !=
                    std::string::npos,
                revoked.verdict().detail);

  // Unrevoked: the next check after the cached answer's nextUpdate is good again. (The
  // responder's nextUpdate is on the real clock, now + 60 s, so the test's later clock does not
  // cache these answers: OcspCache keeps only answers still valid at the time it is given.)
  reload(false);
  OcspCheck unrevoked(query(core.certificate.get()), settings, cache, anchors.get(), 0, now + 61);
  CHECK_FALSE(unrevoked.done());
  drive(unrevoked, kResponderPort, now + 61, 0);
  CHECK_MESSAGE(unrevoked.verdict().accept, unrevoked.verdict().detail);

  // A certificate the responder does not know: "unknown", fail_closed refuses it.
  PeeringIdentity stranger = ca.issue("stranger", -3600, 86400, url);
  OcspCheck unknown(query(stranger.certificate.get()), settings, cache, anchors.get(), 0, now);
  drive(unknown, kResponderPort, now, 0);
  CHECK(unknown.verdict().status == OcspCertStatus::Unknown);
  CHECK(unknown.verdict().failure == TlsFailure::RevocationUnknown);

  // A response signed by another CA does not verify.
  LabCa other("Other CA");
  X509StorePtr otherAnchors(X509_STORE_new());
  X509_STORE_add_cert(otherAnchors.get(), other.cert.get());
  OcspCache fresh;
  OcspCheck forged(query(core.certificate.get()), settings, fresh, otherAnchors.get(), 0, now);
  drive(forged, kResponderPort, now, 0);
  CHECK(forged.verdict().failure == TlsFailure::RevocationUnknown);
  CHECK(forged.verdict().detail.find("signature does not verify") != std::string::npos);
  CHECK(fresh.size() == 0);
}

TEST_CASE("ocsp: a responder that accepts and never answers gets the policy's verdict") {
  if (!privateLoopback()) {
    FAIL("needs a private network namespace (root) for its responders on 127.0.0.1");
  }
  LabCa ca("Lab CA");
  std::string url = "http://127.0.0.1:" + std::to_string(kSilentPort) + "/";
  PeeringIdentity core = ca.issue("core", -3600, 86400, url);
  int silent = listenLoopback(kSilentPort);
  X509StorePtr anchors(X509_STORE_new());
  OcspCache cache;
  time_t now = std::time(nullptr);

  for (auto policy : {OcspUnreachablePolicy::FailClosed, OcspUnreachablePolicy::FailOpen}) {
    OcspSettings s;
    s.timeoutMs = 200;
    s.unreachable = policy;
    auto q = OcspQuery::create(core.certificate.get(), ca.cert.get(), "");
    REQUIRE(q.ok());
    OcspCheck check(std::move(q).value(), s, cache, anchors.get(), 1000, now);
    CHECK(check.deadlineMs() == 1200);
    check.expire(1199);
    CHECK_FALSE(check.done());
    drive(check, kSilentPort, now, 1000, silent);
    REQUIRE(check.done());
    CHECK(check.verdict().detail.find("timed out after 200 ms") != std::string::npos);
    CHECK(check.verdict().detail.find("CN=core") != std::string::npos);
    if (policy == OcspUnreachablePolicy::FailClosed) {
      CHECK_FALSE(check.verdict().accept);
      CHECK(check.verdict().failure == TlsFailure::RevocationUnknown);
    } else {
      CHECK(check.verdict().accept);
    }
  }
  ::close(silent);
}

TEST_CASE("ocsp: a responder answering garbage is a named error") {
  if (!privateLoopback()) {
    FAIL("needs a private network namespace (root) for its responders on 127.0.0.1");
  }
  LabCa ca("Lab CA");
  PeeringIdentity core = ca.issue("core", -3600, 86400);
  std::string url = "http://127.0.0.1:" + std::to_string(kSilentPort + 1) + "/";
  int garbage = listenLoopback(kSilentPort + 1);
  X509StorePtr anchors(X509_STORE_new());
  OcspCache cache;
  time_t now = std::time(nullptr);
  auto run = [&](const std::string& answer) {
    auto q = OcspQuery::create(core.certificate.get(), ca.cert.get(), url);
    REQUIRE(q.ok());
    OcspCheck check(std::move(q).value(), OcspSettings{}, cache, anchors.get(), 0, now);
    drive(check, kSilentPort + 1, now, 0, garbage, answer);
    REQUIRE(check.done());
    CHECK(check.verdict().failure == TlsFailure::RevocationUnknown);
    return check.verdict().detail;
  };
  CHECK(run("\x16\x03\x01 not http at all\r\n\r\n").find("not an HTTP response") !=
        std::string::npos);
  CHECK(run("HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\n"
            "Content-Length: 5\r\n\r\nhello")
            .find("not DER") != std::string::npos);
  CHECK(run("HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\n"
            "Content-Length: 50\r\n\r\nshort")
            .find("closed the connection before") != std::string::npos);
  CHECK(run("HTTP/1.0 404 Not Found\r\n\r\n").find("HTTP 404") != std::string::npos);
  ::close(garbage);
  // No AIA and no configured URL: refused at once, named.
  auto q = OcspQuery::create(core.certificate.get(), ca.cert.get(), "");
  CHECK_FALSE(q.ok());
  CHECK(q.error().find("no AIA OCSP URL") != std::string::npos);
}

TEST_CASE("ocsp: a responder the CA delegated (id-kp-OCSPSigning, RFC 6960 4.2.2.2)") {
  if (!privateLoopback()) {
    FAIL("needs a private network namespace (root) for its responders on 127.0.0.1");
  }
  constexpr uint16_t kPort = kSilentPort + 2;
  TempDir t;
  LabCa ca("Lab CA");
  std::string url = "http://127.0.0.1:" + std::to_string(kPort) + "/";
  PeeringIdentity core = ca.issue("core", -3600, 86400L * 7, url);  // serial 0x1000

  auto run = [&](bool delegated) {
    PeeringIdentity signer = ca.issue("ocsp", -3600, 86400, "", delegated);
    test::writePem(t.path / "ca.pem", ca.cert.get());
    test::writePem(t.path / "signer.pem", signer.certificate.get());
    test::writeKeyPem(t.path / "signer.key", signer.privateKey.get());
    writeIndex(t.path, false);
    test::OpensslOcspResponder responder;
    REQUIRE(responder.start(t.path, kPort, t.path / "ca.pem", t.path / "signer.pem",
                            t.path / "signer.key"));
    X509StorePtr anchors(X509_STORE_new());
    X509_STORE_add_cert(anchors.get(), ca.cert.get());
    OcspCache cache;
    auto q = OcspQuery::create(core.certificate.get(), ca.cert.get(), "");
    REQUIRE(q.ok());
    time_t now = std::time(nullptr);
    OcspCheck check(std::move(q).value(), OcspSettings{}, cache, anchors.get(), 0, now);
    drive(check, kPort, now, 0);
    return check.verdict();
  };
  OcspVerdict withEku = run(true);
  CHECK_MESSAGE(withEku.accept, withEku.detail);
  // A certificate of the same CA without id-kp-OCSPSigning may not answer for it.
  OcspVerdict withoutEku = run(false);
  CHECK_FALSE(withoutEku.accept);
  CHECK(withoutEku.detail.find("signature does not verify") != std::string::npos);
}
