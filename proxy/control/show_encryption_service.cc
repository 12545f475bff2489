#include "proxy/control/show_encryption_service.h"

#include "common/text_column.h"
#include "proxy/control/reply.h"

namespace bh::proxy {

namespace es = secure::encryption_service;
using nlohmann::json;

namespace {

json keysJson(const es::SpnKeys& k) {
  json keys = json::array();
  for (const auto& key : k.keys) {
    keys.push_back(
        {{"etype", key.etype}, {"etype_name", es::etypeName(key.etype)}, {"kvno", key.kvno}});
  }
  return keys;
}

json errorJson(const es::RetrievalError& e) {
  json j = {{"reason", es::failureName(e.kind)}, {"detail", e.detail}};
  if (e.clockOffsetSeconds) {
    j["clock_offset_s"] = *e.clockOffsetSeconds;
  }
  return j;
}

const char* stateName(es::KeyState s) {
  switch (s) {
    case es::KeyState::InCache:
      return "in-cache";
    case es::KeyState::InProgress:
      return "in-progress";
    case es::KeyState::Failed:
      return "failed";
    case es::KeyState::Disabled:
      return "disabled";
  }
  return "?";
}

}  // namespace

json getKeyReply(const std::string& fqdn, const std::string& domain, const es::KeyLookup& lookup,
                 int64_t nowS) {
  std::string text = "SPN " + fqdn + ", Domain name: " + domain + "\n";
  json j = {{"spn", "exchangeMDB/" + fqdn},
            {"fqdn", fqdn},
            {"domain", domain},
            {"state", stateName(lookup.state)},
            {"identity", lookup.identity}};
  switch (lookup.state) {
    case es::KeyState::Disabled:
      text += "The encryption service is disabled (encryption_service.enabled).\n";
      break;
    case es::KeyState::InProgress:
      text += "Key retrieval is in progress.\n";
      break;
    case es::KeyState::InCache: {
      const es::SpnKeys& k = *lookup.keys;
      text += "Key for " + fqdn + " resides in memory key cache\n";
      text += "  Keys:      " + k.describe() + "\n";
      text += "  Account:   " + (k.account.empty() ? std::string("-") : k.account) + "\n";
      text += "  From:      " + k.source + ", " + std::to_string(nowS - k.fetchedAt) + " s ago\n";
      j["keys"] = keysJson(k);
      j["account"] = k.account;
      j["source"] = k.source;
      j["fetched_at"] = k.fetchedAt;
      break;
    }
    case es::KeyState::Failed: {
      text += es::describeFailure(lookup.error, lookup.identity, domain) + "\n";
      auto remedy = es::failureRemedy(lookup.error, lookup.identity, domain);
      for (const auto& r : remedy) {
        text += ">>" + r + "\n";
      }
      j["error"] = errorJson(lookup.error);
      j["remedy"] = remedy;
      break;
    }
  }
  return replyOk(std::move(text), std::move(j));
}

json showEncryptionService(const es::EncryptionService& service, int64_t nowS) {
  const auto& cfg = service.config();
  std::string text = padRight("Encryption-service:", 24) + (cfg.enabled ? "Enabled" : "Disabled") +
                     "\n\nIdentities:\n";
  json ids = json::array();
  auto identities = service.identities();
  if (identities.empty()) {
    text += "  (none: configure encryption_service.identities)\n";
  }
  for (const auto& s : identities) {
    text += "  " + padRight(s.name, 18) + padRight(s.kind, 9) + padRight(s.domain, 24) +
            (s.active ? "Active" : "Inactive") +
            "  Black_Listed:" + (s.blacklisted ? "YES" : "NO") +
            "  AUTH_STATUS: " + s.lastAuthStatus + "\n";
    if (s.blacklisted) {
      text += "    " + s.blacklistReason + "\n";
    }
    if (s.credentials != "loaded") {
      text += "    credentials: " + s.credentials + "\n";
    }
    if (!s.lastFailure.empty() && !s.blacklisted) {
      text += "    last failure: " + s.lastFailure + "\n";
    }
    ids.push_back({{"name", s.name},
                   {"type", s.kind},
                   {"domain", s.domain},
                   {"active", s.active},
                   {"black_listed", s.blacklisted},
                   {"black_list_reason", s.blacklistReason},
                   {"auth_status", s.lastAuthStatus},
                   {"credentials", s.credentials},
                   {"last_failure", s.lastFailure}});
    if (s.clockOffsetSeconds) {
      ids.back()["clock_offset_s"] = *s.clockOffsetSeconds;
    }
  }
  text += "\nMemory key cache (" + std::to_string(service.cache().size()) + " of " +
          std::to_string(service.cache().limits().maxSpns) + " SPNs):\n";
  json keys = json::array();
  for (const es::SpnKeys* k : service.cache().entries()) {
    text += "  " + padRight(k->spn, 44) + k->describe() + "  (" +
            std::to_string(nowS - k->fetchedAt) + " s ago, " + k->source + ")\n";
    keys.push_back({{"spn", k->spn},
                    {"domain", k->domain},
                    {"account", k->account},
                    {"source", k->source},
                    {"fetched_at", k->fetchedAt},
                    {"keys", keysJson(*k)}});
  }
  auto running = service.inProgress();
  text += "\nKey retrieval in progress: " + std::to_string(running.size()) + "\n";
  for (const auto& spn : running) {
    text += "  " + spn + "\n";
  }
  const auto& st = service.stats();
  text += "\nStatistics:\n";
  text += "  " + padRight("Cache hits:", 28) + std::to_string(st.cacheHits) + "\n";
  text += "  " + padRight("Cache misses:", 28) + std::to_string(st.cacheMisses) + "\n";
  text += "  " + padRight("Retrievals started:", 28) + std::to_string(st.retrievalsStarted) + "\n";
  text +=
      "  " + padRight("Retrievals succeeded:", 28) + std::to_string(st.retrievalsSucceeded) + "\n";
  for (const auto& [why, n] : st.retrievalsFailed) {
    text += "  " + padRight("Failed (" + why + "):", 28) + std::to_string(n) + "\n";
  }
  text += "  " + padRight("Refreshes (newer kvno):", 28) +
          std::to_string(st.refreshesForNewerKvno) + "\n";
  json j = {{"enabled", cfg.enabled},
            {"identities", ids},
            {"keys", keys},
            {"in_progress", running},
            {"statistics",
             {{"cache_hits", st.cacheHits},
              {"cache_misses", st.cacheMisses},
              {"retrievals_started", st.retrievalsStarted},
              {"retrievals_succeeded", st.retrievalsSucceeded},
              {"retrievals_failed", st.retrievalsFailed},
              {"refreshes_newer_kvno", st.refreshesForNewerKvno}}}};
  return replyOk(std::move(text), std::move(j));
}

}  // namespace bh::proxy
