#include "redirect/wccp/service_group.h"

#include <algorithm>
#include <set>

namespace bh::redirect::wccp {

namespace {

std::string dotted(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xff) + "." +
         std::to_string((a >> 8) & 0xff) + "." + std::to_string(a & 0xff);
}

uint32_t orOf(const std::vector<uint32_t>& methods) {
  uint32_t v = 0;
  for (uint32_t m : methods) {
    v |= m;
  }
  return v;
}

/// The first of `preference` the router offers, or 0.
uint32_t choose(const std::vector<uint32_t>& preference, uint32_t offered) {
  for (uint32_t m : preference) {
    if (offered & m) {
      return m;
    }
  }
  return 0;
}

}  // namespace

ServiceGroup::ServiceGroup(ServiceGroupConfig config) : config_(std::move(config)) {}

void ServiceGroup::problem(RouterState* router, std::string why) {
  if (router != nullptr) {
    router->problem = why;
  }
  lastProblem_ = std::move(why);
}

void ServiceGroup::changed(uint64_t nowMs) {
  ++viewChangeNumber_;
  stableSinceMs_ = nowMs;
}

void ServiceGroup::onDatagram(uint32_t from, ByteSpan payload, uint64_t nowMs) {
  Message m;
  ParseResult r = decodeMessage(payload, m);
  if (!r.ok()) {
    ++counters_.malformed;
    problem(nullptr, "malformed WCCP message from " + dotted(from) + ": " + r.error);
    return;
  }
  if (config_.password) {
    SecurityVerdict v = verifyMessage(payload, *config_.password);
    if (v != SecurityVerdict::Ok) {
      ++counters_.securityFailures;
      problem(nullptr, std::string("security: ") + messageTypeName(m.type) + " from " +
                           dotted(from) + ": " + securityVerdictName(v));
      return;
    }
  } else if (const auto* sec = m.find<SecurityInfo>(); sec && sec->option == SecurityOption::Md5) {
    ++counters_.securityFailures;
    problem(nullptr, "security: " + dotted(from) +
                         " signs with MD5 but this box has no password for the service group");
    return;
  }
  const auto* service = m.find<ServiceInfo>();
  if (service == nullptr) {
    ++counters_.malformed;
    problem(nullptr, std::string(messageTypeName(m.type)) + " from " + dotted(from) +
                         " has no Service Info component");
    return;
  }
  if (service->id != config_.service.id) {
    return;  // another service group's message on the same port
  }
  if (!sameService(*service, config_.service)) {
    ++counters_.serviceConflicts;
    problem(nullptr, "service " + std::to_string(service->id) + ": " + dotted(from) +
                         " defines it differently (flags, protocol, priority or ports)");
    return;
  }
  if (m.type == MessageType::ISeeYou) {
    onISeeYou(from, m, nowMs);
  } else if (m.type == MessageType::RemovalQuery) {
    onRemovalQuery(m, nowMs);
  }
}

void ServiceGroup::onISeeYou(uint32_t from, const Message& m, uint64_t nowMs) {
  const auto* identity = m.find<RouterIdentityInfo>();
  const auto* view = m.find<RouterViewInfo>();
  if (identity == nullptr || view == nullptr) {
    ++counters_.malformed;
    problem(nullptr, "I_SEE_YOU from " + dotted(from) + " lacks its router identity or view");
    return;
  }
  ++counters_.iSeeYouReceived;
  answered_.insert(from);
  unanswered_.erase(from);
  // A router whose ID changed (IOS takes the highest loopback address unless one is configured:
  // adding an address changes it) answers from the same address under its new ID. One address is
  // one router: the old ID is dropped from the view now, not left to time out for 30 s while
  // this box still advertises it, and the change is named.
  for (auto old = routers_.begin(); old != routers_.end();) {
    if (old->first != identity->router.routerId && old->second.address == from) {
      ++counters_.routerIdChanges;
      problem(nullptr, "router " + dotted(from) + " changed its ID from " + dotted(old->first) +
                           " to " + dotted(identity->router.routerId) +
                           ": the old ID dropped from the view");
      old = routers_.erase(old);
      changed(nowMs);
    } else {
      ++old;
    }
  }
  auto [it, added] = routers_.try_emplace(identity->router.routerId);
  RouterState& r = it->second;
  r.routerId = identity->router.routerId;
  r.address = from;
  r.receiveId = identity->router.receiveId;
  r.memberChangeNumber = view->memberChangeNumber;
  r.assignmentKey = view->assignmentKey;
  r.lastISeeYouMs = nowMs;
  std::vector<uint32_t> caches;
  for (const auto& c : view->webCaches) {
    caches.push_back(c.address);
  }
  std::sort(caches.begin(), caches.end());
  const bool cachesChanged = caches != r.webCaches;
  r.webCaches = std::move(caches);
  // 5.6.9: no Capabilities component means GRE forwarding, hash assignment, GRE return.
  const auto* caps = m.find<CapabilityInfo>();
  auto offered = [&](CapabilityType t) { return caps ? caps->value(t).value_or(0) : method::kGre; };
  r.forwarding = choose(config_.forwarding, offered(CapabilityType::ForwardingMethod));
  r.assignment = choose(config_.assignment, offered(CapabilityType::AssignmentMethod));
  r.returns = choose(config_.returns, offered(CapabilityType::ReturnMethod));
  const bool listed = std::binary_search(r.webCaches.begin(), r.webCaches.end(), config_.self);
  const bool wasUsable = r.usable;
  r.problem.clear();
  if (r.forwarding == 0 || r.assignment == 0 || r.returns == 0) {
    ++counters_.capabilityMismatches;
    problem(&r, std::string("capabilities: router ") + dotted(r.routerId) + " offers no " +
                    (r.forwarding == 0   ? "forwarding"
                     : r.assignment == 0 ? "assignment"
                                         : "return") +
                    " method this box uses");
    r.usable = false;
  } else {
    r.usable = listed;
    if (!listed) {
      r.problem = "negotiating membership (the router does not list this box yet)";
    }
  }
  if (added || cachesChanged || wasUsable != r.usable) {
    changed(nowMs);
  }
}

