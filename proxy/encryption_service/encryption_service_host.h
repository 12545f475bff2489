#pragma once

// The encryption service in the daemon (core role): its sr-errorlog, its retrievals off the loop,
// its identities' secrets (read at start while root; kept across reloads that cannot read them
// again), its key cache sealed into the secure store, and its control commands. The daemon holds
// one and calls start() before dropping privileges and reload() on every accepted reload.

#include <uv.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "accel/accelerator.h"
#include "common/line_log.h"
#include "policy/config.h"
#include "proxy/encryption_service/key_retrieval_runner.h"
#include "secure/encryption_service/encryption_service.h"
#include "secure/secure_store.h"

namespace bh::proxy {

class EncryptionServiceHost {
 public:
  explicit EncryptionServiceHost(uv_loop_t* loop);

  /// Reads the identities' secrets (as root), applies the configuration and restores the key
  /// cache from `store` (null or not open: memory only). On an edge-only box the service stays
  /// disabled whatever the configuration says (it serves the core's MAPI AO).
  void start(const policy::Config& config, bool coreRole, secure::SecureStore* store);
  /// A reload that turns the service on attaches the store opened at start, if any (the
  /// store itself opens only at start: see bridgehead.json(5)).
  void reload(const policy::Config& config);

  secure::encryption_service::EncryptionService& service() { return *service_; }
  /// errorlog/sr-errorlog.current for the daemon's type-tail.
  accel::NamedLog log() const;
  /// get-key and show windows-domain encryption-service.
  std::vector<accel::ControlCommand> commands();

 private:
  secure::encryption_service::EncryptionServiceConfig translate(const policy::Config& c) const;
  void attachStoreOnce(bool enabled);

  LineLog lines_;
  secure::encryption_service::SrErrorLog log_;
  KeyRetrievalRunner runner_;
  std::unique_ptr<secure::encryption_service::EncryptionService> service_;
  std::map<std::string, secure::encryption_service::IdentityCredentials> credentials_;
  std::string credentialsDirectory_;
  bool coreRole_ = false;
  secure::SecureStore* store_ = nullptr;
  bool storeAttached_ = false;
};

}  // namespace bh::proxy
