#pragma once

// Runs the encryption service's retrievals off the loop (libuv's thread pool, uv_queue_work):
// a retrieval may wait seconds on a KDC or a domain controller, and the data path never waits on
// it (issue 17). Each finished retrieval is reported to the service on the loop thread. The
// retrieval itself, by identity kind: Keytab, the keys looked up in the keytab read at start;
// User and Machine, Kerberos as the identity and DRSUAPI replication of the account's secrets
// (replication_retrieval.h).

#include <uv.h>

#include <functional>
#include <memory>

#include "secure/encryption_service/encryption_service.h"

namespace bh::proxy {

class KeyRetrievalRunner final : public secure::encryption_service::KeyRetriever {
 public:
  using Report = std::function<void(secure::encryption_service::RetrievalResult)>;
  /// `report` is called on `loop`'s thread with each result.
  KeyRetrievalRunner(uv_loop_t* loop, Report report);
  ~KeyRetrievalRunner() override;
  KeyRetrievalRunner(const KeyRetrievalRunner&) = delete;
  KeyRetrievalRunner& operator=(const KeyRetrievalRunner&) = delete;

  void start(secure::encryption_service::RetrievalJob job) override;
  /// Retrievals queued or running.
  size_t running() const { return running_; }

 private:
  struct Work;
  uv_loop_t* loop_;
  Report report_;
  size_t running_ = 0;
  /// Cleared when the runner goes: a retrieval that finishes later reports to no one.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

/// One retrieval, run on a worker thread (blocking I/O allowed, bounded by the job's timeout).
secure::encryption_service::RetrievalResult runRetrieval(
    const secure::encryption_service::RetrievalJob& job);

}  // namespace bh::proxy