void ServiceGroup::onRemovalQuery(const Message& m, uint64_t nowMs) {
  const auto* q = m.find<RouterQueryInfo>();
  if (q == nullptr || q->target != config_.self) {
    return;
  }
  ++counters_.removalQueries;
  // 4.7: three HERE_I_AMs, HERE_I_AM_T / 10 apart.
  for (uint64_t i = 0; i < 3; ++i) {
    removalAnswersMs_.push_back(nowMs + i * kHereIAmIntervalMs / 10);
  }
}

std::vector<uint32_t> ServiceGroup::members() const {
  std::set<uint32_t> all = {config_.self};
  for (const auto& [id, r] : routers_) {
    if (r.usable) {
      all.insert(r.webCaches.begin(), r.webCaches.end());
    }
  }
  return {all.begin(), all.end()};
}

std::optional<uint32_t> ServiceGroup::designated() const {
  return designatedWebCache(members());
}

Bytes ServiceGroup::finish(Message& m) const {
  Bytes out = encodeMessage(m);
  if (config_.password) {
    signMessage(out, *config_.password);
  }
  return out;
}

Bytes ServiceGroup::hereIAm(const RouterState* router) const {
  (void)router;
  Message m;
  m.type = MessageType::HereIAm;
  m.components.push_back(securityInfo(config_.password.has_value()));
  m.components.push_back(config_.service);
  WebCacheIdentity me;
  me.address = config_.self;
  me.unassigned = !sent_.has_value();
  me.weight = config_.weight;
  m.components.push_back(me);
  WebCacheViewInfo view;
  view.changeNumber = viewChangeNumber_;
  std::set<uint32_t> caches;
  for (const auto& [id, r] : routers_) {
    view.routers.push_back({r.routerId, r.receiveId});
    caches.insert(r.webCaches.begin(), r.webCaches.end());
  }
  view.webCaches.assign(caches.begin(), caches.end());
  m.components.push_back(view);
  m.components.push_back(
      capabilityInfo(orOf(config_.forwarding), orOf(config_.assignment), orOf(config_.returns)));
  return finish(m);
}

