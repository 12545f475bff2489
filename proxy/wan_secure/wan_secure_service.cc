#include "proxy/wan_secure/wan_secure_service.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "proxy/log.h"
#include "secure/default_identity.h"
#include "secure/store_key_source.h"
#include "secure/tls_warm_up.h"

namespace bh::proxy {

namespace {

// First start outside systemd: no credential and no key file yet. Root makes a random key file
// readable by root alone (store_key_source.h's rule), so the store can be initialized; under
// systemd the credential is the administrator's (systemd/README: systemd-creds encrypt).
bool createKeyFile(const std::string& path, std::string& why) {
  std::string dir = path.substr(0, path.rfind('/'));
  if (!dir.empty()) {
    ::mkdir(dir.c_str(), 0755);
  }
  std::array<uint8_t, secure::StoreKey::kSize> key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    why = "no random bytes for a store key";
    return false;
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    why = "cannot create store key file " + path;
    return false;
  }
  bool ok =
      ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
  ::close(fd);
  OPENSSL_cleanse(key.data(), key.size());
  if (!ok) {
    ::unlink(path.c_str());
    why = "cannot write store key file " + path;
  }
  return ok;
}

int minVersionOf(const std::string& v) {
  return v == "1.2" ? TLS1_2_VERSION : TLS1_3_VERSION;
}

}  // namespace

policy::WanSecureMode WanSecureService::offeredMode(policy::Accelerator which,
                                                    std::string* whyOff) const {
  const policy::WanSecureMode m = config_.modeFor(which);
  if (m == policy::WanSecureMode::Auto && !available()) {
    if (whyOff != nullptr) {
      *whyOff = "WAN secure is unavailable on this box: " +
                (unavailable_.empty() ? std::string("not started") : unavailable_);
    }
    return policy::WanSecureMode::Never;
  }
  return m;
}

void WanSecureService::start(const policy::WanSecureConfig& config, const std::string& hostname,
                             uid_t owner, gid_t group) {
  config_ = config;
  unavailable_.clear();
  // The store: opened at every start, initialized at the first (the seed's "CMS secure store
  // must be initialized and open").
  secure::StoreKeySource source = secure::StoreKeySource::fromEnvironment();
  source.credential = config.store.credential;
  source.keyFile = config.store.keyFile;
  keySource_ = source.credentialsDirectory.empty() ? "key file " + source.keyFile
                                                   : "systemd credential " + source.credential;
  auto key = secure::loadStoreKey(source);
  struct stat st {};
  if (!key.ok() && source.credentialsDirectory.empty() && geteuid() == 0 &&
      ::stat(source.keyFile.c_str(), &st) != 0 && errno == ENOENT) {
    std::string why;
    if (createKeyFile(source.keyFile, why)) {
      keySource_ += " (created at first start)";
      key = secure::loadStoreKey(source);
    }
  }
  store_ = std::make_unique<secure::SecureStore>(config.store.path, owner);
  if (key.ok()) {
    if (store_->state() == secure::SecureStoreState::Uninitialized) {
      // The directory is the daemon user's, 0700, before anything is sealed into it.
      ::mkdir(config.store.path.c_str(), 0700);
      if (::chown(config.store.path.c_str(), owner, group) != 0 ||
          ::chmod(config.store.path.c_str(), 0700) != 0) {
        // initialize() names the owner or mode it finds.
      }
      store_->initialize(key.value());
    } else {
      store_->open(key.value());
    }
  }
  const bool configured = !config.certificate.empty();
  secure::PeeringIdentity identity;
  if (configured) {
    secure::PeeringIdentityFiles files{config.certificate, config.privateKey, config.chain,
                                       config.caBundle};
    auto loaded = secure::PeeringIdentity::loadFiles(files);
    if (!loaded.ok()) {
      unavailable_ = "peering identity: " + loaded.error();
      return;
    }
    identity = std::move(loaded).value();
  } else {
    if (!key.ok()) {
      unavailable_ = "secure store: " + key.error();
      return;
    }
    if (store_->state() != secure::SecureStoreState::Open) {
      unavailable_ = "secure store " + std::string(secure::secureStoreStateName(store_->state())) +
                     ": " + store_->reason();
      return;
    }
    auto made = secure::loadOrCreateDefaultIdentity(*store_, hostname);
    if (!made.ok()) {
      unavailable_ = "default peering identity: " + made.error();
      return;
    }
    identity = std::move(made).value();
    for (const char* entry : {secure::kPeeringKeyEntry, secure::kPeeringCertificateEntry}) {
      std::string path = config.store.path + "/" + entry;
      if (::chown(path.c_str(), owner, group) != 0) {
        // Read once here, as root; the daemon's user needs them only after a restart as it.
      }
    }
    if (!config.caBundle.empty()) {
      std::string why;
      identity.trustAnchors = secure::readCertificates(config.caBundle, why);
      if (identity.trustAnchors.empty()) {
        unavailable_ = "ca_bundle " + config.caBundle + ": " + why;
        return;
      }
    }
  }
  secure::TlsConfig tls;
  tls.minVersion = minVersionOf(config.minVersion);
  if (!config.ciphers.empty()) {
    tls.ciphersuites = config.ciphers;
  }
  tls.peerCertVerify = config.peerCertVerify;
  // 0-RTT from this edge only when it does not wait for an OCSP verdict on the core: early
  // bytes would leave before that verdict (secure/README.md "Resumption and early data").
  tls.earlyData = !(config.peerCertVerify && config.ocsp.enabled);
  auto client = secure::TlsContext::create(secure::TlsRole::Client, tls, identity);
  auto server = secure::TlsContext::create(secure::TlsRole::Server, tls, identity);
  if (!client.ok() || !server.ok()) {
    unavailable_ = "TLS context: " + (client.ok() ? server.error() : client.error());
    return;
  }
  client_ = std::move(client).value();
  server_ = std::move(server).value();
  // OpenSSL's lazy initialization is paid here, not by the first flow's handshake
  // (secure/tls_warm_up.h); a failure here is logged, the legs will name their own.
  if (auto warm = secure::warmUpTls(tls, identity); !warm.ok()) {
    logError("WAN secure: a TLS handshake with itself at start failed: " + warm.error());
  }
  identity_ = std::make_unique<secure::PeeringIdentity>(std::move(identity));
}

