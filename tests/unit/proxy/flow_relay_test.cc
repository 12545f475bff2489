// Flow relays real loopback TCP connections: a client thread -> the flow (in this thread's
// libuv loop) -> a server thread. Pass-through flows go through the splice relay, watched
// flows through the copying relay; both must be byte-exact, carry half-closes, propagate
// resets and stay bounded.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <thread>

#include "proxy/flow.h"

using namespace bh::proxy;

namespace {

std::vector<uint8_t> pattern(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  std::mt19937 rng(seed);
  for (auto& b : v) {
    b = static_cast<uint8_t>(rng());
  }
  return v;
}

void guard(int fd) {
  timeval tv{20, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int listenLoopback(uint16_t& port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  REQUIRE(listen(fd, 8) == 0);
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

int connectLoopback(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  guard(fd);
  return fd;
}

bool sendAll(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) {
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

/// Reads until EOF (returns 0) or an error (returns errno).
int recvToEnd(int fd, std::vector<uint8_t>& out) {
  uint8_t buf[65536];
  for (;;) {
    ssize_t r = recv(fd, buf, sizeof(buf), 0);
    if (r == 0) {
      return 0;
    }
    if (r < 0) {
      return errno;
    }
    out.insert(out.end(), buf, buf + r);
  }
}

void resetClose(int fd) {
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  close(fd);
}

class CountingObserver : public FlowObserver {
 public:
  explicit CountingObserver(std::array<uint64_t, 2>& seen) : seen_(seen) {}
  void onData(bool fromClient, bh::ByteSpan data) override {
    seen_[fromClient ? 0 : 1] += data.size();
  }

 private:
  std::array<uint64_t, 2>& seen_;
};

/// One flow through a libuv loop on this thread. The client and server run on threads with
/// blocking sockets; run() returns once the flow has closed and both have finished.
class Harness : public FlowOwner {
 public:
  bool watch = false;  ///< give the flow an observer (copying relay)
  /// Core-style: leg 0 is a peer leg waiting for a Hello; the client's raw bytes make it fall
  /// back to a raw relay, which then turns into a spliced one.
  bool fallback = false;
  bool fellBack = false;
  /// Edge-style: the relay starts only once the client's first bytes decide it
  /// (Flow::readFirstFlight with this cap; 0: off), at `decideAt` bytes or the client's FIN.
  size_t firstFlightCap = 0;
  size_t decideAt = 0;
  /// Leg 0 speaks the peer protocol with this codec (no Hello: the flow starts its codec).
  std::function<std::unique_ptr<DataCodec>()> peerCodec;
  /// Edge-style: leg 1 (towards the server) speaks the peer protocol with this codec.
  std::function<std::unique_ptr<DataCodec>()> serverPeerCodec;
  int flushRequests = 0;          ///< requestFlush calls (this harness has no flush timer)
  size_t largestFirstFlight = 0;  ///< the most the flow held before the relay
  bool firstFlightEnded = false;
  std::array<uint64_t, 2> seen{};  ///< what the observer saw: from client, from server
  bool splicedAtStart = false;
  bool closed = false;
  bool timedOut = false;
  size_t maxBuffered = 0;
  std::unique_ptr<Flow> flow;

  void run(const std::function<void(int)>& client, const std::function<void(int)>& server) {
    uint16_t serverPort = 0;
    int serverListener = listenLoopback(serverPort);
    server_.ip = *bh::IpAddress::parse("127.0.0.1");
    server_.port = serverPort;
    uv_loop_init(&loop_);
    uv_tcp_init(&loop_, &listener_);
    listener_.data = this;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(uv_tcp_bind(&listener_, reinterpret_cast<sockaddr*>(&a), 0) == 0);
    REQUIRE(uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 8, &Harness::onAccept) == 0);
    int len = sizeof(a);
    uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&a), &len);
    uint16_t proxyPort = ntohs(a.sin_port);
    // Samples what the flow holds, and ends a hung test.
    uv_timer_init(&loop_, &timer_);
    timer_.data = this;
    uv_timer_start(&timer_, &Harness::onTick, 2, 2);

    std::thread st([&] {
      int c = accept(serverListener, nullptr, nullptr);
      if (c >= 0) {
        guard(c);
        server(c);
      }
    });
    std::thread ct([&] {
      int c = connectLoopback(proxyPort);
      if (c >= 0) {
        client(c);
      }
    });
    uint64_t start = uv_now(&loop_);
    while (!closed) {
      uv_run(&loop_, UV_RUN_ONCE);
      if (!closed && uv_now(&loop_) - start > 30000 && flow && !timedOut) {
        timedOut = true;
        flow->abort(0, "test timeout");
      }
    }
    ct.join();
    st.join();
    close(serverListener);
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop_) == 0);
    CHECK_FALSE(timedOut);
  }

