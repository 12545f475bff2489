#include "secure/encryption_service/encryption_service.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "../lab_ca.h"
#include "secure/encryption_service/key_cache_record.h"
#include "secure/sealed_file.h"
#include "secure/secure_store.h"

using namespace bh;
using namespace bh::secure;
using namespace bh::secure::encryption_service;

namespace {

/// Records the jobs; the test plays the retrieval's part.
class RecordingRetriever : public KeyRetriever {
 public:
  void start(RetrievalJob job) override { jobs.push_back(std::move(job)); }
  std::vector<RetrievalJob> jobs;
};

struct Harness {
  LineLog lines;
  std::vector<std::string> journal;
  SrErrorLog log{lines, [this](bool, const std::string& l) { journal.push_back(l); },
                 [] { return int64_t{1764963966123}; }};
  RecordingRetriever retriever;
  EncryptionService service{retriever, log};

  std::string all() const {
    std::string s;
    for (const auto& l : lines.last(10000).lines) {
      s += l + "\n";
    }
    return s;
  }
  bool logged(const std::string& text) const { return all().find(text) != std::string::npos; }
};

Identity userIdentity(std::string name = "svc-repl", std::string domain = "example.com") {
  Identity id;
  id.name = std::move(name);
  id.kind = IdentityKind::User;
  id.domain = std::move(domain);
  id.principal = "bhrepl";
  id.passwordFile = "/etc/bridgehead/bhrepl.password";
  id.domainControllers = {"10.91.5.1"};
  return id;
}

EncryptionServiceConfig config(std::vector<Identity> ids = {userIdentity()}) {
  EncryptionServiceConfig c;
  c.enabled = true;
  c.identities = std::move(ids);
  c.retryAfterSeconds = 60;
  c.maxRetrievalsInFlight = 2;
  return c;
}

SpnKeys fetched(uint32_t kvno = 2, uint8_t fill = 0x3c) {
  SpnKeys k;
  k.account = "EXCH1$";
  k.keys.push_back({kEtypeAes256, kvno, Bytes(32, fill)});
  k.keys.push_back({kEtypeRc4, kvno, Bytes(16, static_cast<uint8_t>(fill + 1))});
  return k;
}

RetrievalResult success(const RetrievalJob& j, uint32_t kvno = 2) {
  RetrievalResult r;
  r.id = j.id;
  r.keys = fetched(kvno);
  r.steps = {"Authentication success", "DRSBind Success, Status:00000000"};
  return r;
}

RetrievalResult failure(const RetrievalJob& j, RetrievalFailure f, std::string detail = {}) {
  RetrievalResult r;
  r.id = j.id;
  r.error.kind = f;
  r.error.detail = std::move(detail);
  return r;
}

const char* kSpn = "exchangeMDB/exch1.example.com";

}  // namespace

TEST_CASE("encryption service: disabled answers Disabled and starts nothing") {
  Harness h;
  auto c = config();
  c.enabled = false;
  h.service.configure(c);
  CHECK(h.service.keyFor(kSpn, 100).state == KeyState::Disabled);
  CHECK(h.retriever.jobs.empty());
}

