// `accelerator mapi verify encryption-settings [FQDN...]` (issue 17): the box gathers what it
// knows of itself on the loop (configuration, the services' states), starts the probes that wait
// on the network off the loop (DNS, each KDC's clock: verify_probe.h; one key retrieval per
// identity through the encryption service: key_check.h), and answers once both have ended. The
// checks, verdicts and text are accel/verify_encryption_settings.h's.

#include <algorithm>
#include <memory>

#include "accel/verify_encryption_settings.h"
#include "policy/mapi_classes.h"
#include "proxy/control/reply.h"
#include "proxy/daemon.h"
#include "proxy/encryption_service/key_check.h"
#include "proxy/encryption_service/verify_probe.h"

namespace bh::proxy {

namespace es = secure::encryption_service;

namespace {

constexpr size_t kMaxFqdnArgs = 16;
constexpr uint32_t kMaxKdcProbeMs = 5000;

bool validFqdn(const std::string& s) {
  return !s.empty() && s.size() <= 253 && s.find('.') != std::string::npos &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-';
         });
}

void addUnique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) {
    v.push_back(s);
  }
}

/// exchangeMDB/HOST[:port] -> host, lower case.
std::string hostOfSpn(const std::string& spn) {
  auto slash = spn.find('/');
  if (slash == std::string::npos) {
    return "";
  }
  std::string rest = spn.substr(slash + 1);
  return es::canonicalName(rest.substr(0, rest.find_first_of("/:")));
}

/// What the two halves bring back; the answer goes when both are in.
struct PendingVerify {
  accel::EncryptionSettingsFacts facts;
  int waiting = 2;
  accel::ControlCommand::Reply reply;

  void oneDone() {
    if (--waiting == 0) {
      accel::VerifyReport r = accel::verifyEncryptionSettings(facts);
      reply(replyOk(accel::verifyText(r), accel::verifyJson(r)));
    }
  }
};

}  // namespace

