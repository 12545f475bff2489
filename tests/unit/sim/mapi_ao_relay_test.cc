// The MAPI accelerator's two halves on live conversations: outlook-sim's EMSMDB connections go
// through a relay that runs EdgeMapiAo on the client side and CoreMapiAo on the server side,
// with the record stream between them cut at random points (split delivery), to exchange-sim.
// outlook-sim checks every byte it reads against the content generator, so a read-ahead
// answer served at the wrong position, a lost or doubled byte, or a stream position the core
// failed to restore fails the workload. The relay also checks that the halves never ask for a
// reset and that read-ahead really answered calls locally.
#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <mutex>
#include <random>
#include <thread>

#include "mapi/mapi_ao/core_mapi_ao.h"
#include "mapi/mapi_ao/edge_mapi_ao.h"
#include "sim/exchange_server.h"
#include "sim/outlook_client.h"

using namespace bh;
using namespace bh::sim;
using namespace bh::mapi::mapi_ao;

namespace {

struct RelayStats {
  std::atomic<int> localResponses{0};
  std::atomic<int> remoteResponses{0};
  std::atomic<int> readAheads{0};
  std::atomic<int> handOffs{0};
  std::atomic<int> resets{0};
  std::mutex mu;
  std::string lastReset;
};

class CountingEvents : public MapiAoEvents {
 public:
  explicit CountingEvents(RelayStats& s) : s_(s) {}
  void onLocalResponse(uint32_t) override { ++s_.localResponses; }
  void onRemoteResponse(uint32_t) override { ++s_.remoteResponses; }
  void onReadAheadStarted(ReadAheadKind) override { ++s_.readAheads; }
  void onHandOff(HandOffReason, const std::string&) override { ++s_.handOffs; }

