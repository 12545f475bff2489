// The OCSP transport against the real thing: Debian's `openssl ocsp` responder with a throwaway
// CA, a port nobody listens on, a responder that accepts and never answers, and one that answers
// garbage. Each test runs on a thread of its own that moved into a network namespace of its own
// (unshare(CLONE_NEWNET) moves only the calling thread; needs root, as secure_tests), so
// 127.0.0.1 there reaches nothing but the test's responders and the rest of proxy_tests keeps the
// machine's namespace.
#include "proxy/wan_secure/ocsp_revocation_checker.h"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/secure/lab_ca.h"
#include "tests/unit/secure/openssl_ocsp_responder.h"

using namespace bh;
using namespace bh::proxy;
using bh::secure::OcspVerdict;
using bh::secure::TlsFailure;
using bh::secure::test::LabCa;

namespace {

constexpr uint16_t kResponderPort = 18970;
constexpr uint16_t kDownPort = 18971;  // nothing listens there
constexpr uint16_t kSilentPort = 18972;
constexpr uint16_t kGarbagePort = 18973;

std::string urlOf(uint16_t port, const std::string& host = "127.0.0.1") {
  return "http://" + host + ":" + std::to_string(port) + "/";
}

/// Runs `body` on a thread in a network namespace of its own, with its loopback up.
void inPrivateNetwork(const std::function<void()>& body) {
  bool entered = false;
  std::thread t([&] {
    if (::unshare(CLONE_NEWNET) != 0 || std::system("ip link set lo up") != 0) {
      return;
    }
    entered = true;
    try {
      body();
    } catch (...) {
      // A failed REQUIRE, already reported, ends the body.
    }
  });
  t.join();
  if (!entered) {
    FAIL("needs a private network namespace (root) for its responders on 127.0.0.1");
  }
}

/// A libuv loop on the test's thread; closed at the end, which fails if a handle is left.
struct TestLoop {
  uv_loop_t loop{};
  TestLoop() { uv_loop_init(&loop); }
  ~TestLoop() {
    settle();
    CHECK_MESSAGE(uv_loop_close(&loop) == 0, "a libuv handle or request was left open");
  }

  /// Runs the loop until `done()` or `limitMs` passed; returns done().
  bool runUntil(const std::function<bool()>& done, int limitMs = 10000) {
    uv_timer_t guard;  // keeps uv_run(ONCE) returning even when nothing else is active
    uv_timer_init(&loop, &guard);
    uv_timer_start(
        &guard, [](uv_timer_t*) {}, 5, 5);
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(limitMs);
    while (!done() && std::chrono::steady_clock::now() < end) {
      uv_run(&loop, UV_RUN_ONCE);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&guard), nullptr);
    uv_run(&loop, UV_RUN_NOWAIT);
    return done();
  }

  /// Lets close callbacks and cancelled lookups finish (bounded).
  void settle() {
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (uv_loop_alive(&loop) && std::chrono::steady_clock::now() < end) {
      uv_run(&loop, UV_RUN_NOWAIT);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
};

/// A verdict slot for one check.
struct Answer {
  std::optional<OcspVerdict> verdict;
  int calls = 0;
  RevocationChecker::Done done() {
    return [this](const OcspVerdict& v) {
      verdict = v;
      ++calls;
    };
  }
  bool got() const { return verdict.has_value(); }
};

/// A responder that accepts and then does what `serve` says with each connection (nothing: it
/// holds it open and never answers). Runs on its own thread in the caller's namespace.
class TestResponder {
 public:
  TestResponder(uint16_t port, std::string serve) : serve_(std::move(serve)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd_, 16) == 0);
    thread_ = std::thread([this] { run(); });
  }
  ~TestResponder() {
    stop_ = true;
    thread_.join();
    for (int c : held_) {
      ::close(c);
    }
    ::close(fd_);
  }
  int accepted() const { return accepted_; }

 private:
  void run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 10) <= 0) {
        continue;
      }
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) {
        continue;
      }
      ++accepted_;
      if (serve_.empty()) {
        held_.push_back(c);
        continue;
      }
      // Read the request (its header end at least), then answer and close.
      std::string got;
      char buf[4096];
      while (got.find("\r\n\r\n") == std::string::npos) {
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 2000) <= 0) {
          break;
        }
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) {
          break;
        }
        got.append(buf, static_cast<size_t>(n));
      }
      ::send(c, serve_.data(), serve_.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  int fd_ = -1;
  std::string serve_;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::vector<int> held_;
  std::thread thread_;
};

