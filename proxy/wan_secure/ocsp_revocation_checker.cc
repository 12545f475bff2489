#include "proxy/wan_secure/ocsp_revocation_checker.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <string>
#include <utility>

namespace bh::proxy {

namespace {

// libuv's memory for one responder connection. It outlives the request that opened it: freed in
// the TCP handle's close callback, after libuv has run the connect and write callbacks (with
// UV_ECANCELED if the close came first), which see owner == nullptr and do nothing.
template <class Owner>
struct Connection {
  uv_tcp_t tcp{};
  uv_connect_t connect{};
  uv_write_t write{};
  Bytes out;  // the request bytes, alive until the write callback
  std::array<char, 4096> in{};
  Owner* owner = nullptr;
};

// A name lookup on libuv's thread pool. uv_cancel() succeeds only before a worker took it; either
// way its callback runs once, and frees it.
template <class Owner>
struct Lookup {
  uv_getaddrinfo_t req{};
  Owner* owner = nullptr;
};

}  // namespace

/// One question to a responder about one certificate, shared by every check waiting for it.
class OcspRevocationChecker::Request {
 public:
  using Conn = Connection<Request>;
  using Resolve = Lookup<Request>;

  Request(OcspRevocationChecker& checker, secure::OcspCheck check, Bytes key)
      : checker_(checker), check_(std::move(check)), key_(std::move(key)) {
    timer_ = new uv_timer_t;
    uv_timer_init(checker_.loop_, timer_);
    timer_->data = this;
    uv_timer_start(timer_, &Request::onTimer, checker_.settings_.timeoutMs, 0);
  }

  ~Request() { release(); }

  const Bytes& key() const { return key_; }
  bool started() const { return started_; }
  const secure::OcspCheck& check() const { return check_; }