std::vector<Datagram> ServiceGroup::assignIfDue(uint64_t nowMs) {
  std::vector<Datagram> out;
  std::vector<const RouterState*> usable;
  for (const auto& [id, r] : routers_) {
    if (r.usable) {
      usable.push_back(&r);
    }
  }
  // 4.9: the designated web cache assigns once membership has been stable for 1.5 x T, and
  // again (at most every T) while a router's view shows another assignment.
  if (usable.empty() || !isDesignated() || nowMs < stableSinceMs_ + kHereIAmIntervalMs * 3 / 2 ||
      (lastAssignMs_ != 0 && nowMs < lastAssignMs_ + kHereIAmIntervalMs)) {
    return out;
  }
  const std::vector<uint32_t> caches = members();
  if (caches != sentCaches_) {
    ++assignmentChangeNumber_;
  }
  const AssignmentKey key{config_.self, assignmentChangeNumber_};
  bool executed = caches == sentCaches_;
  for (const RouterState* r : usable) {
    executed = executed && r->assignmentKey == key;
  }
  if (executed) {
    return out;
  }
  std::vector<RouterAssignment> routers;
  for (const RouterState* r : usable) {
    routers.push_back({r->routerId, r->receiveId, r->memberChangeNumber});
  }
  std::vector<WebCacheMember> members;
  for (uint32_t c : caches) {
    members.push_back({c, config_.weight});
  }
  // Every router of the group uses one method; the first usable router's choice decides.
  Message m;
  m.type = MessageType::RedirectAssign;
  m.components.push_back(securityInfo(config_.password.has_value()));
  m.components.push_back(config_.service);
  if (usable.front()->assignment == method::kMask) {
    const bool clientIsSource = (config_.service.flags & service_flags::kDstIpHash) == 0;
    auto mask = buildMaskAssignment(key, routers, members, config_.maskAddressBits, clientIsSource);
    if (!mask) {
      problem(nullptr, "mask assignment: the mask has more than 7 bits");
      return out;
    }
    AltAssignment alt{*mask};
    m.components.push_back(alt);
    sent_ = alt;
  } else {
    // The assignment in force, if it was a hash one: only the buckets that must move move.
    const HashAssignment* previous = sent_ ? std::get_if<HashAssignment>(&sent_->body) : nullptr;
    HashAssignment hash = buildHashAssignment(key, routers, members, previous);
    m.components.push_back(hash);
    sent_ = AltAssignment{hash};
  }
  const Bytes payload = finish(m);
  for (const RouterState* r : usable) {
    out.push_back({r->address, payload});
    ++counters_.redirectAssignSent;
  }
  sentCaches_ = caches;
  lastAssignMs_ = nowMs;
  return out;
}

std::vector<Datagram> ServiceGroup::tick(uint64_t nowMs) {
  std::vector<Datagram> out;
  // 4.8: a router that has been silent for 3 x HERE_I_AM_T is gone.
  for (auto it = routers_.begin(); it != routers_.end();) {
    if (nowMs >= it->second.lastISeeYouMs + 3 * kHereIAmIntervalMs) {
      ++counters_.routersLost;
      problem(nullptr, "router " + dotted(it->first) + " silent for 30 s: removed from the view");
      it = routers_.erase(it);
      changed(nowMs);
    } else {
      ++it;
    }
  }
  bool due = nowMs >= nextHereIAmMs_;
  auto answer = std::remove_if(removalAnswersMs_.begin(), removalAnswersMs_.end(),
                               [&](uint64_t at) { return at <= nowMs; });
  if (answer != removalAnswersMs_.end()) {
    due = true;
    removalAnswersMs_.erase(answer, removalAnswersMs_.end());
  }
  if (due) {
    const Bytes hia = hereIAm(nullptr);
    for (uint32_t router : config_.routers) {
      out.push_back({router, hia});
      ++counters_.hereIAmSent;
      // 4.4/5.6.1: a router drops a HERE_I_AM with a wrong digest or a definition of the service
      // that conflicts with the one it has, without a word. Silence from a router never heard
      // is all this box sees of either: named once it has lasted three HERE_I_AMs. (One that
      // answered and then fell silent is a lost router: named when it is removed, at 30 s.)
      if (answered_.count(router) == 0 && ++unanswered_[router] == 3) {
        problem(nullptr, "router " + dotted(router) +
                             " does not answer (3 HERE_I_AMs): check the password and its "
                             "definition of service " +
                             std::to_string(config_.service.id) +
                             " (a router ignores a wrong one silently)");
      }
    }
    if (nowMs >= nextHereIAmMs_) {
      nextHereIAmMs_ = nowMs + kHereIAmIntervalMs;
    }
  }
  for (auto& d : assignIfDue(nowMs)) {
    out.push_back(std::move(d));
  }
  return out;
}

uint64_t ServiceGroup::nextTickMs() const {
  uint64_t next = nextHereIAmMs_;
  for (uint64_t at : removalAnswersMs_) {
    next = std::min(next, at);
  }
  for (const auto& [id, r] : routers_) {
    next = std::min(next, r.lastISeeYouMs + 3 * kHereIAmIntervalMs);
  }
  if (isDesignated() && !routers_.empty()) {
    next = std::min(next, std::max(stableSinceMs_ + kHereIAmIntervalMs * 3 / 2,
                                   lastAssignMs_ == 0 ? 0 : lastAssignMs_ + kHereIAmIntervalMs));
  }
  return next;
}

}  // namespace bh::redirect::wccp