TEST_CASE("encryption service: a miss starts one retrieval; the key then resides in the cache") {
  Harness h;
  h.service.configure(config());
  CHECK(h.logged("Adding Identity svc-repl to map (User, domain example.com)"));
  auto first = h.service.keyFor(kSpn, 100);
  CHECK(first.state == KeyState::InProgress);
  CHECK(first.identity == "svc-repl");
  REQUIRE(h.retriever.jobs.size() == 1);
  const RetrievalJob& job = h.retriever.jobs[0];
  CHECK(job.spn == kSpn);
  CHECK(job.host == "exch1.example.com");
  CHECK(job.domain == "example.com");
  CHECK(job.identity.name == "svc-repl");
  CHECK(job.domainControllers == std::vector<std::string>{"10.91.5.1"});
  CHECK(job.timeoutMs == 15000);
  CHECK(
      h.logged("NTCE Key Not Found in cache, initiating retrieval for spn: " + std::string(kSpn)));
  CHECK(h.logged("Match found for DN: example.com is ID:svc-repl"));
  CHECK(h.logged("Identity svc-repl found in the Map"));
  CHECK(h.logged("Key retrieval is in Progress"));

  // Asked again while it runs (another flow, or get-key): in progress, no second job.
  CHECK(h.service.keyFor("EXCHANGEMDB/EXCH1.example.com", 101).state == KeyState::InProgress);
  CHECK(h.service.getKey("exch1.example.com", "example.com", 101).state == KeyState::InProgress);
  CHECK(h.retriever.jobs.size() == 1);
  CHECK(h.service.inProgress() == std::vector<std::string>{kSpn});

  h.service.onResult(success(job), 102);
  CHECK(h.logged("session(1) DRSBind Success, Status:00000000"));
  CHECK(h.logged("session(1) Successful in Key Retrieval"));
  CHECK(h.logged("Insert new KrbKey: " + std::string(kSpn) +
                 " (aes256-cts-hmac-sha1-96 kvno 2, arcfour-hmac kvno 2)"));
  auto hit = h.service.getKey("exch1.example.com", "example.com", 103);
  REQUIRE(hit.state == KeyState::InCache);
  REQUIRE(hit.keys != nullptr);
  CHECK(hit.keys->fetchedAt == 102);
  CHECK(hit.keys->source == "svc-repl");
  CHECK(hit.keys->domain == "example.com");
  CHECK(h.service.stats().retrievalsSucceeded == 1);
  CHECK(h.service.identities()[0].lastAuthStatus == "SUCCESS");
  CHECK(h.service.inProgress().empty());
  // Keys never reach a log line: 0x3c3c... and 0x3d3d... appear nowhere.
  CHECK(h.all().find("3c3c3c3c") == std::string::npos);
  CHECK(h.all().find("PDw8PDw8") == std::string::npos);  // base64 of 3c3c3c...
}

TEST_CASE(
    "encryption service: Problem 1, permission refused, blacklists until the config changes") {
  Harness h;
  h.service.configure(config());
  REQUIRE(h.service.keyFor(kSpn, 100).state == KeyState::InProgress);
  h.service.onResult(failure(h.retriever.jobs[0], RetrievalFailure::PermissionDenied,
                             "DsGetNCChanges WERROR 0x00002105"),
                     101);
  CHECK(h.logged("ERRO Key retrieval failed with Status permission"));
  CHECK(h.logged("Key retrieval failed due to permission"));
  CHECK(h.logged("Identity \"svc-repl\" has been blacklisted"));
  CHECK(h.logged("Identity: svc-repl will be black listed"));
  auto ids = h.service.identities();
  REQUIRE(ids.size() == 1);
  CHECK(ids[0].blacklisted);
  CHECK(h.service.stats().retrievalsFailed.at("permission") == 1);

  // Long after retryAfter, still no new retrieval: the identity is blacklisted.
  auto later = h.service.keyFor(kSpn, 10000);
  CHECK(later.state == KeyState::Failed);
  CHECK(later.error.kind == RetrievalFailure::IdentityBlacklisted);
  CHECK(h.retriever.jobs.size() == 1);
  // Reloading the same configuration keeps it blacklisted...
  h.service.configure(config());
  CHECK(h.service.identities()[0].blacklisted);
  CHECK(h.service.keyFor(kSpn, 20000).error.kind == RetrievalFailure::IdentityBlacklisted);
  CHECK(h.retriever.jobs.size() == 1);
  // ...changing the identity ends it.
  Identity changed = userIdentity();
  changed.principal = "bhrepl2";
  h.service.configure(config({changed}));
  CHECK(h.logged("Identity svc-repl is no longer black listed (configuration changed)"));
  CHECK_FALSE(h.service.identities()[0].blacklisted);
  CHECK(h.service.keyFor(kSpn, 20001).state == KeyState::InProgress);
  CHECK(h.retriever.jobs.size() == 2);
}

