#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

#include "common/ip_address.h"

namespace bh::proxy::metrics {

/// The optional Prometheus listener (config metrics.listen): plain HTTP/1.1 on one TCP address,
/// one scrape per connection (the answer carries Connection: close). It runs on the box's
/// loop, so it must never hold the data path up, and a slow or hostile scraper is bounded:
///  - at most `maxConnections` scrapers at once; a connection beyond them is reset at accept;
///  - the request head must arrive whole, within `maxRequestBytes`, in `requestTimeoutMs`;
///  - the answer is rendered once, at most `maxResponseBytes` (else 500), and must be taken
///    by the scraper within `writeTimeoutMs`, or the connection is reset; so what the box holds
///    for scrapers is at most maxConnections x maxResponseBytes, whatever they do.
/// Rendering walks the box's counters (as `show statistics` does) in one loop turn.
class MetricsServer {
 public:
  struct Settings {
    IpAddress address;
    uint16_t port = 0;
    size_t maxConnections = 16;
    size_t maxRequestBytes = 8 * 1024;
    size_t maxResponseBytes = 4 * 1024 * 1024;
    uint64_t requestTimeoutMs = 5000;
    uint64_t writeTimeoutMs = 10000;
  };
  struct Counters {
    uint64_t scrapes = 0;       ///< answered 200
    uint64_t refusedAtCap = 0;  ///< reset at accept: maxConnections open
    uint64_t timedOut = 0;      ///< reset: request or answer not done in time
    uint64_t badRequests = 0;   ///< answered 400/404/405, or the head over its cap
    size_t open = 0;            ///< connections open now
  };
  /// `render` returns the exposition text of one scrape.
  MetricsServer(uv_loop_t* loop, Settings settings, std::function<std::string()> render);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  /// Binds and listens. Returns 0 or a libuv error.
  int start();
  /// Closes the listener and every scraper's connection (the loop finishes the closes).
  void stop();
  /// The port bound (the configured one, or the kernel's choice for port 0).
  uint16_t boundPort() const { return boundPort_; }
  const Counters& counters() const { return counters_; }

  /// One scraper's connection (metrics_server.cc).
  struct Scraper;

 private:
  static void onConnection(uv_stream_t* listener, int status);
  void onRequest(Scraper& s);
  void answer(Scraper& s, int code, const char* reason, const std::string& contentType,
              std::string body);
  void closeScraper(Scraper& s, bool reset);

  uv_loop_t* loop_;
  Settings settings_;
  std::function<std::string()> render_;
  uv_tcp_t* listener_ = nullptr;
  uint16_t boundPort_ = 0;
  Scraper* scrapers_ = nullptr;  ///< intrusive list of open connections
  Counters counters_;
};

}  // namespace bh::proxy::metrics