 private:
  RelayStats& s_;
};

/// One relayed connection: client <-> edge half <-> (records, cut at random) <-> core half
/// <-> server. Runs until both directions have finished.
void relayConnection(Socket client, Socket server, RelayStats& stats, uint32_t seed) {
  CountingEvents edgeEvents(stats), coreEvents(stats);
  MapiAoConfig cfg;
  cfg.readAheadWindowBytes = 8 * 31744;  // small: the window and its refills get exercised
  EdgeMapiAo edge(cfg, edgeEvents);
  CoreMapiAo core(cfg, coreEvents);
  std::mt19937 rng(seed);
  Bytes toCore, toEdge;
  bool clientEof = false, serverEof = false, edgeFinAllowed = false;
  bool finToServer = false, finToClient = false, failed = false;

  auto fail = [&](const std::string& why) {
    ++stats.resets;
    std::lock_guard<std::mutex> l(stats.mu);
    stats.lastReset = why;
    failed = true;
  };
  auto fromEdge = [&](AoOutput& o) {
    if (o.reset) {
      fail("edge: " + o.resetReason);
      return;
    }
    if (!o.toLocal.empty()) {
      client.writeAll(o.toLocal);
    }
    toCore.insert(toCore.end(), o.toPeer.begin(), o.toPeer.end());
  };
  auto fromCore = [&](AoOutput& o) {
    if (o.reset) {
      fail("core: " + o.resetReason);
      return;
    }
    if (!o.toLocal.empty()) {
      server.writeAll(o.toLocal);
    }
    toEdge.insert(toEdge.end(), o.toPeer.begin(), o.toPeer.end());
  };
  // Delivers the record streams between the halves in pieces of random size.
  auto pumpPeers = [&] {
    while (!failed && (!toCore.empty() || !toEdge.empty())) {
      if (!toCore.empty()) {
        size_t n = std::uniform_int_distribution<size_t>(1, toCore.size())(rng);
        Bytes piece(toCore.begin(), toCore.begin() + static_cast<ptrdiff_t>(n));
        toCore.erase(toCore.begin(), toCore.begin() + static_cast<ptrdiff_t>(n));
        AoOutput o;
        core.onPeerData(piece, o);
        fromCore(o);
      }
      if (!toEdge.empty() && !failed) {
        size_t n = std::uniform_int_distribution<size_t>(1, toEdge.size())(rng);
        Bytes piece(toEdge.begin(), toEdge.begin() + static_cast<ptrdiff_t>(n));
        toEdge.erase(toEdge.begin(), toEdge.begin() + static_cast<ptrdiff_t>(n));
        AoOutput o;
        edge.onPeerData(piece, o);
        fromEdge(o);
      }
    }
    if (clientEof && !edgeFinAllowed && !failed) {
      AoOutput o;
      edgeFinAllowed = edge.onClientEof(o);
      fromEdge(o);
    }
    if (edgeFinAllowed && toCore.empty() && core.canFinishTowardsServer() && !finToServer) {
      ::shutdown(server.fd(), SHUT_WR);
      finToServer = true;
    }
    if (serverEof && toEdge.empty() && !finToClient) {
      ::shutdown(client.fd(), SHUT_WR);
      finToClient = true;
    }
  };

  uint8_t buf[65536];
  while (!failed && !(finToServer && finToClient)) {
    pollfd fds[2] = {{client.fd(), static_cast<short>(clientEof ? 0 : POLLIN), 0},
                     {server.fd(), static_cast<short>(serverEof ? 0 : POLLIN), 0}};
    if (::poll(fds, 2, 10000) <= 0) {
      fail("relay stalled");
      break;
    }
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !clientEof) {
      size_t want = std::uniform_int_distribution<size_t>(1, sizeof buf)(rng);
      ssize_t n = ::recv(client.fd(), buf, want, 0);
      if (n <= 0) {
        clientEof = true;
      } else {
        AoOutput o;
        edge.onClientData(ByteSpan(buf, static_cast<size_t>(n)), o);
        fromEdge(o);
      }
    }
    if ((fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !serverEof && !failed) {
      size_t want = std::uniform_int_distribution<size_t>(1, sizeof buf)(rng);
      ssize_t n = ::recv(server.fd(), buf, want, 0);
      if (n <= 0) {
        serverEof = true;
        AoOutput o;
        core.onServerEof(o);
        fromCore(o);
      } else {
        AoOutput o;
        core.onServerData(ByteSpan(buf, static_cast<size_t>(n)), o);
        fromCore(o);
      }
    }
    pumpPeers();
  }
  if (failed) {
    ::shutdown(client.fd(), SHUT_RDWR);
    ::shutdown(server.fd(), SHUT_RDWR);
  }
}

/// exchange-sim, a relay listener in front of its EMSMDB port, and the relay threads.
struct Bench {
  explicit Bench(std::vector<uint64_t> sizes, size_t messages) {
    ExchangeSimOptions o;
    o.epmPort = 0;
    o.emsmdbPort = 0;
    o.mailboxMessages = messages;
    o.attachmentSizes = sizes;
    sim = std::make_unique<ExchangeSim>(o);
    std::string error;
    REQUIRE(sim->start(&error));
    auto l = listenTcp(0, &error);
    REQUIRE(l);
    listener = std::make_unique<Socket>(std::move(*l));
    acceptor = std::thread([this] {
      uint32_t seed = 1;
      for (;;) {
        auto c = acceptTcp(*listener);
        if (!c || stopping) {
          return;
        }
        std::string e;
        auto s = connectTcp("127.0.0.1", sim->emsmdbPort(), &e);
        if (!s) {
          continue;
        }
        relays.emplace_back(relayConnection, std::move(*c), std::move(*s), std::ref(stats), seed++);
      }
    });
  }
  ~Bench() {
    stopping = true;
    ::shutdown(listener->fd(), SHUT_RDWR);
    acceptor.join();
    for (auto& t : relays) {
      t.join();
    }
  }
  OutlookOptions client(size_t messages, std::vector<uint64_t> sizes) const {
    OutlookOptions c;
    c.server = "127.0.0.1";
    c.epmPort = sim->epmPort();
    c.emsmdbPortOverride = listener->localPort();
    c.mailboxMessages = messages;
    c.attachmentSizes = std::move(sizes);
    c.clientVersion = "2007";
    return c;
  }

