#include "proxy/encryption_service/key_check.h"

#include <chrono>
#include <ctime>
#include <memory>

namespace bh::proxy {

namespace es = secure::encryption_service;
using Outcome = accel::KeyRetrievalFacts::Outcome;

namespace {

constexpr uint64_t kPollMs = 100;

int64_t nowS() {
  return static_cast<int64_t>(std::time(nullptr));
}

struct KeyCheck {
  uv_timer_t timer{};
  es::EncryptionService* service = nullptr;
  std::vector<accel::KeyRetrievalFacts> facts;
  std::vector<bool> pending;
  std::chrono::steady_clock::time_point started;
  std::chrono::steady_clock::time_point deadline;
  std::function<void(std::vector<accel::KeyRetrievalFacts>)> done;
};

void fail(accel::KeyRetrievalFacts& f, const es::KeyLookup& l) {
  f.outcome = Outcome::Failed;
  f.failure = es::describeFailure(l.error, f.identity, f.domain);
  f.remedy = es::failureRemedy(l.error, f.identity, f.domain);
}

/// True when `f`'s retrieval has ended (its facts then say how).
bool settle(KeyCheck& c, accel::KeyRetrievalFacts& f) {
  std::string spn = "exchangeMDB/" + f.fqdn;
  if (const es::SpnKeys* k = c.service->cache().find(spn)) {
    f.outcome = Outcome::Retrieved;
    f.keys = k->describe();
    f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - c.started).count();
    return true;
  }
  std::string canonical = es::canonicalName(spn);
  for (const auto& s : c.service->inProgress()) {
    if (es::canonicalName(s) == canonical) {
      return false;
    }
  }
  // Ended without keys: the service remembers the failure for retry_after_s and answers it.
  es::KeyLookup l = c.service->getKey(f.fqdn, f.domain, nowS());
  if (l.state == es::KeyState::InProgress) {
    return false;  // remembered no longer: a new retrieval started; wait for it too
  }
  if (l.state == es::KeyState::InCache) {
    return settle(c, f);
  }
  fail(f, l);
  return true;
}

void finish(KeyCheck* c) {
  uv_timer_stop(&c->timer);
  auto done = std::move(c->done);
  auto facts = std::move(c->facts);
  uv_close(reinterpret_cast<uv_handle_t*>(&c->timer),
           [](uv_handle_t* h) { delete static_cast<KeyCheck*>(h->data); });
  done(std::move(facts));
}

void poll(uv_timer_t* t) {
  auto* c = static_cast<KeyCheck*>(t->data);
  bool waiting = false;
  for (size_t i = 0; i < c->facts.size(); ++i) {
    if (c->pending[i]) {
      c->pending[i] = !settle(*c, c->facts[i]);
      waiting = waiting || c->pending[i];
    }
  }
  if (!waiting) {
    finish(c);
  } else if (std::chrono::steady_clock::now() >= c->deadline) {
    for (size_t i = 0; i < c->facts.size(); ++i) {
      if (c->pending[i]) {
        c->facts[i].outcome = Outcome::StillRunning;
      }
    }
    finish(c);
  }
}

}  // namespace

void checkKeys(uv_loop_t* loop, es::EncryptionService& service,
               std::vector<KeyCheckRequest> requests, uint32_t waitMs,
               std::function<void(std::vector<accel::KeyRetrievalFacts>)> done) {
  auto* c = new KeyCheck;
  c->service = &service;
  c->done = std::move(done);
  c->started = std::chrono::steady_clock::now();
  c->deadline = c->started + std::chrono::milliseconds(waitMs);
  bool waiting = false;
  for (auto& r : requests) {
    accel::KeyRetrievalFacts f;
    f.identity = r.identity;
    f.domain = r.domain;
    f.fqdn = r.fqdn;
    bool pending = false;
    if (!f.fqdn.empty()) {
      es::KeyLookup l = service.getKey(f.fqdn, f.domain, nowS());
      switch (l.state) {
        case es::KeyState::InCache:
          f.outcome = Outcome::AlreadyCached;
          f.keys = l.keys->describe();
          break;
        case es::KeyState::InProgress:
          pending = true;
          break;
        case es::KeyState::Failed:
          fail(f, l);
          break;
        case es::KeyState::Disabled:
          f.outcome = Outcome::Failed;
          f.failure = "the encryption service is disabled";
          break;
      }
    }
    waiting = waiting || pending;
    c->facts.push_back(std::move(f));
    c->pending.push_back(pending);
  }
  uv_timer_init(loop, &c->timer);
  c->timer.data = c;
  if (!waiting) {
    finish(c);
    return;
  }
  uv_timer_start(&c->timer, poll, kPollMs, kPollMs);
}

}  // namespace bh::proxy
