#pragma once

// The box's flows, each with its per-flow records: the box limiter's admission (and the
// reservation group it holds a slot of: the flows of one client with one server, for an
// accelerator that asks the limiter to reserve per group), and when its codec is to be
// flushed. Nothing else keeps maps
// keyed by flow: the daemon, the accelerators (through accel::Host) and the memory budget ask
// this table. Generic over the flow type (proxy::Flow in the daemon) so it is unit-tested
// without sockets: F needs info() (FlowInfo), bufferedBytes() and abort(reason, why).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "policy/connection_limiter.h"
#include "proxy/flow_info.h"
#include "proxy/memory_budget.h"

namespace bh::proxy {

/// The reservation group of a flow: its client and server (the ports differ per connection).
/// An accelerator's group is known here only by them (a MAPI association group id comes later,
/// with the bind), so connections to a server the client already has accelerated connections
/// with may use that group's reserve rather than escape the accelerator.
inline uint64_t reservationGroupOf(const FlowInfo& flow) {
  return std::hash<std::string>{}(flow.client.ip.toString() + "|" + flow.server.ip.toString());
}

template <class F>
class FlowTable {
 public:
  struct Entry {
    std::unique_ptr<F> flow;
    /// How the box's limiter admitted it (none: not admitted, or given back).
    std::optional<policy::Admission> admission;
    /// The reservation group (reservationGroupOf) it holds a slot of.
    std::optional<uint64_t> group;
  };
  /// Asked before a flow is admitted for optimization: false sends it elsewhere (the memory
  /// budget's high watermark). None set: every flow may be optimized.
  using AdmissionHook = std::function<bool(const FlowInfo& flow)>;

  /// Takes a flow, keyed by its connection id. It leaves only through remove().
  F& add(std::unique_ptr<F> flow) {
    F& f = *flow;
    entries_[f.info().connId].flow = std::move(flow);
    return f;
  }
  /// The entry of a live flow, or nullptr.
  Entry* find(uint64_t connId) {
    auto it = entries_.find(connId);
    return it == entries_.end() ? nullptr : &it->second;
  }
  const Entry* find(uint64_t connId) const {
    auto it = entries_.find(connId);
    return it == entries_.end() ? nullptr : &it->second;
  }
  F* flow(uint64_t connId) const {
    const Entry* e = find(connId);
    return e == nullptr ? nullptr : e->flow.get();
  }
  size_t size() const { return entries_.size(); }

  /// The flow ended: gives its admission back to `limiter` (ending the group's reservation
  /// with its last member) and returns the flow for deletion.
  std::unique_ptr<F> remove(uint64_t connId, policy::ConnectionLimiter& limiter) {
    auto it = entries_.find(connId);
    if (it == entries_.end()) {
      return nullptr;
    }
    releaseAll(it->second, limiter);
    flushes_.erase(connId);
    std::unique_ptr<F> f = std::move(it->second.flow);
    entries_.erase(it);
    return f;
  }

  void setAdmissionHook(AdmissionHook hook) { admissionHook_ = std::move(hook); }
  /// Whether the flow may be optimized at all (AdmissionHook).
  bool mayOptimize(const FlowInfo& info) const { return !admissionHook_ || admissionHook_(info); }
  /// Whether some live flow holds a reservation slot of `group`.
  bool groupKnown(uint64_t group) const { return groups_.count(group) != 0; }
  /// How admit() admitted a flow.
  struct Admitted {
    policy::Admission how = policy::Admission::PassThroughOverload;
    /// Its reservation group had live flows (it could use the group's reserve).
    bool knownGroup = false;
  };
  /// Admits a live flow against `limiter`. A flow of reservation group `group` is its group's
  /// first (which reserves connections for the group) or a later one (which may use that
  /// reserve when the box is otherwise overloaded). The admission is recorded unless refused.
  Admitted admit(uint64_t connId, policy::ConnectionLimiter& limiter,
                 std::optional<uint64_t> group) {
    const bool known = group && groupKnown(*group);
    const policy::FlowKind kind = !group  ? policy::FlowKind::Generic
                                  : known ? policy::FlowKind::KnownGroup
                                          : policy::FlowKind::NewGroup;
    Admitted a{limiter.admit(kind, group.value_or(0)), known};
    if (a.how != policy::Admission::PassThroughOverload) {
      admitted(connId, a.how, group);
    }
    return a;
  }
  /// Records how `limiter` admitted the flow (`group`: the reservation group, if any).
  void admitted(uint64_t connId, policy::Admission how, std::optional<uint64_t> group) {
    Entry* e = find(connId);
    if (e == nullptr) {
      return;
    }
    e->admission = how;
    if (group) {
      e->group = group;
      ++groups_[*group];
    }
  }
  /// The flow stays but is no longer optimized (no peer answered): its admission goes back
  /// (its group slot stays until it ends).
  void releaseAdmission(uint64_t connId, policy::ConnectionLimiter& limiter) {
    Entry* e = find(connId);
    if (e != nullptr && e->admission) {
      limiter.release(*e->admission);
      e->admission.reset();
    }
  }