  void onOutboundConnected(Flow& f, int status) override {
    REQUIRE(status == 0);
    if (watch) {
      f.setObserver(std::make_unique<CountingObserver>(seen));
    }
    if (firstFlightCap > 0) {
      f.readFirstFlight(firstFlightCap);
      return;
    }
    if (peerCodec) {
      f.startRelay(LegKind::Peer, LegKind::Raw, peerCodec());
      return;
    }
    if (serverPeerCodec) {
      f.startRelay(LegKind::Raw, LegKind::Peer, serverPeerCodec());
      return;
    }
    if (fallback) {
      f.expectHello(0);
      f.startRelay(LegKind::Peer, LegKind::Raw);
    } else {
      f.startRelay(LegKind::Raw, LegKind::Raw);
    }
    splicedAtStart = f.splicing();
  }
  bool onHello(Flow&, const codec::Hello&) override { return false; }
  bool onHelloAck(Flow&, const codec::HelloAck&) override { return false; }
  void onPeerFallback(Flow&) override { fellBack = true; }
  void onFirstFlight(Flow& f, bh::ByteSpan bytes, bool ended) override {
    largestFirstFlight = std::max(largestFirstFlight, bytes.size());
    firstFlightEnded = firstFlightEnded || ended;
    if (bytes.size() >= decideAt || bytes.size() >= firstFlightCap || ended) {
      if (serverPeerCodec) {
        f.startRelay(LegKind::Raw, LegKind::Peer, serverPeerCodec());
      } else {
        f.startRelay(LegKind::Raw, LegKind::Raw);
      }
    }
  }
  void onFlowClosed(Flow&) override { closed = true; }
  void requestFlush(Flow&) override { ++flushRequests; }
  void logFlow(const Flow&, const std::string&) override {}

 private:
  static void onAccept(uv_stream_t* s, int status) {
    auto* h = static_cast<Harness*>(s->data);
    REQUIRE(status == 0);
    h->flow = std::make_unique<Flow>(&h->loop_, *h, FlowInfo{});
    REQUIRE(uv_accept(s, h->flow->acceptedStream()) == 0);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(h->flow->connectOutbound(fd, h->server_) == 0);
  }
  static void onTick(uv_timer_t* t) {
    auto* h = static_cast<Harness*>(t->data);
    if (h->flow && !h->closed) {
      h->maxBuffered = std::max(h->maxBuffered, h->flow->bufferedBytes());
    }
  }

  uv_loop_t loop_{};
  uv_tcp_t listener_{};
  uv_timer_t timer_{};
  Endpoint server_;
};

/// Both directions at once, each ended by a half-close, the server's last bytes sent only
/// after it saw the client's EOF.
enum class Mode { Splice, Watched, Fallback, FirstFlight };