TEST_CASE("encryption service: other failures are remembered for retryAfter, then retried") {
  Harness h;
  h.service.configure(config());
  h.service.keyFor(kSpn, 100);
  RetrievalResult skew = failure(h.retriever.jobs[0], RetrievalFailure::ClockSkew);
  skew.error.clockOffsetSeconds = -600;
  h.service.onResult(skew, 101);
  CHECK(
      h.logged("ERRO Key retrieval failed: Clock skew too great with the KDC of example.com, "
               "offset -600 s (KDC minus this box): this box's clock is 600 s ahead of the "
               "KDC's"));
  CHECK(h.service.identities()[0].lastAuthStatus == "clock-skew");
  // show windows-domain encryption-service: the identity's last failure, with the offset.
  CHECK(h.service.identities()[0].lastFailure.find("offset -600 s") != std::string::npos);
  CHECK(h.service.identities()[0].clockOffsetSeconds == std::optional<int64_t>(-600));
  auto again = h.service.keyFor(kSpn, 150);
  CHECK(again.state == KeyState::Failed);
  CHECK(again.error.kind == RetrievalFailure::ClockSkew);
  REQUIRE(again.error.clockOffsetSeconds.has_value());
  CHECK(*again.error.clockOffsetSeconds == -600);
  CHECK(h.retriever.jobs.size() == 1);
  CHECK_FALSE(h.service.identities()[0].blacklisted);
  CHECK(h.service.keyFor(kSpn, 161).state == KeyState::InProgress);
  CHECK(h.retriever.jobs.size() == 2);
  // The clock synchronized, the retry succeeds: the identity's last failure is gone.
  h.service.onResult(success(h.retriever.jobs[1]), 162);
  CHECK(h.service.identities()[0].lastFailure.empty());
  CHECK_FALSE(h.service.identities()[0].clockOffsetSeconds.has_value());
}

TEST_CASE("encryption service: Problem 3, no identity for the domain, names the parent's") {
  Harness h;
  h.service.configure(config());
  auto r = h.service.keyFor("exchangeMDB/exch9.sub.example.com", 100);
  CHECK(r.state == KeyState::Failed);
  CHECK(r.error.kind == RetrievalFailure::NoIdentityForDomain);
  CHECK(h.retriever.jobs.empty());
  CHECK(
      h.logged("ERRO Failed to find identity match for domain sub.example.com (identity "
               "svc-repl is in the parent domain example.com, which does not cover a "
               "sub-domain)"));
  auto remedy = failureRemedy(r.error, "", "sub.example.com");
  REQUIRE_FALSE(remedy.empty());
  CHECK(remedy[0].find("sub.example.com") != std::string::npos);
  // get-key takes the domain as given: an identity for it must exist.
  CHECK(h.service.getKey("exch1.example.com", "other.example", 100).error.kind ==
        RetrievalFailure::NoIdentityForDomain);
}

TEST_CASE("encryption service: at most maxRetrievalsInFlight run; the rest wait their turn") {
  Harness h;
  h.service.configure(config());
  for (int i = 0; i < 4; ++i) {
    CHECK(h.service.keyFor("exchangeMDB/exch" + std::to_string(i) + ".example.com", 100).state ==
          KeyState::InProgress);
  }
  REQUIRE(h.retriever.jobs.size() == 2);
  CHECK(h.service.inProgress().size() == 4);
  h.service.onResult(failure(h.retriever.jobs[0], RetrievalFailure::DcUnreachable, "10.91.5.1"),
                     101);
  // Not the identity's failure: its AUTH_STATUS does not show it.
  CHECK(h.service.identities()[0].lastAuthStatus == "never used");
  REQUIRE(h.retriever.jobs.size() == 3);
  CHECK(h.retriever.jobs[2].spn == "exchangeMDB/exch2.example.com");
  h.service.onResult(success(h.retriever.jobs[1]), 102);
  REQUIRE(h.retriever.jobs.size() == 4);
  // A report for a job nobody runs (a stale id) changes nothing.
  RetrievalResult stray = success(h.retriever.jobs[1]);
  stray.id = 999;
  h.service.onResult(stray, 103);
  CHECK(h.service.cache().size() == 1);
}

