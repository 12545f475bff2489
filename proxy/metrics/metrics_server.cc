#include "proxy/metrics/metrics_server.h"

#include <netinet/in.h>

#include <cstring>

#include "accel/metrics_exposition.h"
#include "proxy/metrics/scrape_request.h"

namespace bh::proxy::metrics {

/// One scraper's connection: its socket and its timer (both closed before it is deleted).
struct MetricsServer::Scraper {
  MetricsServer* server = nullptr;
  uv_tcp_t tcp{};
  uv_timer_t timer{};
  uv_write_t write{};
  std::string request;
  std::string response;
  char buf[2048];
  bool closing = false;
  int handlesOpen = 2;
  Scraper* prev = nullptr;
  Scraper* next = nullptr;
};

namespace {

void onHandleClosed(uv_handle_t* h) {
  auto* s = static_cast<MetricsServer::Scraper*>(h->data);
  if (--s->handlesOpen == 0) {
    delete s;
  }
}

}  // namespace

MetricsServer::MetricsServer(uv_loop_t* loop, Settings settings,
                             std::function<std::string()> render)
    : loop_(loop), settings_(std::move(settings)), render_(std::move(render)) {}

MetricsServer::~MetricsServer() {
  stop();
}

int MetricsServer::start() {
  sockaddr_storage ss{};
  if (settings_.address.isV4()) {
    auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
    sa->sin_family = AF_INET;
    std::memcpy(&sa->sin_addr, settings_.address.bytes().data(), 4);
    sa->sin_port = htons(settings_.port);
  } else {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
    sa->sin6_family = AF_INET6;
    std::memcpy(&sa->sin6_addr, settings_.address.bytes().data(), 16);
    sa->sin6_port = htons(settings_.port);
  }
  listener_ = new uv_tcp_t;
  uv_tcp_init(loop_, listener_);
  listener_->data = this;
  int r = uv_tcp_bind(listener_, reinterpret_cast<const sockaddr*>(&ss),
                      settings_.address.isV4() ? 0 : UV_TCP_IPV6ONLY);
  if (r == 0) {
    // A small backlog: connections beyond the cap are reset at accept anyway.
    r = uv_listen(reinterpret_cast<uv_stream_t*>(listener_), 64, &MetricsServer::onConnection);
  }
  if (r == 0) {
    sockaddr_storage bound{};
    int len = sizeof(bound);
    uv_tcp_getsockname(listener_, reinterpret_cast<sockaddr*>(&bound), &len);
    boundPort_ =
        ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                         : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  } else {
    uv_close(reinterpret_cast<uv_handle_t*>(listener_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    listener_ = nullptr;
  }
  return r;
}

void MetricsServer::stop() {
  if (listener_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(listener_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    listener_ = nullptr;
  }
  while (scrapers_ != nullptr) {
    closeScraper(*scrapers_, true);
  }
}

void MetricsServer::onConnection(uv_stream_t* listener, int status) {
  if (status != 0) {
    return;
  }
  auto* self = static_cast<MetricsServer*>(listener->data);
  if (self->counters_.open >= self->settings_.maxConnections) {
    // Taken off the backlog and reset at once, so a flood of connections costs one accept
    // each and never a buffer.
    auto* t = new uv_tcp_t;
    uv_tcp_init(self->loop_, t);
    if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(t)) == 0) {
      ++self->counters_.refusedAtCap;
      if (uv_tcp_close_reset(t, [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); }) !=
          0) {
        uv_close(reinterpret_cast<uv_handle_t*>(t),
                 [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
      }
    } else {
      uv_close(reinterpret_cast<uv_handle_t*>(t),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    }
    return;
  }
  auto* s = new Scraper;
  s->server = self;
  uv_tcp_init(self->loop_, &s->tcp);
  uv_timer_init(self->loop_, &s->timer);
  s->tcp.data = s;
  s->timer.data = s;
  s->next = self->scrapers_;
  if (self->scrapers_ != nullptr) {
    self->scrapers_->prev = s;
  }
  self->scrapers_ = s;
  ++self->counters_.open;
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&s->tcp)) != 0) {
    self->closeScraper(*s, false);
    return;
  }
  uv_timer_start(
      &s->timer,
      [](uv_timer_t* t) {
        auto* sc = static_cast<Scraper*>(t->data);
        ++sc->server->counters_.timedOut;
        sc->server->closeScraper(*sc, true);
      },
      self->settings_.requestTimeoutMs, 0);
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&s->tcp),
      [](uv_handle_t* h, size_t, uv_buf_t* b) {
        auto* sc = static_cast<Scraper*>(h->data);
        *b = uv_buf_init(sc->buf, sizeof(sc->buf));
      },
      [](uv_stream_t* st, ssize_t n, const uv_buf_t* b) {
        auto* sc = static_cast<Scraper*>(st->data);
        if (n < 0) {
          sc->server->closeScraper(*sc, false);
          return;
        }
        // Never more than the cap plus one read is held.
        sc->request.append(b->base, static_cast<size_t>(n));
        sc->server->onRequest(*sc);
      });
}