void bulkBothWays(Mode mode) {
  const bool watch = mode == Mode::Watched;
  const auto up = pattern(24 << 20, 1);
  const auto down = pattern(16 << 20, 2);
  const std::string trailer = "seen-after-eof";
  std::vector<uint8_t> serverGot, clientGot;
  int serverEnd = -1, clientEnd = -1, clientAfter = -1;
  Harness h;
  h.watch = watch;
  h.fallback = mode == Mode::Fallback;
  if (mode == Mode::FirstFlight) {
    // The client's first 3000 bytes decide; a read never takes more than the cap holds.
    h.firstFlightCap = 4096;
    h.decideAt = 3000;
  }
  h.run(
      [&](int fd) {
        std::thread sender([&] {
          sendAll(fd, up.data(), up.size());
          shutdown(fd, SHUT_WR);
        });
        clientEnd = recvToEnd(fd, clientGot);
        sender.join();
        close(fd);
      },
      [&](int fd) {
        // The server speaks once the client has (a core sends nothing before the Hello).
        uint8_t first;
        if (recv(fd, &first, 1, 0) == 1) {
          serverGot.push_back(first);
        }
        std::thread sender([&] { sendAll(fd, down.data(), down.size()); });
        serverEnd = recvToEnd(fd, serverGot);
        sender.join();
        sendAll(fd, reinterpret_cast<const uint8_t*>(trailer.data()), trailer.size());
        shutdown(fd, SHUT_WR);
        uint8_t b;
        clientAfter = static_cast<int>(recv(fd, &b, 1, 0));  // the client's close: EOF
        close(fd);
      });
  CHECK(h.splicedAtStart == (mode == Mode::Splice));
  if (mode == Mode::FirstFlight) {
    CHECK(h.largestFirstFlight >= 3000);
    CHECK(h.largestFirstFlight <= h.firstFlightCap);
  }
  // A fallen-back flow (or one that replayed its first flight) is spliced once what it had
  // queued is written.
  CHECK(h.flow->splicing() == (mode != Mode::Watched));
  CHECK(h.fellBack == (mode == Mode::Fallback));
  CHECK(serverEnd == 0);
  CHECK(clientEnd == 0);
  CHECK(clientAfter == 0);
  CHECK(serverGot == up);
  std::vector<uint8_t> want = down;
  want.insert(want.end(), trailer.begin(), trailer.end());
  CHECK(clientGot == want);
  const FlowInfo& info = h.flow->info();
  CHECK(info.lanBytesRead == up.size() + want.size());
  CHECK(info.lanBytesWritten == up.size() + want.size());
  if (watch) {
    CHECK(h.seen[0] == up.size());
    CHECK(h.seen[1] == want.size());
    CHECK(h.maxBuffered <= 2 * (Flow::kHighWater + Flow::kReadBuffer));
  } else {
    CHECK(h.maxBuffered <= 2 * SpliceRelay::kPipeBytes);
  }
}

/// Like a block of DRE references: an 8-byte Data payload {u32 index, u32 length} decodes to
/// `length` bytes of a pattern of that index.
class ExpandingCodec : public DataCodec {
 public:
  static std::vector<uint8_t> expand(uint32_t index, uint32_t length) {
    std::vector<uint8_t> v(length);
    for (uint32_t i = 0; i < length; ++i) {
      v[i] = static_cast<uint8_t>(index * 131 + i * 7 + (i >> 9));
    }
    return v;
  }
  void encode(bh::ByteSpan in, bh::Bytes& out, uint16_t& flags) override {
    out.assign(in.begin(), in.end());
    flags = 0;
  }
  bool decode(uint16_t, bh::ByteSpan in, bh::Bytes& out, std::vector<codec::Frame>&,
              std::string& error) override {
    if (in.size() != 8) {
      error = "not an expanding payload";
      return false;
    }
    uint32_t index = 0, length = 0;
    std::memcpy(&index, in.data(), 4);
    std::memcpy(&length, in.data() + 4, 4);
    out = expand(index, length);
    return true;
  }
};

