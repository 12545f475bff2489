#include "lab/wccp_router.h"

#include <algorithm>

#include "common/ip_address.h"

namespace bh::lab {

using namespace bh::redirect::wccp;

namespace {}  // namespace

Bytes WccpRouter::finish(Message& m) const {
  Bytes out = encodeMessage(m);
  if (config_.password) {
    signMessage(out, *config_.password);
  }
  return out;
}

void WccpRouter::membershipChanged() {
  ++changeNumber_;
}

void WccpRouter::changeRouterId(uint32_t routerId) {
  if (config_.address == 0) {
    config_.address = config_.routerId;  // the boxes still send to the address they know
  }
  config_.routerId = routerId;
  membershipChanged();
}

std::vector<Datagram> WccpRouter::onDatagram(uint32_t from, ByteSpan payload, uint64_t nowMs) {
  std::vector<Datagram> out;
  Message m;
  ParseResult r = decodeMessage(payload, m);
  if (!r.ok()) {
    ++counters_.malformed;
    lastProblem_ = "malformed: " + r.error;
    return out;
  }
  if (config_.password ? verifyMessage(payload, *config_.password) != SecurityVerdict::Ok
                       : (m.find<SecurityInfo>() != nullptr &&
                          m.find<SecurityInfo>()->option == SecurityOption::Md5)) {
    ++counters_.securityFailures;
    // As IOS: silently ignored (no answer), counted and logged with the sender.
    lastProblem_ =
        std::string("security mismatch: ") + messageTypeName(m.type) + " from " +
        IpAddress::v4(from).toString() + ": " +
        (config_.password ? securityVerdictName(verifyMessage(payload, *config_.password))
                          : "signed with MD5, the router has no password");
    return out;
  }
  const auto* service = m.find<ServiceInfo>();
  if (service == nullptr || service->id != config_.serviceId) {
    return out;
  }
  if (!service_) {
    service_ = *service;  // 4.4: the first web cache defines a dynamic service
  } else if (!sameService(*service_, *service)) {
    ++counters_.serviceConflicts;
    lastProblem_ = "service definition conflict";
    return out;
  }
  if (m.type == MessageType::HereIAm) {
    onHereIAm(from, m, nowMs, out);
  } else if (m.type == MessageType::RedirectAssign) {
    onRedirectAssign(from, m);
  }
  return out;
}

void WccpRouter::onHereIAm(uint32_t from, const Message& m, uint64_t nowMs,
                           std::vector<Datagram>& out) {
  const auto* identity = m.find<WebCacheIdentity>();
  const auto* view = m.find<WebCacheViewInfo>();
  if (identity == nullptr || view == nullptr || identity->address != from) {
    ++counters_.malformed;
    lastProblem_ = "HERE_I_AM without a matching identity and view";
    return;
  }
  ++counters_.hereIAmReceived;
  WccpCacheState& c = caches_[from];
  c.address = from;
  c.weight = identity->weight;
  c.lastHereIAmMs = nowMs;
  c.queried = false;
  // Two-way: the box echoes a Receive ID this router sent it (a stale one is not enough).
  bool echoed = false;
  for (const auto& r : view->routers) {
    echoed = echoed || (r.routerId == config_.routerId && r.receiveId != 0 &&
                        r.receiveId == c.lastReceiveIdSent);
  }
  if (echoed && !c.usable) {
    c.usable = true;
    membershipChanged();
  }
  out.push_back({from, iSeeYou(c)});
}

Bytes WccpRouter::iSeeYou(const WccpCacheState& cache) {
  WccpCacheState& c = caches_[cache.address];
  c.lastReceiveIdSent = ++receiveId_;
  ++counters_.iSeeYouSent;
  Message m;
  m.type = MessageType::ISeeYou;
  m.components.push_back(securityInfo(config_.password.has_value()));
  m.components.push_back(*service_);
  m.components.push_back(
      RouterIdentityInfo{{config_.routerId, receiveId_}, sentTo(), {cache.address}});
  RouterViewInfo view;
  view.memberChangeNumber = changeNumber_;
  view.assignmentKey = key_;
  view.routers = {config_.routerId};
  for (const auto& [address, s] : caches_) {
    if (!s.usable) {
      continue;
    }
    WebCacheIdentity w;
    w.address = address;
    w.weight = s.weight;
    w.unassigned = true;
    if (hash_) {
      auto index = std::find(hash_->webCaches.begin(), hash_->webCaches.end(), address);
      if (index != hash_->webCaches.end()) {
        w.unassigned = false;
        const size_t i = static_cast<size_t>(index - hash_->webCaches.begin());
        for (size_t b = 0; b < 256; ++b) {
          if ((hash_->buckets[b] & 0x7f) == i && hash_->buckets[b] != kUnassignedBucket) {
            w.buckets[b / 8] |= static_cast<uint8_t>(0x80 >> (b % 8));
          }
        }
      }
    }
    view.webCaches.push_back(w);
  }
  m.components.push_back(view);
  if (!config_.omitCapabilities) {
    m.components.push_back(capabilityInfo(config_.forwarding, config_.assignment, config_.returns));
  }
  return finish(m);
}

void WccpRouter::onRedirectAssign(uint32_t from, const Message& m) {
  std::vector<uint32_t> usable;
  for (const auto& [address, c] : caches_) {
    if (c.usable) {
      usable.push_back(address);
    }
  }
  // Only the designated box (the lowest usable address) assigns.
  if (usable.empty() || from != *std::min_element(usable.begin(), usable.end())) {
    ++counters_.assignmentsRefused;
    lastProblem_ = "REDIRECT_ASSIGN from a box that is not the designated one";
    return;
  }
  const AssignmentKey* key = nullptr;
  const std::vector<RouterAssignment>* routers = nullptr;
  std::optional<HashAssignment> hash;
  std::optional<MaskAssignment> mask;
  if (const auto* h = m.find<HashAssignment>()) {
    hash = *h;
    key = &hash->key;
    routers = &hash->routers;
  } else if (const auto* alt = m.find<AltAssignment>()) {
    if (const auto* hh = std::get_if<HashAssignment>(&alt->body)) {
      hash = *hh;
      key = &hash->key;
      routers = &hash->routers;
    } else {
      mask = std::get<MaskAssignment>(alt->body);
      key = &mask->key;
      routers = &mask->routers;
    }
  }
  if (key == nullptr) {
    ++counters_.malformed;
    lastProblem_ = "REDIRECT_ASSIGN without an assignment";
    return;
  }
  // 5.7.4: a router ignores an assignment whose Receive ID or Change Number is not current.
  bool current = false;
  for (const auto& r : *routers) {
    current = current || (r.routerId == config_.routerId && r.changeNumber == changeNumber_);
  }
  if (!current) {
    ++counters_.assignmentsRefused;
    lastProblem_ = "REDIRECT_ASSIGN for another membership change";
    return;
  }
  key_ = *key;
  hash_ = std::move(hash);
  mask_ = std::move(mask);
  ++counters_.assignmentsExecuted;
}

std::vector<Datagram> WccpRouter::tick(uint64_t nowMs) {
  std::vector<Datagram> out;
  for (auto it = caches_.begin(); it != caches_.end();) {
    WccpCacheState& c = it->second;
    if (nowMs >= c.lastHereIAmMs + 3 * kHereIAmIntervalMs) {
      ++counters_.cachesRemoved;
      const bool wasUsable = c.usable;
      it = caches_.erase(it);
      if (wasUsable) {
        membershipChanged();
      }
      continue;
    }
    if (!c.queried && nowMs >= c.lastHereIAmMs + 5 * kHereIAmIntervalMs / 2 && service_) {
      c.queried = true;
      ++counters_.removalQueriesSent;
      Message q;
      q.type = MessageType::RemovalQuery;
      q.components.push_back(securityInfo(config_.password.has_value()));
      q.components.push_back(*service_);
      q.components.push_back(RouterQueryInfo{config_.routerId, receiveId_, sentTo(), c.address});
      out.push_back({c.address, finish(q)});
    }
    ++it;
  }
  return out;
}

bool WccpRouter::assigned(uint32_t address) const {
  if (hash_) {
    for (size_t i = 0; i < hash_->webCaches.size(); ++i) {
      if (hash_->webCaches[i] != address) {
        continue;
      }
      for (uint8_t b : hash_->buckets) {
        if (b != kUnassignedBucket && (b & 0x7f) == i) {
          return true;
        }
      }
    }
  } else if (mask_) {
    for (const auto& set : mask_->sets) {
      for (const auto& v : set.values) {
        if (v.webCache == address) {
          return true;
        }
      }
    }
  }
  return false;
}

bool WccpRouter::assignmentComplete() const {
  auto usable = [this](uint32_t a) {
    auto it = caches_.find(a);
    return it != caches_.end() && it->second.usable;
  };
  if (hash_) {
    for (uint8_t b : hash_->buckets) {
      if (b == kUnassignedBucket || (b & 0x7f) >= hash_->webCaches.size() ||
          !usable(hash_->webCaches[b & 0x7f])) {
        return false;
      }
    }
    return true;
  }
  if (mask_) {
    for (const auto& set : mask_->sets) {
      for (const auto& v : set.values) {
        if (!usable(v.webCache)) {
          return false;
        }
      }
    }
    return !mask_->sets.empty();
  }
  return false;
}

uint8_t WccpRouter::bucketOf(const PacketFields& packet) const {
  return redirect::wccp::bucketOf(packet, service_ ? service_->flags : 0);
}

std::optional<uint32_t> WccpRouter::redirectTarget(const PacketFields& packet) const {
  std::optional<uint32_t> target;
  if (hash_) {
    const uint8_t b = hash_->buckets[bucketOf(packet)];
    if (b != kUnassignedBucket && (b & 0x7f) < hash_->webCaches.size()) {
      target = hash_->webCaches[b & 0x7f];
    }
  } else if (mask_) {
    target = maskMatch(packet, mask_->sets);
  }
  // A box that left is forwarded around until the next assignment.
  if (target) {
    auto it = caches_.find(*target);
    if (it == caches_.end() || !it->second.usable) {
      return std::nullopt;
    }
  }
  return target;
}

}  // namespace bh::lab