TEST_CASE("encryption service: a ticket with a newer kvno fetches again, keeping the old keys") {
  Harness h;
  h.service.configure(config());
  h.service.keyFor(kSpn, 100);
  h.service.onResult(success(h.retriever.jobs[0], 2), 101);
  h.service.noteTicketKvno(kSpn, 2, 102);
  CHECK(h.retriever.jobs.size() == 1);
  h.service.noteTicketKvno(kSpn, 3, 103);
  REQUIRE(h.retriever.jobs.size() == 2);
  h.service.noteTicketKvno(kSpn, 3, 104);  // already being fetched
  CHECK(h.retriever.jobs.size() == 2);
  CHECK(h.service.keyFor(kSpn, 104).state == KeyState::InCache);  // kvno 2 still opens
  h.service.onResult(failure(h.retriever.jobs[1], RetrievalFailure::DcUnreachable), 105);
  CHECK(h.service.keyFor(kSpn, 106).keys->kvno() == 2);
  CHECK(h.logged("Failed to refresh the keys of spn"));
  // A failed refresh pauses for retry_after_s (60 s here): tickets meanwhile don't refetch.
  h.service.noteTicketKvno(kSpn, 3, 107);
  h.service.noteTicketKvno(kSpn, 3, 164);
  CHECK(h.retriever.jobs.size() == 2);
  h.service.noteTicketKvno(kSpn, 3, 165);
  REQUIRE(h.retriever.jobs.size() == 3);
  h.service.onResult(success(h.retriever.jobs[2], 3), 166);
  CHECK(h.service.keyFor(kSpn, 167).keys->kvno() == 3);
  CHECK(h.service.stats().refreshesForNewerKvno == 2);
}

TEST_CASE("encryption service: a refresh waiting for a free retrieval slot is not queued twice") {
  Harness h;
  h.service.configure(config());  // two retrievals in flight at most
  h.service.keyFor(kSpn, 100);
  h.service.onResult(success(h.retriever.jobs[0], 2), 101);
  h.service.getKey("exch2.example.com", "example.com", 102);
  h.service.getKey("exch3.example.com", "example.com", 102);
  REQUIRE(h.retriever.jobs.size() == 3);  // both slots busy
  h.service.noteTicketKvno(kSpn, 3, 103);
  h.service.noteTicketKvno(kSpn, 3, 104);
  CHECK(h.retriever.jobs.size() == 3);
  h.service.onResult(success(h.retriever.jobs[1]), 105);
  REQUIRE(h.retriever.jobs.size() == 4);
  CHECK(h.retriever.jobs[3].spn == kSpn);
  h.service.onResult(success(h.retriever.jobs[2]), 106);
  CHECK(h.retriever.jobs.size() == 4);  // the second note left nothing queued
  CHECK(h.service.stats().refreshesForNewerKvno == 1);
}

TEST_CASE("encryption service: the cache is sealed into the secure store and restored") {
  test::TempDir t;
  std::string dir = (t.path / "store").string();
  StoreKey key(Bytes(32, 7));
  {
    SecureStore store(dir, ::geteuid());
    REQUIRE(store.initialize(key));
    Harness h;
    h.service.configure(config());
    REQUIRE(h.service.attachStore(&store));
    h.service.keyFor(kSpn, 100);
    h.service.onResult(success(h.retriever.jobs[0]), 101);
    REQUIRE(store.contains(kKeyCacheStoreEntry));
  }
  SecureStore store(dir, ::geteuid());
  REQUIRE(store.open(key));
  Harness h;
  h.service.configure(config());
  REQUIRE(h.service.attachStore(&store));
  CHECK(h.logged("Key for " + std::string(kSpn) + " restored from the secure store"));
  auto r = h.service.keyFor(kSpn, 200);
  REQUIRE(r.state == KeyState::InCache);
  CHECK(r.keys->find(kEtypeAes256, 2)->value == Bytes(32, 0x3c));
  CHECK(h.retriever.jobs.empty());

  // A damaged record: refused with a reason, the cache starts empty, nothing crashes.
  REQUIRE(store.put(kKeyCacheStoreEntry, Bytes{'B', 'H', 'K', 'C', 1, 0, 9}).ok());
  Harness h2;
  h2.service.configure(config());
  CHECK_FALSE(h2.service.attachStore(&store));
  CHECK(h2.logged("Cannot read the stored key cache"));
  CHECK(h2.service.cache().size() == 0);
}