/// One side resets mid-transfer: the other side must see a reset, never a clean end.
void resetPropagates(bool watch, bool clientResets) {
  const auto data = pattern(1 << 20, 3);
  int survivorEnd = -1;
  std::atomic<bool> started{false};
  Harness h;
  h.watch = watch;
  auto resetter = [&](int fd) {
    sendAll(fd, data.data(), data.size());
    while (!started) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    resetClose(fd);
  };
  auto survivor = [&](int fd) {
    uint8_t b[4096];
    // Some of the resetter's bytes arrive: the relay is running before the reset.
    ssize_t r = recv(fd, b, sizeof(b), 0);
    started = true;
    std::vector<uint8_t> rest;
    survivorEnd = r > 0 ? recvToEnd(fd, rest) : -2;
    close(fd);
  };
  if (clientResets) {
    h.run(resetter, survivor);
  } else {
    h.run(survivor, resetter);
  }
  CHECK(h.splicedAtStart == !watch);
  CHECK(survivorEnd == ECONNRESET);
}

}  // namespace

TEST_CASE("pass-through flow is spliced: byte-exact both ways, half-closes carried, counted") {
  bulkBothWays(Mode::Splice);
  // Idle directions gave their pipes back: nothing beyond the pool stays open.
  CHECK(SpliceRelay::pipesOpen() <= SpliceRelay::kPoolMax);
  CHECK(SpliceRelay::lastPipeCapacity() > 0);
}

TEST_CASE("watched flow keeps the copying relay: byte-exact, half-closes, observer sees all") {
  bulkBothWays(Mode::Watched);
}

TEST_CASE("a core flow that falls back to raw (no Hello) turns into a spliced one, byte-exact") {
  bulkBothWays(Mode::Fallback);
}

TEST_CASE("an edge flow that reads the client's first bytes before relaying: capped, byte-exact") {
  // What the flow read while the owner decided goes first, counted once (lanBytesRead).
  bulkBothWays(Mode::FirstFlight);
}

TEST_CASE("a client that ends within its first flight: its bytes and its FIN reach the server") {
  const std::string hello = "a short first flight, then FIN";
  std::vector<uint8_t> serverGot, clientGot;
  int serverEnd = -1, clientEnd = -1;
  Harness h;
  h.firstFlightCap = 4096;
  h.decideAt = 4096;  // never reached: only the FIN decides
  h.run(
      [&](int fd) {
        sendAll(fd, reinterpret_cast<const uint8_t*>(hello.data()), hello.size());
        shutdown(fd, SHUT_WR);
        clientEnd = recvToEnd(fd, clientGot);
        close(fd);
      },
      [&](int fd) {
        serverEnd = recvToEnd(fd, serverGot);
        sendAll(fd, reinterpret_cast<const uint8_t*>("bye"), 3);
        shutdown(fd, SHUT_WR);
        close(fd);
      });
  CHECK(h.firstFlightEnded);
  CHECK(serverEnd == 0);
  CHECK(clientEnd == 0);
  CHECK(std::string(serverGot.begin(), serverGot.end()) == hello);
  CHECK(std::string(clientGot.begin(), clientGot.end()) == "bye");
}

TEST_CASE("a reset on one leg resets the other (spliced and copying relays)") {
  for (bool watch : {false, true}) {
    for (bool clientResets : {true, false}) {
      CAPTURE(watch);
      CAPTURE(clientResets);
      resetPropagates(watch, clientResets);
    }
  }
}