secure::X509StorePtr anchorsOf(const LabCa& ca) {
  secure::X509StorePtr s(X509_STORE_new());
  X509_STORE_add_cert(s.get(), ca.cert.get());
  return s;
}

}  // namespace

TEST_CASE("ocsp transport: openssl ocsp answers good (then the cache), revoked; checks coalesce") {
  inPrivateNetwork([] {
    secure::test::TempDir t;
    LabCa ca("Lab CA");
    const std::string url = urlOf(kResponderPort);
    secure::PeeringIdentity core = ca.issue("core", -3600, 86400L * 7, url);  // serial 0x1000
    secure::PeeringIdentity edge = ca.issue("edge", -3600, 86400L * 7, url);  // serial 0x1001
    secure::test::writePem(t.path / "ca.pem", ca.cert.get());
    secure::test::writeKeyPem(t.path / "ca.key", ca.key.get());
    secure::test::writeOcspIndex(t.path, {{0x1000, false, "/CN=core"}, {0x1001, true, "/CN=edge"}});
    secure::test::OpensslOcspResponder responder;
    REQUIRE(responder.start(t.path, kResponderPort, t.path / "ca.pem", t.path / "ca.pem",
                            t.path / "ca.key"));
    auto anchors = anchorsOf(ca);
    TestLoop l;
    secure::OcspSettings settings;
    {
      OcspRevocationChecker checker(&l.loop, settings, anchors.get());

      Answer good;
      auto pending = checker.check(core.certificate.get(), ca.cert.get(), good.done());
      REQUIRE(pending != nullptr);
      CHECK_FALSE(good.got());
      REQUIRE(l.runUntil([&] { return good.got(); }));
      CHECK_MESSAGE(good.verdict->accept, good.verdict->detail);
      CHECK(good.verdict->status == secure::OcspCertStatus::Good);
      CHECK_FALSE(good.verdict->fromCache);
      CHECK(checker.counters().connections == 1);
      CHECK(checker.inFlight() == 0);

      // The second check is answered before check() returns, from the cache: no connection.
      Answer again;
      CHECK(checker.check(core.certificate.get(), ca.cert.get(), again.done()) == nullptr);
      REQUIRE(again.got());
      CHECK(again.verdict->accept);
      CHECK(again.verdict->fromCache);
      CHECK(checker.counters().cacheHits == 1);
      CHECK(checker.counters().connections == 1);

      Answer revoked;
      auto p2 = checker.check(edge.certificate.get(), ca.cert.get(), revoked.done());
      REQUIRE(l.runUntil([&] { return revoked.got(); }));
      CHECK_FALSE(revoked.verdict->accept);
      CHECK(revoked.verdict->failure == TlsFailure::CertificateRevoked);
      CHECK_MESSAGE(revoked.verdict->detail.find(url) != std::string::npos,
                    revoked.verdict->detail);
      CHECK(good.calls == 1);
      CHECK(revoked.calls == 1);
    }
    {
      // Two flows to one peer at once: one request, both answered.
      OcspRevocationChecker checker(&l.loop, settings, anchors.get());
      Answer a, b;
      auto pa = checker.check(core.certificate.get(), ca.cert.get(), a.done());
      auto pb = checker.check(core.certificate.get(), ca.cert.get(), b.done());
      REQUIRE(pa != nullptr);
      REQUIRE(pb != nullptr);
      REQUIRE(l.runUntil([&] { return a.got() && b.got(); }));
      CHECK(a.verdict->accept);
      CHECK(b.verdict->accept);
      CHECK(checker.counters().requests == 1);
      CHECK(checker.counters().coalesced == 1);
      CHECK(checker.counters().connections == 1);
    }
    {
      // A responder named by a host name: resolved on libuv's thread pool, not on the loop.
      settings.url = urlOf(kResponderPort, "localhost");
      OcspRevocationChecker checker(&l.loop, settings, anchors.get());
      Answer byName;
      auto p = checker.check(core.certificate.get(), ca.cert.get(), byName.done());
      REQUIRE(l.runUntil([&] { return byName.got(); }));
      CHECK_MESSAGE(byName.verdict->accept, byName.verdict->detail);
    }
  });
}

