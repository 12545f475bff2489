#pragma once

// The encryption service (core role; seed "Encryption-service"): answers "the keys of this
// Exchange SPN" from its memory key cache, and when they are not there starts one retrieval and
// answers "in progress" at once — the data path never waits on it (the seed's "Key retrieval is in
// progress": the flow goes to generic meanwhile). It picks the identity for the Exchange server's
// domain, remembers failures (a permission failure blacklists the identity until its
// configuration changes; the others are retried after a pause), and writes the sr-errorlog.
//
// Pure logic on the loop thread: the retrieval itself (Kerberos, DRSUAPI over the network, or a
// keytab) is a KeyRetriever that the proxy runs off the loop and that reports back with
// onResult(). docs/ARCHITECTURE.md, "Encryption service".

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "secure/encryption_service/identity.h"
#include "secure/encryption_service/identity_secrets.h"
#include "secure/encryption_service/key_cache.h"
#include "secure/encryption_service/retrieval_failure.h"
#include "secure/encryption_service/sr_errorlog.h"

namespace bh::secure {
class SecureStore;
}

namespace bh::secure::encryption_service {

struct EncryptionServiceConfig {
  bool enabled = false;
  std::vector<Identity> identities;
  /// One retrieval's time limit, all steps included.
  uint32_t timeoutMs = 15000;
  /// After a failure (other than a blacklisting one), requests for the same SPN are answered
  /// with the failure, without asking the directory again, for this long.
  uint32_t retryAfterSeconds = 60;
  /// Retrievals running at once; more wait in a queue of at most cache.maxSpns SPNs.
  size_t maxRetrievalsInFlight = 2;
  KeyCacheLimits cache;
};

/// One retrieval for the KeyRetriever to run.
struct RetrievalJob {
  uint64_t id = 0;
  std::string spn;     ///< "exchangeMDB/exch1.example.com"
  std::string host;    ///< "exch1.example.com"
  std::string domain;  ///< "example.com"
  Identity identity;
  /// What the identity proves itself with (null: `credentialsError` says why).
  IdentitySecretsPtr secrets;
  std::string credentialsError;
  std::vector<std::string> domainControllers;  ///< the identity's; empty: the domain in DNS
  uint32_t timeoutMs = 0;
};

/// What a retrieval reports: the keys, or why not; and the steps it took, for the sr-errorlog
/// ("Authentication success", "DRSBind Success, Status:00000000"). No step text carries a secret.
struct RetrievalResult {
  uint64_t id = 0;
  std::optional<SpnKeys> keys;
  RetrievalError error;
  std::vector<std::string> steps;
};

/// Runs retrievals off the loop; reports each with EncryptionService::onResult on the loop.
class KeyRetriever {
 public:
  virtual ~KeyRetriever() = default;
  virtual void start(RetrievalJob job) = 0;
};

enum class KeyState { InCache, InProgress, Failed, Disabled };

struct KeyLookup {
  KeyState state = KeyState::Disabled;
  const SpnKeys* keys = nullptr;  ///< InCache: valid until the next call into the service
  RetrievalError error;           ///< Failed
  std::string identity;           ///< the identity it used or would use ("" when none)
};

struct IdentityStatus {
  std::string name;
  std::string kind;
  std::string domain;
  bool active = false;
  bool blacklisted = false;
  std::string blacklistReason;
  /// "never used", "SUCCESS", or the last failure's name.
  std::string lastAuthStatus = "never used";
  /// The last failure of the identity's own, as the sr-errorlog said it (a clock skew with its
  /// measured offset); empty after a success.
  std::string lastFailure;
  std::optional<int64_t> clockOffsetSeconds;  ///< that failure's, when a clock skew
  /// "loaded", "kept from start (...)" or why they could not be read.
  std::string credentials = "none";
};

struct EncryptionServiceStats {
  uint64_t cacheHits = 0;
  uint64_t cacheMisses = 0;
  uint64_t retrievalsStarted = 0;
  uint64_t retrievalsSucceeded = 0;
  std::map<std::string, uint64_t> retrievalsFailed;  ///< by failureName
  uint64_t refreshesForNewerKvno = 0;
};

class EncryptionService {
 public:
  EncryptionService(KeyRetriever& retriever, SrErrorLog& log);

  /// Applies a configuration (at start and on every reload): logs the identities added and
  /// removed, ends the blacklisting of every identity whose configuration changed, and drops
  /// failures remembered for SPNs (the change may have fixed them).
  void configure(const EncryptionServiceConfig& config,
                 std::map<std::string, IdentityCredentials> credentials = {});
  const EncryptionServiceConfig& config() const { return config_; }

  /// The data path's question: the keys of `spn` ("exchangeMDB/host.domain"). Starts a
  /// retrieval when they are neither cached nor being fetched nor recently failed.
  KeyLookup keyFor(std::string_view spn, int64_t nowS);
  /// The seed's `windows-domain diagnostics encryption-service get-key FQDN DOMAIN`: the same,
  /// for exchangeMDB/FQDN, with the domain given (it must still match an identity's).
  KeyLookup getKey(std::string_view fqdn, std::string_view domain, int64_t nowS);
  /// A ticket for `spn` with `kvno` arrived: when it is newer than the cached keys, fetch again
  /// (the cached keys stay until the new ones arrive: older tickets still open with them).
  void noteTicketKvno(std::string_view spn, uint32_t kvno, int64_t nowS);

  /// A retrieval's report (on the loop thread).
  void onResult(RetrievalResult result, int64_t nowS);

  /// Seals the cache into `store` after every change, and loads what it holds now (a restarted
  /// core keeps its keys). Null: memory only. Returns false (logged) when the stored record
  /// cannot be read; the cache then starts empty.
  bool attachStore(SecureStore* store);

  const KeyCache& cache() const { return cache_; }
  std::vector<IdentityStatus> identities() const;
  const EncryptionServiceStats& stats() const { return stats_; }
  /// SPNs being fetched, and those waiting for a free slot.
  std::vector<std::string> inProgress() const;

 private:
  struct Failure {
    RetrievalError error;
    std::string identity;
    int64_t at = 0;
  };
  struct IdentityFailure {
    RetrievalError error;
    std::string domain;
  };
  struct Blacklisting {
    std::string fingerprint;
    std::string reason;
  };
  struct Running {
    std::string spn;
    std::string identity;
    std::string domain;
  };

  KeyLookup lookup(const std::string& spn, const std::string& host, const std::string& domain,
                   int64_t nowS);
  RetrievalJob makeJob(const std::string& spn, const std::string& host, const std::string& domain,
                       const Identity& identity);
  void startOrQueue(RetrievalJob job);
  void startQueued();
  void persist();

  KeyRetriever& retriever_;
  SrErrorLog& log_;
  EncryptionServiceConfig config_;
  std::map<std::string, IdentityCredentials> credentials_;
  KeyCache cache_;
  SecureStore* store_ = nullptr;
  uint64_t nextJob_ = 1;
  std::map<uint64_t, Running> running_;
  std::deque<RetrievalJob> waiting_;
  std::map<std::string, Failure> failures_;             ///< by canonical SPN
  std::map<std::string, Blacklisting> blacklisted_;     ///< by identity name
  std::map<std::string, std::string> lastAuth_;         ///< identity -> last status
  std::map<std::string, IdentityFailure> lastFailure_;  ///< identity -> its last own failure
  EncryptionServiceStats stats_;
};

}  // namespace bh::secure::encryption_service