  /// Flushes of a flow's codec at loop time `at` (ms); a later call replaces the time (each
  /// burst pushes the flush back).
  void scheduleFlush(uint64_t connId, uint64_t at) {
    if (find(connId) != nullptr) {
      flushes_[connId] = at;
    }
  }
  bool flushPending() const { return !flushes_.empty(); }
  std::optional<uint64_t> flushAt(uint64_t connId) const {
    auto it = flushes_.find(connId);
    return it == flushes_.end() ? std::nullopt : std::optional<uint64_t>(it->second);
  }
  /// The flows whose flush is due at `now`, taken off the schedule (O(flows scheduled)).
  std::vector<uint64_t> takeDueFlushes(uint64_t now) {
    std::vector<uint64_t> due;
    for (auto it = flushes_.begin(); it != flushes_.end();) {
      if (it->second <= now) {
        due.push_back(it->first);
        it = flushes_.erase(it);
      } else {
        ++it;
      }
    }
    return due;
  }

  /// Every live flow, in connection-id order (`visit` must not add or remove flows).
  void forEach(const std::function<void(F&)>& visit) const {
    for (const auto& [id, e] : entries_) {
      visit(*e.flow);
    }
  }
  /// What each flow buffers now (the memory budget's view).
  using Usage = MemoryBudget::FlowUsage;
  std::vector<Usage> usage() const {
    std::vector<Usage> u;
    u.reserve(entries_.size());
    for (const auto& [id, e] : entries_) {
      u.push_back({id, e.flow->bufferedBytes()});
    }
    return u;
  }
  /// Resets a live flow (both ends); false when there is none.
  bool reset(uint64_t connId, uint16_t reason, const std::string& why) {
    F* f = flow(connId);
    if (f == nullptr) {
      return false;
    }
    f->abort(reason, why);
    return true;
  }
  /// The ids of every live flow (to act on them while they may close).
  std::vector<uint64_t> ids() const {
    std::vector<uint64_t> v;
    v.reserve(entries_.size());
    for (const auto& [id, e] : entries_) {
      v.push_back(id);
    }
    return v;
  }

 private:
  void releaseAll(Entry& e, policy::ConnectionLimiter& limiter) {
    if (e.admission) {
      limiter.release(*e.admission);
      e.admission.reset();
    }
    if (e.group) {
      auto g = groups_.find(*e.group);
      if (g != groups_.end() && --g->second <= 0) {
        groups_.erase(g);
        limiter.endGroup(*e.group);  // the group's unused reserve goes back to the pool
      }
      e.group.reset();
    }
  }

  std::map<uint64_t, Entry> entries_;
  /// Live flows holding a reservation slot, per group.
  std::map<uint64_t, int> groups_;
  /// Flows whose codec holds input, and the loop time to flush it (a part of each flow's
  /// record kept here so the timer visits only them).
  std::map<uint64_t, uint64_t> flushes_;
  AdmissionHook admissionHook_;
};

}  // namespace bh::proxy
