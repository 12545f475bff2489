#include "proxy/encryption_service/emapi_key_source.h"

#include <ctime>

namespace bh::proxy {

namespace se = secure::encryption_service;

secure::emapi::ServiceKeyAnswer EmapiKeySource::keysFor(const std::string& spn,
                                                        uint32_t ticketKvno) {
  secure::emapi::ServiceKeyAnswer a;
  se::EncryptionService& svc = host_.service();
  const auto now = static_cast<int64_t>(std::time(nullptr));
  if (ticketKvno != 0) {
    svc.noteTicketKvno(spn, ticketKvno, now);
  }
  se::KeyLookup k = svc.keyFor(spn, now);
  switch (k.state) {
    case se::KeyState::InCache:
      if (k.keys != nullptr) {
        a.keys = k.keys->keys;
      }
      if (a.keys.empty()) {
        a.whyNot = "the encryption service holds no key for " + spn;
      }
      return a;
    case se::KeyState::InProgress:
      a.whyNot = "no key for " + spn + " yet: retrieval in progress" +
                 (k.identity.empty() ? std::string() : " (identity " + k.identity + ")");
      return a;
    case se::KeyState::Failed: {
      // The domain the service matched identities against: the host's, after its first label.
      const size_t slash = spn.find('/');
      const std::string host = slash == std::string::npos ? spn : spn.substr(slash + 1);
      const size_t dot = host.find('.');
      const std::string domain = dot == std::string::npos ? std::string() : host.substr(dot + 1);
      a.whyNot = "no key for " + spn + ": " + se::describeFailure(k.error, k.identity, domain);
    }
      return a;
    case se::KeyState::Disabled:
      break;
  }
  a.whyNot = "the encryption service is disabled on this core (no key for " + spn + ")";
  return a;
}

}  // namespace bh::proxy
