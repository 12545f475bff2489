#include "secure/encryption_service/encryption_service.h"

#include <algorithm>

#include "secure/encryption_service/key_cache_record.h"
#include "secure/secure_store.h"

namespace bh::secure::encryption_service {

namespace {

/// exchangeMDB/HOST -> HOST (an SPN's service instance; a port or service name after a second
/// '/' is not part of the host).
std::string hostOfSpn(std::string_view spn) {
  auto slash = spn.find('/');
  if (slash == std::string_view::npos) {
    return "";
  }
  std::string_view rest = spn.substr(slash + 1);
  auto end = rest.find_first_of("/:");
  return std::string(end == std::string_view::npos ? rest : rest.substr(0, end));
}

}  // namespace

EncryptionService::EncryptionService(KeyRetriever& retriever, SrErrorLog& log)
    : retriever_(retriever), log_(log) {}

void EncryptionService::configure(const EncryptionServiceConfig& config,
                                  std::map<std::string, IdentityCredentials> credentials) {
  std::map<std::string, const Identity*> next;
  for (const auto& id : config.identities) {
    next[id.name] = &id;
  }
  std::map<std::string, std::string> before;
  for (const auto& id : config_.identities) {
    before[id.name] = id.fingerprint();
  }
  for (const auto& [name, fp] : before) {
    if (next.count(name) == 0) {
      log_.notice("Identity " + name + " removed from the map");
    }
  }
  for (const auto& id : config.identities) {
    auto was = before.find(id.name);
    if (was == before.end()) {
      log_.notice("Adding Identity " + id.name + " to map (" + identityKindName(id.kind) +
                  ", domain " + canonicalName(id.domain) + ")");
    } else if (was->second != id.fingerprint()) {
      log_.notice("Identity " + id.name + " changed");
    }
    if (id.active && (was == before.end() || was->second != id.fingerprint())) {
      log_.notice("Activate Id: " + id.name);
    }
  }
  // The seed's blacklist lasts "until the configuration changes": an identity whose settings
  // changed (or that went away) is tried again.
  for (auto it = blacklisted_.begin(); it != blacklisted_.end();) {
    auto n = next.find(it->first);
    if (n == next.end() || n->second->fingerprint() != it->second.fingerprint) {
      log_.notice("Identity " + it->first + " is no longer black listed (configuration changed)");
      it = blacklisted_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [name, c] : credentials) {
    if (c.kept) {
      log_.notice("Identity " + name + ": credentials kept from start (" + c.error + ")");
    } else if (c.secrets == nullptr) {
      log_.error("Identity " + name + ": " + c.error);
    }
  }
  failures_.clear();
  config_ = config;
  credentials_ = std::move(credentials);
  KeyCache resized(config.cache);
  for (const SpnKeys* k : cache_.entries()) {
    resized.put(*k);
  }
  cache_ = std::move(resized);
  startQueued();
}

KeyLookup EncryptionService::keyFor(std::string_view spn, int64_t nowS) {
  std::string host = hostOfSpn(spn);
  return lookup(std::string(spn), host, domainOfHost(host), nowS);
}

KeyLookup EncryptionService::getKey(std::string_view fqdn, std::string_view domain, int64_t nowS) {
  std::string host = canonicalName(fqdn);
  return lookup("exchangeMDB/" + host, host, canonicalName(domain), nowS);
}

KeyLookup EncryptionService::lookup(const std::string& spn, const std::string& host,
                                    const std::string& domain, int64_t nowS) {
  KeyLookup out;
  if (!config_.enabled) {
    out.state = KeyState::Disabled;
    return out;
  }
  if (const SpnKeys* k = cache_.find(spn)) {
    ++stats_.cacheHits;
    out.state = KeyState::InCache;
    out.keys = k;
    out.identity = k->source;
    return out;
  }
  ++stats_.cacheMisses;
  std::string canonical = canonicalName(spn);
  for (const auto& [id, r] : running_) {
    if (canonicalName(r.spn) == canonical) {
      out.state = KeyState::InProgress;
      out.identity = r.identity;
      return out;
    }
  }
  for (const auto& j : waiting_) {
    if (canonicalName(j.spn) == canonical) {
      out.state = KeyState::InProgress;
      out.identity = j.identity.name;
      return out;
    }
  }
  if (auto f = failures_.find(canonical); f != failures_.end()) {
    if (nowS - f->second.at < static_cast<int64_t>(config_.retryAfterSeconds)) {
      out.state = KeyState::Failed;
      out.error = f->second.error;
      out.identity = f->second.identity;
      return out;
    }
    failures_.erase(f);
  }
  out.state = KeyState::Failed;
  log_.notice("Key Not Found in cache, initiating retrieval for spn: " + spn);
  log_.notice("Initiating key retrieval");
  IdentityMatch m = matchIdentity(config_.identities, domain);
  if (m.identity == nullptr) {
    out.error.kind = RetrievalFailure::NoIdentityForDomain;
    if (!m.parentIdentity.empty()) {
      out.error.detail = "identity " + m.parentIdentity + " is in the parent domain " +
                         m.parentDomain + ", which does not cover a sub-domain";
    }
    log_.error(describeFailure(out.error, "", domain));
    failures_[canonical] = {out.error, "", nowS};
    ++stats_.retrievalsFailed[failureName(out.error.kind)];
    return out;
  }
  const Identity& id = *m.identity;
  out.identity = id.name;
  log_.notice("Match found for DN: " + domain + " is ID:" + id.name);
  if (auto b = blacklisted_.find(id.name); b != blacklisted_.end()) {
    out.error.kind = RetrievalFailure::IdentityBlacklisted;
    out.error.detail = b->second.reason;
    log_.error(describeFailure(out.error, id.name, domain));
    // Remembered like any failure, so that the flows of the next retryAfterSeconds do not each
    // write the same lines.
    failures_[canonical] = {out.error, id.name, nowS};
    ++stats_.retrievalsFailed[failureName(out.error.kind)];
    return out;
  }
  log_.notice("Identity " + id.name + " found in the Map");
  RetrievalJob job = makeJob(spn, host, domain, id);
  if (running_.size() + waiting_.size() >= config_.maxRetrievalsInFlight + config_.cache.maxSpns) {
    out.error.kind = RetrievalFailure::ProtocolError;
    out.error.detail = "too many retrievals waiting; try again";
    log_.error("Key retrieval for spn: " + spn + " refused: " + out.error.detail);
    return out;
  }
  out.state = KeyState::InProgress;
  startOrQueue(std::move(job));
  return out;
}

RetrievalJob EncryptionService::makeJob(const std::string& spn, const std::string& host,
                                        const std::string& domain, const Identity& identity) {
  RetrievalJob job;
  job.id = nextJob_++;
  job.spn = spn;
  job.host = host;
  job.domain = domain;
  job.identity = identity;
  job.domainControllers = identity.domainControllers;
  if (auto c = credentials_.find(identity.name); c != credentials_.end()) {
    job.secrets = c->second.secrets;
    job.credentialsError = c->second.error;
  } else {
    job.credentialsError = "identity " + identity.name + ": credentials not loaded";
  }
  job.timeoutMs = config_.timeoutMs;
  return job;
}

void EncryptionService::startOrQueue(RetrievalJob job) {
  if (running_.size() < std::max<size_t>(1, config_.maxRetrievalsInFlight)) {
    log_.notice("Key retrieval is in Progress (session " + std::to_string(job.id) +
                ", spn: " + job.spn + ", identity " + job.identity.name + ")");
    running_[job.id] = {job.spn, job.identity.name, job.domain};
    ++stats_.retrievalsStarted;
    retriever_.start(std::move(job));
  } else {
    waiting_.push_back(std::move(job));
  }
}

void EncryptionService::startQueued() {
  while (!waiting_.empty() &&
         running_.size() < std::max<size_t>(1, config_.maxRetrievalsInFlight)) {
    RetrievalJob j = std::move(waiting_.front());
    waiting_.pop_front();
    startOrQueue(std::move(j));
  }
}

void EncryptionService::noteTicketKvno(std::string_view spn, uint32_t kvno, int64_t nowS) {
  if (!config_.enabled || !cache_.isStale(spn, kvno)) {
    return;
  }
  std::string canonical = canonicalName(spn);
  for (const auto& [id, r] : running_) {
    if (canonicalName(r.spn) == canonical) {
      return;
    }
  }
  for (const auto& j : waiting_) {
    if (canonicalName(j.spn) == canonical) {
      return;
    }
  }
  // A refresh that failed is not retried for every ticket that shows the newer kvno: the
  // same pause as a failed first retrieval (retry_after_s) keeps a broken identity from
  // hammering the DC while the old keys keep serving.
  if (auto f = failures_.find(canonical);
      f != failures_.end() &&
      nowS - f->second.at < static_cast<int64_t>(config_.retryAfterSeconds)) {
    return;
  }
  const SpnKeys* k = cache_.find(spn);
  log_.notice("Ticket for spn: " + std::string(spn) + " has kvno " + std::to_string(kvno) +
              ", newer than the cached keys' " + std::to_string(k->kvno()) + ": fetching again");
  ++stats_.refreshesForNewerKvno;
  std::string host = hostOfSpn(spn);
  std::string domain = domainOfHost(host);
  IdentityMatch m = matchIdentity(config_.identities, domain);
  if (m.identity == nullptr || blacklisted_.count(m.identity->name) != 0) {
    return;
  }
  startOrQueue(makeJob(std::string(spn), host, domain, *m.identity));
}

void EncryptionService::onResult(RetrievalResult result, int64_t nowS) {
  auto it = running_.find(result.id);
  if (it == running_.end()) {
    return;  // a job of a configuration that went away
  }
  Running r = it->second;
  running_.erase(it);
  std::string session = "session(" + std::to_string(result.id) + ") ";
  for (const auto& s : result.steps) {
    log_.notice(session + s);
  }
  if (result.keys) {
    SpnKeys keys = std::move(*result.keys);
    keys.spn = r.spn;
    keys.domain = r.domain;
    if (keys.source.empty()) {
      keys.source = r.identity;
    }
    keys.fetchedAt = nowS;
    std::string described = keys.describe();
    std::string why;
    if (cache_.put(std::move(keys), &why)) {
      log_.notice(session + "Successful in Key Retrieval");
      log_.notice("Insert new KrbKey: " + r.spn + " (" + described + ")");
      lastAuth_[r.identity] = "SUCCESS";
      lastFailure_.erase(r.identity);
      ++stats_.retrievalsSucceeded;
      failures_.erase(canonicalName(r.spn));
      persist();
    } else {
      result.error = {RetrievalFailure::ProtocolError, why, std::nullopt};
      result.keys.reset();
    }
  }
  if (!result.keys && cache_.find(r.spn) == nullptr) {
    log_.error(session + "Failed to Retrieve Key for spn: " + r.spn);
    log_.error("Key retrieval failed with Status " + std::string(failureName(result.error.kind)));
    log_.error(describeFailure(result.error, r.identity, r.domain));
    if (isIdentityFailure(result.error.kind)) {
      lastAuth_[r.identity] = failureName(result.error.kind);
      lastFailure_[r.identity] = {result.error, r.domain};
    }
    ++stats_.retrievalsFailed[failureName(result.error.kind)];
    failures_[canonicalName(r.spn)] = {result.error, r.identity, nowS};
    if (blacklistsIdentity(result.error.kind)) {
      std::string fp;
      for (const auto& id : config_.identities) {
        if (id.name == r.identity) {
          fp = id.fingerprint();
        }
      }
      blacklisted_[r.identity] = {fp, describeFailure(result.error, r.identity, r.domain)};
      log_.error("Identity \"" + r.identity + "\" has been blacklisted");
      log_.error("Identity: " + r.identity + " will be black listed");
    }
  } else if (!result.keys) {
    // A refresh (newer kvno) failed: the cached keys stay for the tickets they open.
    log_.error(session + "Failed to refresh the keys of spn: " + r.spn + ": " +
               describeFailure(result.error, r.identity, r.domain));
    if (isIdentityFailure(result.error.kind)) {
      lastAuth_[r.identity] = failureName(result.error.kind);
      lastFailure_[r.identity] = {result.error, r.domain};
    }
    ++stats_.retrievalsFailed[failureName(result.error.kind)];
    failures_[canonicalName(r.spn)] = {result.error, r.identity, nowS};
  }
  startQueued();
}

bool EncryptionService::attachStore(SecureStore* store) {
  store_ = store;
  if (store_ == nullptr || store_->state() != SecureStoreState::Open ||
      !store_->contains(kKeyCacheStoreEntry)) {
    return true;
  }
  auto record = store_->get(kKeyCacheStoreEntry);
  if (!record) {
    log_.error("Cannot open the stored key cache: " + record.error());
    return false;
  }
  auto entries = decodeKeyCacheRecord(record.value(), config_.cache);
  wipe(record.value());
  if (!entries) {
    log_.error("Cannot read the stored key cache: " + entries.error() + "; starting empty");
    return false;
  }
  for (auto& e : entries.value()) {
    std::string spn = e.spn;
    std::string described = e.describe();
    if (cache_.put(std::move(e))) {
      log_.notice("Key for " + spn + " restored from the secure store (" + described + ")");
    }
  }
  return true;
}

void EncryptionService::persist() {
  if (store_ == nullptr || store_->state() != SecureStoreState::Open) {
    return;
  }
  Bytes record = encodeKeyCacheRecord(cache_);
  auto put = store_->put(kKeyCacheStoreEntry, record);
  wipe(record);
  if (!put) {
    log_.error("Cannot seal the key cache into the secure store: " + put.error());
  }
}

std::vector<IdentityStatus> EncryptionService::identities() const {
  std::vector<IdentityStatus> out;
  for (const auto& id : config_.identities) {
    IdentityStatus s;
    s.name = id.name;
    s.kind = identityKindName(id.kind);
    s.domain = canonicalName(id.domain);
    s.active = id.active;
    if (auto b = blacklisted_.find(id.name); b != blacklisted_.end()) {
      s.blacklisted = true;
      s.blacklistReason = b->second.reason;
    }
    if (auto a = lastAuth_.find(id.name); a != lastAuth_.end()) {
      s.lastAuthStatus = a->second;
    }
    if (auto f = lastFailure_.find(id.name); f != lastFailure_.end()) {
      s.lastFailure = describeFailure(f->second.error, id.name, f->second.domain);
      s.clockOffsetSeconds = f->second.error.clockOffsetSeconds;
    }
    if (auto c = credentials_.find(id.name); c != credentials_.end()) {
      s.credentials = c->second.secrets == nullptr ? c->second.error
                      : c->second.kept             ? "kept from start (" + c->second.error + ")"
                                                   : "loaded";
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::string> EncryptionService::inProgress() const {
  std::vector<std::string> out;
  for (const auto& [id, r] : running_) {
    out.push_back(r.spn);
  }
  for (const auto& j : waiting_) {
    out.push_back(j.spn);
  }
  return out;
}

}  // namespace bh::secure::encryption_service
