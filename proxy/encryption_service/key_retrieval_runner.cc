#include "proxy/encryption_service/key_retrieval_runner.h"

#include "proxy/encryption_service/dc_locator.h"
#include "proxy/encryption_service/socket_transport.h"
#include "secure/encryption_service/keytab_keys.h"

namespace bh::proxy {

namespace es = secure::encryption_service;

struct KeyRetrievalRunner::Work {
  uv_work_t req{};
  es::RetrievalJob job;
  es::RetrievalResult result;
  KeyRetrievalRunner* runner = nullptr;
  std::shared_ptr<bool> alive;
};

KeyRetrievalRunner::KeyRetrievalRunner(uv_loop_t* loop, Report report)
    : loop_(loop), report_(std::move(report)) {}

KeyRetrievalRunner::~KeyRetrievalRunner() {
  *alive_ = false;
}

void KeyRetrievalRunner::start(es::RetrievalJob job) {
  auto* w = new Work;
  w->job = std::move(job);
  w->runner = this;
  w->alive = alive_;
  w->req.data = w;
  ++running_;
  int r = uv_queue_work(
      loop_, &w->req,
      [](uv_work_t* req) {
        auto* work = static_cast<Work*>(req->data);
        work->result = runRetrieval(work->job);
        work->result.id = work->job.id;
      },
      [](uv_work_t* req, int status) {
        std::unique_ptr<Work> work(static_cast<Work*>(req->data));
        if (!*work->alive) {
          return;
        }
        --work->runner->running_;
        if (status != 0) {
          work->result = {};
          work->result.id = work->job.id;
          work->result.error = {es::RetrievalFailure::ProtocolError, "the retrieval was cancelled",
                                std::nullopt};
        }
        work->runner->report_(std::move(work->result));
      });
  if (r != 0) {
    --running_;
    es::RetrievalResult failed;
    failed.id = w->job.id;
    failed.error = {es::RetrievalFailure::ProtocolError,
                    std::string("cannot queue the retrieval: ") + uv_strerror(r), std::nullopt};
    delete w;
    report_(std::move(failed));
  }
}

es::RetrievalResult runRetrieval(const es::RetrievalJob& job) {
  es::RetrievalResult out;
  out.id = job.id;
  if (job.secrets == nullptr) {
    out.error = {es::RetrievalFailure::CredentialUnreadable, job.credentialsError, std::nullopt};
    return out;
  }
  switch (job.identity.kind) {
    case es::IdentityKind::Keytab: {
      std::string source = "keytab " + job.identity.keytab;
      auto r = es::keysForSpn(job.secrets->keytab, job.spn, job.identity.effectiveRealm(), source);
      if (!r.ok) {
        out.error = r.error;
        return out;
      }
      out.steps.push_back("Keys for " + job.spn + " read from " + source + ": " +
                          r.keys.describe());
      out.keys = std::move(r.keys);
      return out;
    }
    case es::IdentityKind::User:
    case es::IdentityKind::Machine: {
      SocketTransport transport(SocketTransport::Clock::now() +
                                std::chrono::milliseconds(job.timeoutMs));
      DnsDcLocator locator;
      return es::retrieveByReplication(job, transport, locator);
    }
  }
  return out;
}

}  // namespace bh::proxy