TEST_CASE("ocsp transport: a responder that is down gets the policy's verdict") {
  inPrivateNetwork([] {
    LabCa ca("Lab CA");
    secure::PeeringIdentity core = ca.issue("core", -3600, 86400, urlOf(kDownPort));
    auto anchors = anchorsOf(ca);
    TestLoop l;
    for (auto policy :
         {secure::OcspUnreachablePolicy::FailClosed, secure::OcspUnreachablePolicy::FailOpen}) {
      secure::OcspSettings s;
      s.unreachable = policy;
      OcspRevocationChecker checker(&l.loop, s, anchors.get());
      Answer a;
      auto p = checker.check(core.certificate.get(), ca.cert.get(), a.done());
      REQUIRE(l.runUntil([&] { return a.got(); }));
      CHECK_MESSAGE(a.verdict->detail.find("unreachable") != std::string::npos, a.verdict->detail);
      CHECK_MESSAGE(a.verdict->detail.find("connection refused") != std::string::npos,
                    a.verdict->detail);
      if (policy == secure::OcspUnreachablePolicy::FailClosed) {
        CHECK_FALSE(a.verdict->accept);
        CHECK(a.verdict->failure == TlsFailure::RevocationUnknown);
      } else {
        CHECK(a.verdict->accept);
      }
    }
  });
}

TEST_CASE("ocsp transport: a silent responder gets the verdict after the timeout, loop unblocked") {
  inPrivateNetwork([] {
    LabCa ca("Lab CA");
    secure::PeeringIdentity core = ca.issue("core", -3600, 86400, urlOf(kSilentPort));
    auto anchors = anchorsOf(ca);
    TestResponder silent(kSilentPort, "");
    TestLoop l;
    // Another timer on the same loop: it keeps ticking while the check waits.
    uv_timer_t tick;
    int ticks = 0;
    tick.data = &ticks;
    uv_timer_init(&l.loop, &tick);
    uv_timer_start(
        &tick, [](uv_timer_t* t) { ++*static_cast<int*>(t->data); }, 10, 10);

    secure::OcspSettings s;
    s.timeoutMs = 500;
    OcspRevocationChecker checker(&l.loop, s, anchors.get());
    Answer a;
    auto start = std::chrono::steady_clock::now();
    auto p = checker.check(core.certificate.get(), ca.cert.get(), a.done());
    REQUIRE(l.runUntil([&] { return a.got(); }));
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
    // libuv's loop clock is CLOCK_MONOTONIC_COARSE (a few ms behind): allow it that much.
    CHECK_MESSAGE(waited >= 490, "waited " << waited << " ms");
    CHECK(silent.accepted() == 1);
    CHECK_MESSAGE(a.verdict->detail.find("timed out after 500 ms") != std::string::npos,
                  a.verdict->detail);
    CHECK_FALSE(a.verdict->accept);
    CHECK(a.verdict->failure == TlsFailure::RevocationUnknown);
    // 500 ms at one tick per 10 ms: a loop blocked in the check would have ticked once or never.
    CHECK_MESSAGE(ticks >= 30, "ticks: " << ticks);
    uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
    l.settle();  // `tick` lives on this stack: its close must complete here
  });
}

TEST_CASE("ocsp transport: a responder answering garbage gets a named reason") {
  inPrivateNetwork([] {
    LabCa ca("Lab CA");
    secure::PeeringIdentity core = ca.issue("core", -3600, 86400, urlOf(kGarbagePort));
    auto anchors = anchorsOf(ca);
    TestLoop l;
    auto run = [&](const std::string& answer) {
      TestResponder garbage(kGarbagePort, answer);
      OcspRevocationChecker checker(&l.loop, secure::OcspSettings{}, anchors.get());
      Answer a;
      auto p = checker.check(core.certificate.get(), ca.cert.get(), a.done());
      REQUIRE(l.runUntil([&] { return a.got(); }));
      CHECK_FALSE(a.verdict->accept);
      CHECK(a.verdict->failure == TlsFailure::RevocationUnknown);
      CHECK(checker.cache().size() == 0);
      return a.verdict->detail;
    };
    std::string d = run("\x16\x03\x01 not http at all\r\n\r\n");
    CHECK_MESSAGE(d.find("not an HTTP response") != std::string::npos, d);
    d = run(
        "HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: 5\r\n\r\n"
        "hello");
    CHECK_MESSAGE(d.find("not DER") != std::string::npos, d);
    d = run("HTTP/1.0 404 Not Found\r\n\r\n");
    CHECK_MESSAGE(d.find("HTTP 404") != std::string::npos, d);
    d = run(
        "HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: 50\r\n\r\n"
        "short");
    CHECK_MESSAGE(d.find("closed the connection before") != std::string::npos, d);
  });
}

