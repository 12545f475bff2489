#include "secure/encryption_service/key_cache.h"

#include "secure/encryption_service/identity.h"

namespace bh::secure::encryption_service {

const SpnKeys* KeyCache::find(std::string_view spn) const {
  auto it = entries_.find(canonicalName(spn));
  return it == entries_.end() ? nullptr : &it->second;
}

bool KeyCache::put(SpnKeys keys, std::string* why) {
  auto refuse = [&](std::string reason) {
    if (why != nullptr) {
      *why = std::move(reason);
    }
    return false;
  };
  if (keys.keys.empty()) {
    return refuse("no key for " + keys.spn);
  }
  if (keys.keys.size() > limits_.maxKeysPerSpn) {
    return refuse(std::to_string(keys.keys.size()) + " keys for " + keys.spn + " (at most " +
                  std::to_string(limits_.maxKeysPerSpn) + ")");
  }
  for (const auto& k : keys.keys) {
    if (k.value.empty() || k.value.size() > limits_.maxKeyBytes) {
      return refuse("a " + std::to_string(k.value.size()) + "-byte key for " + keys.spn);
    }
  }
  for (const std::string* s : {&keys.spn, &keys.domain, &keys.account, &keys.source}) {
    if (s->size() > limits_.maxNameBytes) {
      return refuse("a name longer than " + std::to_string(limits_.maxNameBytes) + " bytes");
    }
  }
  if (keys.spn.empty()) {
    return refuse("keys without an SPN");
  }
  std::string name = canonicalName(keys.spn);
  auto it = entries_.find(name);
  if (it == entries_.end() && entries_.size() >= limits_.maxSpns) {
    auto oldest = entries_.begin();
    for (auto e = entries_.begin(); e != entries_.end(); ++e) {
      if (e->second.fetchedAt < oldest->second.fetchedAt) {
        oldest = e;
      }
    }
    entries_.erase(oldest);
  }
  entries_[name] = std::move(keys);
  return true;
}

bool KeyCache::erase(std::string_view spn) {
  return entries_.erase(canonicalName(spn)) != 0;
}

std::vector<const SpnKeys*> KeyCache::entries() const {
  std::vector<const SpnKeys*> out;
  out.reserve(entries_.size());
  for (const auto& [name, keys] : entries_) {
    out.push_back(&keys);
  }
  return out;
}

bool KeyCache::isStale(std::string_view spn, uint32_t kvno) const {
  const SpnKeys* k = find(spn);
  return k != nullptr && kvno > k->kvno();
}

}  // namespace bh::secure::encryption_service