void MetricsServer::onRequest(Scraper& s) {
  ScrapeRequest r = parseScrapeRequest(s.request, settings_.maxRequestBytes);
  if (r.status == ScrapeRequest::Status::NeedMore) {
    return;
  }
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&s.tcp));
  if (r.status == ScrapeRequest::Status::Error) {
    ++counters_.badRequests;
    answer(s, 400, "Bad Request", "text/plain; charset=utf-8", "bad request\n");
    return;
  }
  if (r.method != "GET" && r.method != "HEAD") {
    ++counters_.badRequests;
    answer(s, 405, "Method Not Allowed", "text/plain; charset=utf-8", "GET /metrics\n");
    return;
  }
  if (r.target != "/metrics" && r.target != "/") {
    ++counters_.badRequests;
    answer(s, 404, "Not Found", "text/plain; charset=utf-8", "GET /metrics\n");
    return;
  }
  std::string body = render_();
  if (body.size() > settings_.maxResponseBytes) {
    answer(s, 500, "Internal Server Error", "text/plain; charset=utf-8",
           "the exposition is larger than its cap\n");
    return;
  }
  ++counters_.scrapes;
  if (r.method == "HEAD") {
    body.clear();
  }
  answer(s, 200, "OK", accel::kExpositionContentType, std::move(body));
}

void MetricsServer::answer(Scraper& s, int code, const char* reason, const std::string& contentType,
                           std::string body) {
  s.response =
      "HTTP/1.1 " + std::to_string(code) + " " + reason + "\r\nContent-Type: " + contentType +
      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  // Rendering took time in this loop turn: count the scraper's time from now.
  uv_update_time(loop_);
  uv_timer_start(
      &s.timer,
      [](uv_timer_t* t) {
        auto* sc = static_cast<Scraper*>(t->data);
        ++sc->server->counters_.timedOut;
        sc->server->closeScraper(*sc, true);
      },
      settings_.writeTimeoutMs, 0);
  uv_buf_t out = uv_buf_init(s.response.data(), static_cast<unsigned>(s.response.size()));
  s.write.data = &s;
  int r = uv_write(&s.write, reinterpret_cast<uv_stream_t*>(&s.tcp), &out, 1,
                   [](uv_write_t* w, int status) {
                     auto* sc = static_cast<Scraper*>(w->data);
                     if (!sc->closing) {
                       sc->server->closeScraper(*sc, status != 0);
                     }
                   });
  if (r != 0) {
    closeScraper(s, true);
  }
}

void MetricsServer::closeScraper(Scraper& s, bool reset) {
  if (s.closing) {
    return;
  }
  s.closing = true;
  if (s.prev != nullptr) {
    s.prev->next = s.next;
  } else {
    scrapers_ = s.next;
  }
  if (s.next != nullptr) {
    s.next->prev = s.prev;
  }
  --counters_.open;
  uv_timer_stop(&s.timer);
  uv_close(reinterpret_cast<uv_handle_t*>(&s.timer), onHandleClosed);
  if (reset) {
    // RST: the kernel drops what the scraper did not take (no FIN_WAIT with a full buffer).
    if (uv_tcp_close_reset(&s.tcp, onHandleClosed) != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(&s.tcp), onHandleClosed);
    }
  } else {
    uv_close(reinterpret_cast<uv_handle_t*>(&s.tcp), onHandleClosed);
  }
}

}  // namespace bh::proxy::metrics
