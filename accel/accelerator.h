#pragma once

// The interface through which an application accelerator plugs into the box (the MAPI and EPM
// accelerators in mapi/, the generic one in proxy/). The box classifies a flow once, at
// accept; a flow whose decision names an accelerator is offered to it when its legs are up
// (attach), and the peer's Hello may ask this box for its half (attachPeerHalf). Everything
// the accelerator needs from the box (time, logs, the other flows) comes through Host, so
// accelerators stay pure code over bytes and records.

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "accel/flow_filter.h"
#include "accel/flow_record.h"
#include "accel/metrics.h"
#include "accel/type_tail.h"

namespace bh::accel {

/// What the box gives its accelerators. Implemented by the box (proxy/flow_manager.h).
class Host {
 public:
  virtual ~Host() = default;
  /// Monotonic time in nanoseconds (the loop's clock).
  virtual uint64_t nowNs() const = 0;
  virtual void logInfo(const std::string& line) = 0;
  virtual void logError(const std::string& line) = 0;
  /// The box is stopping: queue no work for other flows (they are all being reset).
  virtual bool stopping() const = 0;
  /// Asks for Accelerator::runPending at the next loop turn (work found inside a flow's own
  /// step, which must not touch other flows from there).
  virtual void wake() = 0;
  /// The record of a live flow, or nullptr.
  virtual FlowRecord* findFlow(uint64_t connId) = 0;
  /// The filter of a live flow, or nullptr.
  virtual const FlowFilter* filterOf(uint64_t connId) const = 0;
  /// Runs `step` on a live flow's filter and carries out what it emits; false when the flow
  /// is gone or has no filter.
  virtual bool runFilter(uint64_t connId,
                         const std::function<void(FlowFilter&, FlowFilter::Output&)>& step) = 0;
  /// Asks a live flow's filter to hand the flow to the generic accelerator
  /// (FlowFilter::requestHandOff).
  virtual void handOff(uint64_t connId, uint16_t reason, const std::string& why) = 0;
  /// Resets a live flow (both ends).
  virtual void reset(uint64_t connId, const std::string& why) = 0;
  /// Every live flow's record.
  virtual void forEachFlow(const std::function<void(FlowRecord&)>& visit) = 0;
};

/// A connection resource an accelerator admits its flows against (the box's limiter with its
/// reserve for groups of connections, e.g. MAPI association groups). Implemented by the box.
class Admission {
 public:
  enum class Grant { Admitted, AdmittedFromReserve, Refused };
  virtual ~Admission() = default;
  /// A new connection of group `group`; `knownGroup`: the group holds admitted connections.
  virtual Grant admit(uint64_t group, bool knownGroup) = 0;
  /// A connection admitted with `grant` (not Refused) ended.
  virtual void release(Grant grant) = 0;
  /// The group's last connection ended: its unused reserve goes back to the pool.
  virtual void endGroup(uint64_t group) = 0;
  /// Connections admitted now.
  virtual uint64_t active() const = 0;
};

/// One command of the control socket: its leading words, its help text, its handler (which
/// gets every word and answers {"ok", "text", "json"} or {"ok": false, "error"}).
struct ControlCommand {
  std::vector<std::string> words;
  std::string help;
  std::function<nlohmann::json(const std::vector<std::string>& args)> handler;
  /// Instead of `handler`, for a command whose answer needs work off the loop (a probe of a
  /// KDC, a DNS lookup): it calls `reply` once, later, on the loop thread.
  using Reply = std::function<void(nlohmann::json answer)>;
  std::function<void(const std::vector<std::string>& args, Reply reply)> deferred = nullptr;
};

/// What an accelerator attaches to one flow (either may be empty).
struct Attachment {
  std::unique_ptr<FlowFilter> filter;
  std::unique_ptr<FlowObserver> observer;
};

/// Whether a flow needs its peer leg secured (WAN secure `auto`), from its client's first bytes.
enum class SecureLegNeed { No, Yes, NeedMore };

class Accelerator {
 public:
  virtual ~Accelerator() = default;
  /// Its name in commands and tables ("mapi", "epm").
  virtual const char* name() const = 0;
  /// True when it works in two halves (edge and core) that frame the stream for each other:
  /// the edge asks the core for its half only when the edge half is attached.
  virtual bool halves() const = 0;
  /// The flow's decision names this accelerator and its legs are up (edge: peered; core: the
  /// server leg connected). May update `flow` (hand-off to the generic accelerator).
  virtual Attachment attach(FlowRecord& flow) = 0;
  /// Edge, WAN secure `auto` on both ends (proxy/wan_secure/leg_security.h): does a flow whose
  /// client sent `firstBytes` need its peer leg secured? Pure, over the bytes; NeedMore until
  /// they decide. The default: no flow of this accelerator needs it.
  virtual SecureLegNeed secureLegNeed(ByteSpan firstBytes) const {
    (void)firstBytes;
    return SecureLegNeed::No;
  }
  /// Core: the edge's Hello asks for this accelerator's half.
  virtual Attachment attachPeerHalf(FlowRecord& flow) {
    (void)flow;
    return {};
  }
  /// True when its flows come in groups of connections (one client with one server) that must
  /// stay together: the box's limiter then keeps a reserve per group, so a group's later
  /// connections are not refused once its first were admitted (MAPI association groups).
  virtual bool reservesByGroup() const { return false; }
  /// The box refused to optimize a flow this accelerator would have had (the box's connection
  /// limit); `groupKnown`: the flow's group (same client and server) had admitted connections.
  virtual void onOverload(const FlowRecord& flow, bool groupKnown) { (void)flow, (void)groupKnown; }
  /// The flow ended (its filter, if any, still alive).
  virtual void onFlowClosed(FlowRecord& flow, const FlowFilter* filter) {
    (void)flow, (void)filter;
  }
  /// The work asked for with Host::wake.
  virtual void runPending() {}
  /// Config state and operational state for `show accelerator`.
  struct Status {
    bool enabled = false;
    std::string state;
  };
  virtual Status status() const = 0;
  /// Its control commands (statistics, clear, debug ...).
  virtual std::vector<ControlCommand> commands() { return {}; }
  /// Its in-memory logs, read by the daemon's one `type-tail` command (accel/type_tail.h).
  virtual std::vector<NamedLog> logs() const { return {}; }
  /// Its `show statistics` figures for the box's metrics listener (accel/metrics.h), from the
  /// same data its show command renders.
  virtual MetricFamilies metrics() const { return {}; }
};

using AcceleratorPtr = std::unique_ptr<Accelerator>;

}  // namespace bh::accel