secure::Outcome<std::unique_ptr<SecureLeg>> WanSecureService::makeLeg(bool client,
                                                                      const std::string& peer) {
  using R = secure::Outcome<std::unique_ptr<SecureLeg>>;
  if (!available()) {
    return R::failure("WAN secure unavailable: " + unavailable_);
  }
  SecureLeg::Settings s;
  s.checkRevocation = config_.peerCertVerify && config_.ocsp.enabled;
  return SecureLeg::create(client ? *client_ : *server_, peer, checker_, s);
}

SecureStoreView WanSecureService::storeView() const {
  SecureStoreView v;
  v.path = config_.store.path;
  v.keySource = keySource_;
  if (store_) {
    v.state = std::string(secure::secureStoreStateName(store_->state()));
    v.reason = store_->reason();
  } else {
    v.state = "uninitialized";
    v.reason = "not started";
  }
  return v;
}

void WanSecureService::notePeerCertificate(const std::string& peer, const SecureLeg& leg) {
  X509* cert = leg.peerCertificate();
  if (cert == nullptr) {
    return;
  }
  auto it = peerCerts_.find(peer);
  if (it == peerCerts_.end() && peerCerts_.size() >= WanSecureStats::kMaxPeers) {
    return;
  }
  PeerCertificate& p = peerCerts_[peer];
  if (!p.certificate || X509_cmp(p.certificate.get(), cert) != 0) {
    X509_up_ref(cert);
    p.certificate = secure::X509Ptr(cert);
    p.ocspStatus = "not checked";
    p.checkedAt = 0;
  }
  if (const auto& v = leg.revocationVerdict()) {
    // A verdict from the cache says so (the detail of the others already does: "..., cached)").
    p.ocspStatus =
        v->accept
            ? (v->status == secure::OcspCertStatus::Good ? (v->fromCache ? "good (cached)" : "good")
                                                         : "accepted (" + v->detail + ")")
            : std::string(secure::tlsFailureName(v->failure)) + " (" + v->detail + ")";
    // The age is the answer's: a verdict from the cache keeps the time the answer was fetched.
    if (!v->fromCache || p.checkedAt == 0) {
      p.checkedAt = std::time(nullptr);
    }
  }
}

}  // namespace bh::proxy