TEST_CASE("ocsp transport: the caps, and cancellation at any moment") {
  inPrivateNetwork([] {
    LabCa ca("Lab CA");
    const std::string url = urlOf(kSilentPort);
    std::vector<secure::PeeringIdentity> peers;
    for (int i = 0; i < 4; ++i) {
      peers.push_back(ca.issue("peer" + std::to_string(i), -3600, 86400, url));
    }
    auto cert = [&](int i) { return peers[static_cast<size_t>(i)].certificate.get(); };
    auto anchors = anchorsOf(ca);
    TestResponder silent(kSilentPort, "");
    TestLoop l;
    secure::OcspSettings s;
    s.timeoutMs = 300;

    SUBCASE("one in flight, one queued, the third refused at once and named") {
      OcspRevocationChecker checker(&l.loop, s, anchors.get(), {1, 1});
      Answer a, b, c;
      auto pa = checker.check(cert(0), ca.cert.get(), a.done());
      auto pb = checker.check(cert(1), ca.cert.get(), b.done());
      CHECK(checker.inFlight() == 1);
      CHECK(checker.queued() == 1);
      CHECK(checker.check(cert(2), ca.cert.get(), c.done()) == nullptr);
      REQUIRE(c.got());
      CHECK_FALSE(c.verdict->accept);
      CHECK_MESSAGE(c.verdict->detail.find("the OCSP transport's caps") != std::string::npos,
                    c.verdict->detail);
      CHECK(checker.counters().overCap == 1);
      // Cancelling the one in flight starts the queued one.
      pa.reset();
      CHECK(checker.inFlight() == 1);
      CHECK(checker.queued() == 0);
      REQUIRE(l.runUntil([&] { return b.got(); }));
      CHECK(b.verdict->detail.find("timed out") != std::string::npos);
      CHECK_FALSE(a.got());
      CHECK(checker.inFlight() == 0);
    }
    SUBCASE("cancelled before the connection completes, during a name lookup, and queued") {
      secure::OcspSettings byName = s;
      byName.url = urlOf(kSilentPort, "localhost");
      OcspRevocationChecker checker(&l.loop, s, anchors.get(), {1, 4});
      OcspRevocationChecker named(&l.loop, byName, anchors.get());
      Answer a, b, c;
      auto pa = checker.check(cert(0), ca.cert.get(), a.done());  // connecting
      auto pb = checker.check(cert(1), ca.cert.get(), b.done());  // queued
      auto pc = named.check(cert(2), ca.cert.get(), c.done());    // resolving
      pc.reset();
      pb.reset();
      pa.reset();
      CHECK(checker.inFlight() == 0);
      CHECK(checker.queued() == 0);
      CHECK(named.inFlight() == 0);
      l.runUntil([] { return false; }, 600);  // past the timeout: nothing may call back
      CHECK(a.calls + b.calls + c.calls == 0);
    }
    SUBCASE("a callback that cancels another check of the same request") {
      OcspRevocationChecker checker(&l.loop, s, anchors.get());
      Answer b;
      std::unique_ptr<RevocationChecker::Pending> pb;
      int firstCalls = 0;
      auto pa = checker.check(cert(0), ca.cert.get(), [&](const OcspVerdict&) {
        ++firstCalls;
        pb.reset();
      });
      pb = checker.check(cert(0), ca.cert.get(), b.done());
      REQUIRE(l.runUntil([&] { return firstCalls == 1; }));
      l.runUntil([] { return false; }, 50);
      CHECK(b.calls == 0);
    }
    SUBCASE("the checker destroyed with checks under way; their Pendings later") {
      Answer a, b;
      std::unique_ptr<RevocationChecker::Pending> pa, pb;
      {
        OcspRevocationChecker checker(&l.loop, s, anchors.get(), {1, 4});
        pa = checker.check(cert(0), ca.cert.get(), a.done());
        pb = checker.check(cert(1), ca.cert.get(), b.done());
        l.runUntil([] { return false; }, 50);  // connected, request sent, no answer
      }
      pa.reset();
      pb.reset();
      l.runUntil([] { return false; }, 400);
      CHECK(a.calls + b.calls == 0);
    }
    SUBCASE("a callback that destroys the checker") {
      auto checker = std::make_unique<OcspRevocationChecker>(&l.loop, s, anchors.get());
      Answer b;
      int firstCalls = 0;
      auto pa = checker->check(cert(3), ca.cert.get(), [&](const OcspVerdict&) {
        ++firstCalls;
        checker.reset();
      });
      auto pb = checker->check(cert(3), ca.cert.get(), b.done());
      REQUIRE(l.runUntil([&] { return firstCalls == 1; }));
      CHECK(checker == nullptr);
      CHECK(b.calls == 0);
      pb.reset();
    }
  });
}