TEST_CASE("a spliced flow whose receiver stalls stops reading: bounded, then byte-exact") {
  const auto data = pattern(64 << 20, 4);
  std::atomic<bool> stalled{false};
  std::vector<uint8_t> got;
  size_t sentBeforeStall = 0;
  int end = -1;
  Harness h;
  h.run(
      [&](int fd) {
        // Send until the whole path is full: the flow must stop taking bytes.
        timeval tv{0, 300000};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        size_t off = 0;
        while (off < data.size()) {
          ssize_t w =
              send(fd, data.data() + off, std::min<size_t>(65536, data.size() - off), MSG_NOSIGNAL);
          if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
          }
          REQUIRE(w > 0);
          off += static_cast<size_t>(w);
        }
        sentBeforeStall = off;
        stalled = true;
        guard(fd);
        sendAll(fd, data.data() + off, data.size() - off);
        shutdown(fd, SHUT_WR);
        std::vector<uint8_t> none;
        recvToEnd(fd, none);
        close(fd);
      },
      [&](int fd) {
        while (!stalled) {
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        end = recvToEnd(fd, got);
        shutdown(fd, SHUT_WR);
        close(fd);
      });
  CHECK(h.splicedAtStart);
  // The sender blocked long before 64 MiB: socket buffers plus at most one pipe in between.
  CHECK(sentBeforeStall < data.size());
  CHECK(h.maxBuffered > 0);
  CHECK(h.maxBuffered <= SpliceRelay::kPipeBytes);
  CHECK(end == 0);
  CHECK(got == data);
}

TEST_CASE("peer frames that decode to megabytes wait behind the high-water mark, not in memory") {
  // 256 frames of 8 bytes, each decoding to 1 MiB, arrive in one or two reads while the server
  // does not read: the flow decodes one frame past the other leg's high-water mark and holds the
  // rest as frames (Flow::releaseHeldFrames). Decoding them all at once held 256 MiB.
  constexpr uint32_t kFrames = 256;
  constexpr uint32_t kExpanded = 1 << 20;
  std::atomic<bool> sent{false};
  std::vector<uint8_t> got;
  int end = -1;
  Harness h;
  h.peerCodec = [] { return std::make_unique<ExpandingCodec>(); };
  h.run(
      [&](int fd) {
        codec::FrameEncoder enc;
        bh::Bytes wire;
        for (uint32_t i = 0; i < kFrames; ++i) {
          uint8_t payload[8];
          std::memcpy(payload, &i, 4);
          std::memcpy(payload + 4, &kExpanded, 4);
          REQUIRE(enc.encode(codec::FrameType::Data, 0, bh::ByteSpan(payload, 8), wire));
        }
        REQUIRE(enc.encode(codec::FrameType::HalfClose, 0, {}, wire));
        sendAll(fd, wire.data(), wire.size());
        sent = true;
        std::vector<uint8_t> rest;
        recvToEnd(fd, rest);  // the flow's HalfClose once the server has finished
        close(fd);
      },
      [&](int fd) {
        while (!sent) {
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        // Long enough for every frame to have been read by the flow.
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        end = recvToEnd(fd, got);
        shutdown(fd, SHUT_WR);
        close(fd);
      });
  CHECK(end == 0);
  REQUIRE(got.size() == size_t{kFrames} * kExpanded);
  bool exact = true;
  for (uint32_t i = 0; i < kFrames && exact; ++i) {
    exact = std::memcmp(got.data() + size_t{i} * kExpanded,
                        ExpandingCodec::expand(i, kExpanded).data(), kExpanded) == 0;
  }
  CHECK(exact);
  // The write queue holds at most one decoded frame past the high-water mark; the held frames
  // themselves are their 18 bytes each.
  CHECK(h.maxBuffered > Flow::kHighWater);
  CHECK(h.maxBuffered <= Flow::kHighWater + kExpanded + Flow::kReadBuffer);
}

/// Holds every byte until flush(), as DRE does until the input pauses (FlowManager's flush
/// timer, which this harness does not run: a held byte leaves only by a flush the flow makes
/// itself, or before a half-close).
class HoldingCodec : public DataCodec {
 public:
  void encode(bh::ByteSpan in, bh::Bytes& out, uint16_t& flags) override {
    held_.insert(held_.end(), in.begin(), in.end());
    out.clear();
    flags = 0;
  }
  void flush(bh::Bytes& out, uint16_t& flags) override {
    out = std::move(held_);
    held_.clear();
    flags = 0;
  }
  bool holdsInput() const override { return true; }
  bool decode(uint16_t, bh::ByteSpan in, bh::Bytes& out, std::vector<codec::Frame>&,
              std::string&) override {
    out.assign(in.begin(), in.end());
    return true;
  }

 private:
  bh::Bytes held_;
};

/// The payload of the next Data frame on `fd`, or nullopt if none came within `ms`; a HalfClose
/// frame ends the wait with what `halfClosed` says.
std::optional<std::string> nextData(int fd, codec::FrameDecoder& dec,
                                    std::vector<codec::Frame>& pending, int ms,
                                    bool* halfClosed = nullptr) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  for (;;) {
    while (!pending.empty()) {
      codec::Frame f = std::move(pending.front());
      pending.erase(pending.begin());
      if (f.type == codec::FrameType::Data) {
        return std::string(f.payload.begin(), f.payload.end());
      }
      if (f.type == codec::FrameType::HalfClose && halfClosed != nullptr) {
        *halfClosed = true;
        return std::nullopt;
      }
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      return std::nullopt;
    }
    uint8_t buf[4096];
    ssize_t r = recv(fd, buf, sizeof(buf), 0);
    if (r <= 0) {
      return std::nullopt;
    }
    REQUIRE(dec.feed(bh::ByteSpan(buf, static_cast<size_t>(r)), pending).ok());
  }
}