  /// Resolves the responder's host if it is a name, then connects. Never calls back from here:
  /// a failure at once is reported through the timer on the loop's next turn.
  void start() {
    started_ = true;
    const secure::OcspUrl& url = check_.url();
    std::string host = url.host;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);  // an IPv6 literal (RFC 3986 section 3.2.2)
    }
    sockaddr_storage ss{};
    if (uv_ip4_addr(host.c_str(), url.port, reinterpret_cast<sockaddr_in*>(&ss)) == 0 ||
        uv_ip6_addr(host.c_str(), url.port, reinterpret_cast<sockaddr_in6*>(&ss)) == 0) {
      connect(reinterpret_cast<const sockaddr*>(&ss));
      return;
    }
    lookup_ = new Resolve;
    lookup_->owner = this;
    lookup_->req.data = lookup_;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    std::string port = std::to_string(url.port);
    int rc = uv_getaddrinfo(checker_.loop_, &lookup_->req, &Request::onResolved, host.c_str(),
                            port.c_str(), &hints);
    if (rc < 0) {
      delete lookup_;  // not queued: no callback will come
      lookup_ = nullptr;
      failSoon("cannot resolve " + host + ": " + uv_strerror(rc));
    }
  }

  /// Closes what the request holds (connection, lookup, timer). No callback reaches it after.
  void release() {
    if (conn_ != nullptr) {
      conn_->owner = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(&conn_->tcp),
               [](uv_handle_t* h) { delete static_cast<Conn*>(h->data); });
      conn_ = nullptr;
    }
    if (lookup_ != nullptr) {
      lookup_->owner = nullptr;
      uv_cancel(reinterpret_cast<uv_req_t*>(&lookup_->req));
      lookup_ = nullptr;
    }
    if (timer_ != nullptr) {
      uv_close(reinterpret_cast<uv_handle_t*>(timer_),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
      timer_ = nullptr;
    }
  }

  std::list<Waiter*> waiters;

 private:
  void connect(const sockaddr* address) {
    conn_ = new Conn;
    conn_->owner = this;
    conn_->tcp.data = conn_;
    conn_->connect.data = conn_;
    conn_->write.data = conn_;
    uv_tcp_init(checker_.loop_, &conn_->tcp);
    ++checker_.counters_.connections;
    int rc = uv_tcp_connect(&conn_->connect, &conn_->tcp, address, &Request::onConnect);
    if (rc < 0) {
      failSoon(uv_strerror(rc));
    }
  }

  // The verdict is decided now but delivered from the timer, so that start() (maybe inside
  // check()) never calls a Done.
  void failSoon(const std::string& why) {
    check_.responderUnreachable(why);
    uv_timer_start(timer_, &Request::onTimer, 0, 0);
  }

  // Every path below ends with checker_.finish(this) when the check has its verdict; `this` is
  // gone after it, so each returns at once.
  void settleIfDone() {
    if (check_.done()) {
      checker_.finish(this);
    }
  }

  static void onTimer(uv_timer_t* t) {
    auto* self = static_cast<Request*>(t->data);
    self->check_.expire(
        std::max<uint64_t>(uv_now(self->checker_.loop_), self->check_.deadlineMs()));
    self->settleIfDone();
  }

  static void onResolved(uv_getaddrinfo_t* req, int status, addrinfo* res) {
    auto* lookup = static_cast<Resolve*>(req->data);
    Request* self = lookup->owner;
    if (self != nullptr) {
      self->lookup_ = nullptr;
      if (status < 0 || res == nullptr) {
        self->check_.responderUnreachable("cannot resolve " + self->check_.url().host + ": " +
                                          uv_strerror(status));
      } else {
        self->connect(res->ai_addr);  // the first address getaddrinfo prefers (RFC 6724 order)
      }
    }
    uv_freeaddrinfo(res);
    delete lookup;
    if (self != nullptr) {
      self->settleIfDone();
    }
  }

  static void onConnect(uv_connect_t* req, int status) {
    auto* conn = static_cast<Conn*>(req->data);
    Request* self = conn->owner;
    if (self == nullptr) {
      return;
    }
    if (status < 0) {
      self->check_.responderUnreachable(uv_strerror(status));
      self->settleIfDone();
      return;
    }
    conn->out = self->check_.httpRequest();
    uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(conn->out.data()),
                               static_cast<unsigned>(conn->out.size()));
    auto* stream = reinterpret_cast<uv_stream_t*>(&conn->tcp);
    // A failed write needs no verdict of its own: the read side then sees the reset or the end,
    // and the timer bounds the rest.
    int rc = uv_write(&conn->write, stream, &buf, 1, [](uv_write_t*, int) {});
    if (rc == 0) {
      rc = uv_read_start(stream, &Request::onAlloc, &Request::onRead);
    }
    if (rc < 0) {
      self->check_.responderUnreachable(std::string("sending the request: ") + uv_strerror(rc));
      self->settleIfDone();
    }
  }

  static void onAlloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
    auto* conn = static_cast<Conn*>(h->data);
    *buf = uv_buf_init(conn->in.data(), static_cast<unsigned>(conn->in.size()));
  }

  static void onRead(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
    auto* conn = static_cast<Conn*>(s->data);
    Request* self = conn->owner;
    if (self == nullptr) {
      return;
    }
    time_t now = std::time(nullptr);
    if (n > 0) {
      // The answer's size is capped by OcspHttpResponseParser (header block, Content-Length
      // against maxResponseBytes before any body byte is kept): over it, the check is done.
      self->check_.receive(
          ByteSpan(reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(n)), now);
    } else if (n == UV_EOF) {
      self->check_.responderClosed(now);
    } else if (n < 0) {
      self->check_.responderUnreachable(std::string("reading the answer: ") +
                                        uv_strerror(static_cast<int>(n)));
    }
    self->settleIfDone();
  }

  OcspRevocationChecker& checker_;
  secure::OcspCheck check_;
  Bytes key_;
  bool started_ = false;
  uv_timer_t* timer_ = nullptr;
  Conn* conn_ = nullptr;
  Resolve* lookup_ = nullptr;
};

/// The Pending of one check: its place in its request's waiters.
class OcspRevocationChecker::Waiter : public Pending {
 public:
  Waiter(OcspRevocationChecker* checker, Request* request, Done done)
      : request_(request), checker_(checker), done_(std::move(done)) {
    position_ = request->waiters.insert(request->waiters.end(), this);
  }
  ~Waiter() override { leave(true); }

  /// Leaves the request; the last to leave a request that is not delivering abandons it.
  void leave(bool cancel);
  Done takeDone() { return std::move(done_); }

  Request* request_;  ///< nullptr once delivered or cancelled
  OcspRevocationChecker* checker_;

 private:
  Done done_;
  std::list<Waiter*>::iterator position_;
};

OcspRevocationChecker::OcspRevocationChecker(uv_loop_t* loop, const secure::OcspSettings& settings,
                                             X509_STORE* trustAnchors, OcspTransportLimits limits)
    : loop_(loop), settings_(settings), trustAnchors_(trustAnchors), limits_(limits) {}

OcspRevocationChecker::~OcspRevocationChecker() {
  for (auto& [key, request] : requests_) {
    for (Waiter* w : request->waiters) {
      w->request_ = nullptr;
    }
    request->waiters.clear();
  }
  queue_.clear();
  requests_.clear();  // each closes its handles
}