void Daemon::verifyEncryptionSettings(const std::vector<std::string>& args,
                                      accel::ControlCommand::Reply reply) {
  if (args.size() < 4 || args[3] != "encryption-settings") {
    reply(replyError("usage: accelerator mapi verify encryption-settings [FQDN...]"));
    return;
  }
  std::vector<std::string> fqdns;
  for (size_t i = 4; i < args.size(); ++i) {
    if (!validFqdn(args[i]) || fqdns.size() == kMaxFqdnArgs) {
      reply(replyError("'" + args[i] + "': give at most " + std::to_string(kMaxFqdnArgs) +
                       " Exchange server FQDNs (letters, digits, '-' and '.')"));
      return;
    }
    addUnique(fqdns, es::canonicalName(args[i]));
  }
  policy::PolicyPtr pol = policy_.current();
  const policy::Config& c = pol->config();
  auto p = std::make_shared<PendingVerify>();
  p->reply = std::move(reply);
  accel::EncryptionSettingsFacts& f = p->facts;

  // [EDGE:] every box in the path.
  for (const auto& [which, plugged] : flows_.accelerators()) {
    if (std::string(plugged.accelerator->name()) == "mapi") {
      auto st = plugged.accelerator->status();
      f.mapi = {st.enabled, st.state == "Running", st.state == "Running" ? "" : st.state};
    }
  }
  const policy::WanSecureConfig& w = wanSecure_.config();
  std::string whyNot = wanSecure_.unavailableReason();
  if (whyNot == "not started") {
    whyNot = "not started: it starts with the daemon, so restart bridgehead after enabling it";
  }
  f.ssl = {c.wanSecure.anySecured() || (c.encryptionService.enabled && isCore()),
           wanSecure_.available(), whyNot};
  f.wanSecure = {w.mapiMode != policy::WanSecureMode::Never,
                 w.mapiMode != policy::WanSecureMode::Never && wanSecure_.available(),
                 w.mapiMode == policy::WanSecureMode::Never ? "" : whyNot};
  for (const auto& m : policy::mapiClasses(c)) {
    f.mapiClasses.push_back({m.name, m.match, m.action});
  }
  f.epmClass = policy::hasEpmClass(c);
  f.mapiWanSecureMode = policy::wanSecureModeName(w.mapiMode);
  f.mapiWanSecureModeUser = w.mapiMode != policy::WanSecureConfig{}.mapiMode;

  // [CORE:] the encryption service and Step 3.
  f.coreRole = isCore();
  f.role = policy::roleName(role_);
  es::EncryptionService& service = encryption_.service();
  f.encryptionService = {c.encryptionService.enabled, service.config().enabled,
                         isCore() ? "" : "this box is not a core"};
  for (const auto& s : service.identities()) {
    f.identities.push_back({s.name, s.kind, s.domain, s.active, s.blacklisted, s.blacklistReason,
                            s.credentials == "loaded" || s.credentials.rfind("kept", 0) == 0,
                            s.credentials});
  }
  SecureStoreView store = wanSecure_.storeView();
  f.storeState = store.state;
  f.storePath = store.path;
  f.storeReason = store.reason;

  // The Exchange servers known to this box: those named, those in the key cache, those being
  // fetched.
  for (const es::SpnKeys* k : service.cache().entries()) {
    addUnique(fqdns, hostOfSpn(k->spn));
  }
  for (const auto& spn : service.inProgress()) {
    addUnique(fqdns, hostOfSpn(spn));
  }
  VerifyProbeRequest probe;
  probe.kdcTimeoutMs = std::min(kMaxKdcProbeMs, service.config().timeoutMs);
  std::vector<KeyCheckRequest> keys;
  std::vector<accel::KeyRetrievalFacts> unmatched;
  if (service.config().enabled) {
    probe.exchangeFqdns = fqdns;
    for (const auto& id : service.config().identities) {
      if (!id.active) {
        continue;
      }
      std::string domain = es::canonicalName(id.domain);
      KeyCheckRequest k{id.name, domain, ""};
      for (const auto& fq : fqdns) {
        if (es::domainOfHost(fq) == domain) {
          k.fqdn = fq;
          break;
        }
      }
      keys.push_back(std::move(k));
      // A keytab identity asks no KDC; the others authenticate to the domain's.
      if (id.kind != es::IdentityKind::Keytab) {
        probe.domains.push_back({domain, id.domainControllers, id.clientPrincipal()});
      }
    }
    // An Exchange server of a domain no identity covers: get-key names it (the seed's Problem 3,
    // a parent domain's identity named as not covering it).
    // Named here, not asked of the service: keys cached before the identity went would answer.
    for (const auto& fq : fqdns) {
      std::string domain = es::domainOfHost(fq);
      es::IdentityMatch m = es::matchIdentity(service.config().identities, domain);
      if (m.identity != nullptr) {
        continue;
      }
      es::RetrievalError e{es::RetrievalFailure::NoIdentityForDomain, "", std::nullopt};
      if (!m.parentIdentity.empty()) {
        e.detail = "identity " + m.parentIdentity + " is in the parent domain " + m.parentDomain +
                   ", which does not cover a sub-domain";
      }
      accel::KeyRetrievalFacts k;
      k.identity = "(none)";
      k.domain = domain;
      k.fqdn = fq;
      k.outcome = accel::KeyRetrievalFacts::Outcome::Failed;
      k.failure = es::describeFailure(e, "", domain);
      if (service.cache().find("exchangeMDB/" + fq) != nullptr) {
        k.failure += "; the keys fetched before are still cached, none will be fetched again";
      }
      k.remedy = es::failureRemedy(e, "", domain);
      unmatched.push_back(std::move(k));
    }
  }
  startVerifyProbe(&loop_, std::move(probe), [p](VerifyProbeResult r) {
    p->facts.ntp = std::move(r.ntp);
    p->facts.dns = std::move(r.dns);
    p->facts.kdcs = std::move(r.kdcs);
    p->oneDone();
  });
  // Queued retrievals wait for a free slot: allow each its own time limit, and a margin.
  uint32_t waitMs =
      service.config().timeoutMs * static_cast<uint32_t>(std::max<size_t>(1, keys.size())) + 2000;
  checkKeys(&loop_, service, std::move(keys), waitMs,
            [p, unmatched = std::move(unmatched)](std::vector<accel::KeyRetrievalFacts> r) {
              r.insert(r.end(), unmatched.begin(), unmatched.end());
              p->facts.retrievals = std::move(r);
              p->oneDone();
            });
}

}  // namespace bh::proxy
