#include "proxy/encryption_service/encryption_service_host.h"

#include <chrono>
#include <cstdlib>
#include <ctime>

#include "proxy/control/reply.h"
#include "proxy/control/show_encryption_service.h"
#include "proxy/encryption_service/encryption_service_settings.h"
#include "proxy/log.h"

namespace bh::proxy {

namespace es = secure::encryption_service;

namespace {

int64_t wallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t nowS() {
  return static_cast<int64_t>(std::time(nullptr));
}

}  // namespace

EncryptionServiceHost::EncryptionServiceHost(uv_loop_t* loop)
    : log_(
          lines_,
          [](bool error, const std::string& line) { error ? logError(line) : logInfo(line); },
          wallMs),
      runner_(loop, [this](es::RetrievalResult r) { service_->onResult(std::move(r), nowS()); }),
      service_(std::make_unique<es::EncryptionService>(runner_, log_)) {}

es::EncryptionServiceConfig EncryptionServiceHost::translate(const policy::Config& c) const {
  es::EncryptionServiceConfig s = encryptionServiceConfig(c.encryptionService);
  s.enabled = s.enabled && coreRole_;
  if (s.enabled && c.encryptionService.maxRetrievals > s.maxRetrievalsInFlight) {
    logInfo("encryption-service: max_retrievals " +
            std::to_string(c.encryptionService.maxRetrievals) + " lowered to " +
            std::to_string(s.maxRetrievalsInFlight) + ": libuv's thread pool has " +
            std::to_string(uvThreadPoolSize()) +
            " threads (UV_THREADPOOL_SIZE) and one stays free for the daemon's DNS lookups");
  }
  return s;
}

void EncryptionServiceHost::start(const policy::Config& config, bool coreRole,
                                  secure::SecureStore* store) {
  coreRole_ = coreRole;
  if (const char* d = std::getenv("CREDENTIALS_DIRECTORY")) {
    credentialsDirectory_ = d;
  }
  es::EncryptionServiceConfig c = translate(config);
  if (config.encryptionService.enabled && !coreRole) {
    logInfo("encryption-service: configured, but this box is an edge: the core fetches keys");
  }
  // Read while still root, even when the service is off: a reload that turns it on later runs
  // after the privilege drop and could not read a root-only password file any more.
  if (coreRole && !c.identities.empty()) {
    credentials_ = es::loadIdentityCredentials(c.identities, {}, credentialsDirectory_);
  }
  service_->configure(c, credentials_);
  store_ = store;
  attachStoreOnce(c.enabled);
}

void EncryptionServiceHost::attachStoreOnce(bool enabled) {
  if (enabled && !storeAttached_ && store_ != nullptr) {
    storeAttached_ = true;
    service_->attachStore(store_);
  }
}

void EncryptionServiceHost::reload(const policy::Config& config) {
  es::EncryptionServiceConfig c = translate(config);
  if (coreRole_ && !c.identities.empty()) {
    credentials_ = es::loadIdentityCredentials(c.identities, credentials_, credentialsDirectory_);
  }
  service_->configure(c, credentials_);
  attachStoreOnce(c.enabled);
}

accel::NamedLog EncryptionServiceHost::log() const {
  return {es::kSrErrorLogName, {"sr-errorlog"}, &lines_, "the encryption service's lines"};
}

std::vector<accel::ControlCommand> EncryptionServiceHost::commands() {
  return {
      {{"windows-domain", "diagnostics", "encryption-service", "get-key"},
       "windows-domain diagnostics encryption-service get-key FQDN DOMAIN",
       [this](const std::vector<std::string>& a) -> nlohmann::json {
         if (a.size() != 6) {
           return replyError(
               "usage: windows-domain diagnostics encryption-service get-key FQDN DOMAIN "
               "(the Exchange server's real FQDN, not a load-balancer name, and its domain)");
         }
         auto lookup = service_->getKey(a[4], a[5], nowS());
         return getKeyReply(a[4], a[5], lookup, nowS());
       }},
      {{"show", "windows-domain", "encryption-service"},
       "show windows-domain encryption-service",
       [this](const std::vector<std::string>&) -> nlohmann::json {
         return showEncryptionService(*service_, nowS());
       }},
  };
}

}  // namespace bh::proxy