secure::OcspVerdict OcspRevocationChecker::policyVerdict(const std::string& why) const {
  bool open = settings_.unreachable == secure::OcspUnreachablePolicy::FailOpen;
  secure::OcspVerdict v;
  v.accept = open;
  v.failure = open ? secure::TlsFailure::None : secure::TlsFailure::RevocationUnknown;
  v.detail = why + (open ? "; fail_open lets the peer in" : "; fail_closed refuses it");
  return v;
}

std::unique_ptr<RevocationChecker::Pending> OcspRevocationChecker::check(X509* leaf, X509* issuer,
                                                                         Done done) {
  ++counters_.checks;
  auto query = secure::OcspQuery::create(leaf, issuer, settings_.url);
  if (!query.ok()) {
    done(policyVerdict("cannot ask OCSP: " + query.error()));
    return nullptr;
  }
  Bytes key = query.value().certIdKey();
  // The loop's clock is that of its last turn; the timeout counts from now (the timer below
  // starts from the same clock).
  uv_update_time(loop_);
  secure::OcspCheck check(std::move(query).value(), settings_, cache_, trustAnchors_, uv_now(loop_),
                          std::time(nullptr));
  if (check.done()) {
    ++counters_.cacheHits;
    done(check.verdict());
    return nullptr;
  }
  auto it = requests_.find(key);
  if (it != requests_.end()) {
    ++counters_.coalesced;
    return std::make_unique<Waiter>(this, it->second.get(), std::move(done));
  }
  if (requests_.size() >= limits_.maxInFlight + limits_.maxQueued) {
    ++counters_.overCap;
    check.responderUnreachable(std::to_string(inFlight_) + " requests in flight and " +
                               std::to_string(queue_.size()) +
                               " waiting, the OCSP transport's caps");
    done(check.verdict());
    return nullptr;
  }
  ++counters_.requests;
  auto request = std::make_unique<Request>(*this, std::move(check), key);
  Request* r = request.get();
  requests_.emplace(std::move(key), std::move(request));
  auto w = std::make_unique<Waiter>(this, r, std::move(done));
  if (inFlight_ < limits_.maxInFlight) {
    ++inFlight_;
    r->start();
  } else {
    queue_.push_back(r);
  }
  return w;
}

void OcspRevocationChecker::startQueued() {
  while (inFlight_ < limits_.maxInFlight && !queue_.empty()) {
    Request* r = queue_.front();
    queue_.pop_front();
    ++inFlight_;
    r->start();
  }
}

std::unique_ptr<OcspRevocationChecker::Request> OcspRevocationChecker::detach(Request* request) {
  auto it = requests_.find(request->key());
  std::unique_ptr<Request> owned = std::move(it->second);
  requests_.erase(it);
  if (request->started()) {
    --inFlight_;
  } else {
    queue_.erase(std::find(queue_.begin(), queue_.end(), request));
  }
  request->release();
  startQueued();
  return owned;
}

void OcspRevocationChecker::abandon(Request* request) {
  detach(request);
}

void OcspRevocationChecker::finish(Request* request) {
  std::unique_ptr<Request> owned = detach(request);
  std::weak_ptr<int> alive = alive_;
  const secure::OcspVerdict verdict = owned->check().verdict();
  // Each waiter leaves before its callback runs, so a callback may destroy any Pending (its own,
  // another of this request: that one is then never called) or start new checks.
  while (!owned->waiters.empty()) {
    Waiter* w = owned->waiters.front();
    w->leave(false);
    Done d = w->takeDone();
    d(verdict);
    if (alive.expired()) {
      // The callback destroyed the checker, which cancels every check: the rest are not called.
      for (Waiter* rest : owned->waiters) {
        rest->request_ = nullptr;
      }
      return;
    }
  }
}

void OcspRevocationChecker::Waiter::leave(bool cancel) {
  if (request_ == nullptr) {
    return;
  }
  Request* r = request_;
  r->waiters.erase(position_);
  request_ = nullptr;
  // The last waiter cancelled: nobody needs the answer, so the request and its connection go.
  // (finish() has already taken the request out of the checker's tables when it delivers.)
  if (!cancel || !r->waiters.empty()) {
    return;
  }
  auto it = checker_->requests_.find(r->key());
  if (it != checker_->requests_.end() && it->second.get() == r) {
    checker_->abandon(r);
  }
}

}  // namespace bh::proxy