/// The client's first bytes wait in the kernel (or in the first flight) while the edge sets the
/// peer leg up: that burst is over, so its first read goes to the peer at once, not after the
/// codec's idle flush (2 ms, and one more loop turn, on every new flow). A later read waits for
/// the pause as before, so a burst is still chunked as one stream.
void heldBytesLeaveAtOnce(bool firstFlight) {
  const std::string request = "request", more = "more";
  std::optional<std::string> first, secondEarly, rest;
  bool halfClosed = false;
  std::atomic<bool> gotFirst{false}, checkedSecond{false};
  Harness h;
  h.serverPeerCodec = [] { return std::make_unique<HoldingCodec>(); };
  if (firstFlight) {
    h.firstFlightCap = 4096;
    h.decideAt = request.size();
  }
  h.run(
      [&](int fd) {
        sendAll(fd, reinterpret_cast<const uint8_t*>(request.data()), request.size());
        while (!gotFirst) {
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        sendAll(fd, reinterpret_cast<const uint8_t*>(more.data()), more.size());
        while (!checkedSecond) {
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        shutdown(fd, SHUT_WR);
        std::vector<uint8_t> none;
        recvToEnd(fd, none);
        close(fd);
      },
      [&](int fd) {
        codec::FrameDecoder dec;
        std::vector<codec::Frame> pending;
        first = nextData(fd, dec, pending, 5000);
        gotFirst = true;
        // Nothing flushes the second read but the client's half-close (no timer here).
        secondEarly = nextData(fd, dec, pending, 150);
        checkedSecond = true;
        rest = nextData(fd, dec, pending, 5000, &halfClosed);
        codec::FrameEncoder enc;
        bh::Bytes wire;
        REQUIRE(enc.encode(codec::FrameType::HalfClose, 0, {}, wire));
        sendAll(fd, wire.data(), wire.size());
        shutdown(fd, SHUT_WR);
        std::vector<uint8_t> none;
        recvToEnd(fd, none);
        close(fd);
      });
  REQUIRE(first.has_value());
  CHECK(*first == request);
  CHECK_FALSE(secondEarly.has_value());
  REQUIRE(rest.has_value());
  CHECK(*rest == more);
  CHECK(h.flushRequests >= 1);  // the later read asked for the idle flush
}

TEST_CASE("bytes that waited while the peer leg was set up leave at once, later ones at a pause") {
  SUBCASE("read by the relay once it starts") {
    heldBytesLeaveAtOnce(false);
  }
  SUBCASE("read as the first flight") {
    heldBytesLeaveAtOnce(true);
  }
}
