// The metrics listener on a real loopback socket, driven by this thread's libuv loop: a scrape,
// the answers to wrong requests, and the bounds on hostile scrapers (connection cap, request
// and write timeouts, the head's cap), while a timer on the same loop keeps running.
#include "proxy/metrics/metrics_server.h"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

using bh::proxy::metrics::MetricsServer;

namespace {

struct Loop {
  uv_loop_t loop{};
  Loop() { uv_loop_init(&loop); }
  ~Loop() {
    uv_run(&loop, UV_RUN_NOWAIT);
    uv_run(&loop, UV_RUN_NOWAIT);
    uv_loop_close(&loop);
  }
  /// Runs the loop until `done` (true) or `seconds` pass (false).
  bool runUntil(const std::function<bool()>& done, double seconds = 5) {
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!done()) {
      if (std::chrono::steady_clock::now() > end) {
        return false;
      }
      uv_run(&loop, UV_RUN_NOWAIT);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }
};

MetricsServer::Settings loopbackSettings() {
  MetricsServer::Settings s;
  s.address = *bh::IpAddress::parse("127.0.0.1");
  s.port = 0;
  return s;
}

int connectTo(uint16_t port, int rcvbuf = 0) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (rcvbuf > 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  return fd;
}

void sendText(int fd, const std::string& s) {
  REQUIRE(send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size()));
}

/// Reads what is there without blocking; true once the peer closed (EOF or reset).
bool drain(int fd, std::string& out) {
  char buf[65536];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) {
      return true;
    }
    return errno != EAGAIN && errno != EWOULDBLOCK;
  }
}

std::string scrape(Loop& l, uint16_t port, const std::string& request) {
  int fd = connectTo(port);
  sendText(fd, request);
  std::string out;
  CHECK(l.runUntil([&] { return drain(fd, out); }));
  close(fd);
  return out;
}

}  // namespace

TEST_CASE("metrics server: a scrape gets the exposition with its content type") {
  Loop l;
  MetricsServer m(&l.loop, loopbackSettings(), [] { return std::string("# HELP a A.\na 1\n"); });
  REQUIRE(m.start() == 0);
  REQUIRE(m.boundPort() != 0);
  std::string r = scrape(l, m.boundPort(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(r.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(r.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n") != std::string::npos);
  CHECK(r.find("Content-Length: 16\r\n") != std::string::npos);
  CHECK(r.ends_with("\r\n\r\n# HELP a A.\na 1\n"));
  CHECK(m.counters().scrapes == 1);
  CHECK(scrape(l, m.boundPort(), "GET /other HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404 "));
  CHECK(scrape(l, m.boundPort(), "POST /metrics HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 405 "));
  CHECK(scrape(l, m.boundPort(), "garbage\r\n\r\n").starts_with("HTTP/1.1 400 "));
  CHECK(m.counters().badRequests == 3);
  CHECK(l.runUntil([&] { return m.counters().open == 0; }));
  m.stop();
}

TEST_CASE("metrics server: connections beyond the cap are reset at accept") {
  Loop l;
  auto s = loopbackSettings();
  s.maxConnections = 4;
  s.requestTimeoutMs = 60000;
  MetricsServer m(&l.loop, s, [] { return std::string("a 1\n"); });
  REQUIRE(m.start() == 0);
  std::vector<int> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(connectTo(m.boundPort()));
  }
  REQUIRE(l.runUntil([&] { return m.counters().open == 4; }));
  std::vector<int> extra;
  for (int i = 0; i < 20; ++i) {
    extra.push_back(connectTo(m.boundPort()));
  }
  REQUIRE(l.runUntil([&] { return m.counters().refusedAtCap == 20; }));
  CHECK(m.counters().open == 4);
  for (int fd : extra) {
    std::string out;
    CHECK(drain(fd, out));  // reset (or closed) by the server
    CHECK(out.empty());
    close(fd);
  }
  // The cap is on connections open now: once the idle ones go, a scrape is served.
  for (int fd : idle) {
    close(fd);
  }
  REQUIRE(l.runUntil([&] { return m.counters().open == 0; }));
  CHECK(scrape(l, m.boundPort(), "GET /metrics HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 200 "));
}

TEST_CASE("metrics server: a scraper that sends nothing is reset after the request timeout") {
  Loop l;
  auto s = loopbackSettings();
  s.requestTimeoutMs = 200;
  MetricsServer m(&l.loop, s, [] { return std::string("a 1\n"); });
  REQUIRE(m.start() == 0);
  int fd = connectTo(m.boundPort());
  sendText(fd, "GET /metrics HTTP/1.1\r\n");  // and never the end of the head
  REQUIRE(l.runUntil([&] { return m.counters().open == 1; }));
  CHECK(l.runUntil([&] { return m.counters().timedOut == 1 && m.counters().open == 0; }, 3));
  std::string out;
  CHECK(drain(fd, out));
  close(fd);
}

TEST_CASE("metrics server: a head over its cap is answered 400, not buffered") {
  Loop l;
  auto s = loopbackSettings();
  s.maxRequestBytes = 256;
  MetricsServer m(&l.loop, s, [] { return std::string("a 1\n"); });
  REQUIRE(m.start() == 0);
  std::string r = scrape(l, m.boundPort(), "GET /metrics HTTP/1.1\r\nX: " + std::string(2000, 'a'));
  CHECK(r.starts_with("HTTP/1.1 400 "));
  CHECK(m.counters().badRequests == 1);
}

TEST_CASE("metrics server: an answer over its cap is a 500") {
  Loop l;
  auto s = loopbackSettings();
  s.maxResponseBytes = 100;
  MetricsServer m(&l.loop, s, [] { return std::string(101, 'a'); });
  REQUIRE(m.start() == 0);
  CHECK(scrape(l, m.boundPort(), "GET /metrics HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 500 "));
}

TEST_CASE("metrics server: a scraper that never reads is reset; the loop keeps running") {
  Loop l;
  auto s = loopbackSettings();
  s.writeTimeoutMs = 300;
  s.maxResponseBytes = 64 << 20;
  // Far more than the socket buffers hold, so the answer waits on the scraper.
  MetricsServer m(&l.loop, s, [] { return std::string(32 << 20, 'a'); });
  REQUIRE(m.start() == 0);
  uv_timer_t tick;
  uv_timer_init(&l.loop, &tick);
  int ticks = 0;
  tick.data = &ticks;
  uv_timer_start(
      &tick, [](uv_timer_t* t) { ++*static_cast<int*>(t->data); }, 10, 10);
  int fd = connectTo(m.boundPort(), 4096);
  sendText(fd, "GET /metrics HTTP/1.1\r\n\r\n");
  REQUIRE(l.runUntil([&] { return m.counters().scrapes == 1; }));
  int before = ticks;
  CHECK(l.runUntil([&] { return m.counters().timedOut == 1 && m.counters().open == 0; }, 5));
  // The data path's loop went on turning while the answer was stuck (about 30 ticks in 300 ms).
  INFO("ticks " << ticks << " before " << before);
  CHECK(ticks - before >= 10);
  close(fd);
  uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
}