  std::unique_ptr<ExchangeSim> sim;
  std::unique_ptr<Socket> listener;
  std::thread acceptor;
  std::vector<std::thread> relays;
  std::atomic<bool> stopping{false};
  RelayStats stats;
};

/// Runs one workload in a fresh session; true when outlook-sim found every byte right.
bool runWorkload(Bench& b, const OutlookOptions& opts,
                 const std::function<bool(OutlookClient&, OpReport&)>& work, OpReport& report) {
  OutlookClient client(opts);
  std::vector<OpReport> reports;
  std::string error;
  if (!client.open(reports, &error)) {
    report.detail = error;
    return false;
  }
  bool ok = work(client, report);
  OpReport bye;
  client.close(bye);
  (void)b;
  return ok;
}

}  // namespace

TEST_CASE("MAPI AO halves relay outlook-sim workloads byte-exact, answering reads locally") {
  const std::vector<uint64_t> sizes = {1u << 20, 300000};
  const size_t messages = 30;
  Bench b(sizes, messages);
  OutlookOptions opts = b.client(messages, sizes);
  OpReport r;

  SUBCASE("open-attachment: ReadStream read-ahead") {
    CHECK_MESSAGE(
        runWorkload(
            b, opts, [](OutlookClient& c, OpReport& o) { return c.openAttachment(1u << 20, o); },
            r),
        r.detail);
    CHECK(b.stats.localResponses > 20);  // 1 MiB is 34 reads; the first goes to the server
  }
  SUBCASE("read-seek: the client leaves the pattern mid read-ahead") {
    CHECK_MESSAGE(
        runWorkload(
            b, opts, [](OutlookClient& c, OpReport& o) { return c.readSeek(1u << 20, o); }, r),
        r.detail);
    CHECK(b.stats.readAheads >= 2);
  }
  SUBCASE("six streams read in one session each get a read-ahead (ended ones are retired)") {
    CHECK_MESSAGE(runWorkload(
                      b, opts,
                      [](OutlookClient& c, OpReport& o) {
                        for (int i = 0; i < 6; ++i) {
                          if (!c.openAttachment(1u << 20, o)) {
                            return false;
                          }
                        }
                        return true;
                      },
                      r),
                  r.detail);
    CHECK(b.stats.readAheads >= 6);
  }
  SUBCASE("a stream shorter than one window, read to its end") {
    CHECK_MESSAGE(
        runWorkload(
            b, opts, [](OutlookClient& c, OpReport& o) { return c.openAttachment(300000, o); }, r),
        r.detail);
  }
  SUBCASE("sync: FastTransferSourceGetBuffer read-ahead") {
    CHECK_MESSAGE(runWorkload(
                      b, opts, [](OutlookClient& c, OpReport& o) { return c.sync(o); }, r),
                  r.detail);
    CHECK(b.stats.localResponses > 0);
  }
  SUBCASE("save-attachment and browse pass through the halves") {
    CHECK_MESSAGE(
        runWorkload(
            b, opts, [](OutlookClient& c, OpReport& o) { return c.saveAttachment(200000, o); }, r),
        r.detail);
    OpReport r2;
    CHECK_MESSAGE(runWorkload(
                      b, opts, [](OutlookClient& c, OpReport& o) { return c.browse(o); }, r2),
                  r2.detail);
  }
  b.stopping = true;
  ::shutdown(b.listener->fd(), SHUT_RDWR);
  b.acceptor.join();
  for (auto& t : b.relays) {
    t.join();
  }
  b.relays.clear();
  b.acceptor = std::thread([] {});
  CHECK_MESSAGE(b.stats.resets == 0, b.stats.lastReset);
  CHECK(b.stats.handOffs == 0);
}
