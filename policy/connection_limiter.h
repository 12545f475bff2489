#pragma once

#include <cstddef>
#include <cstdint>
#include <map>

#include "policy/config.h"

namespace bh::policy {

/// What a new connection asks for. Some accelerators work on groups of connections (the MAPI
/// AO: an association group); a connection of a group already accelerated must not escape it
/// (the seed: escaped connections cause duplicate messages), so it may use the group's reserve
/// when the box is otherwise overloaded. NewGroup: the first connection of a reservation
/// group (it reserves for the group); KnownGroup: a later one.
enum class FlowKind { Generic, NewGroup, KnownGroup };

enum class Admission { Optimize, OptimizeFromReserve, PassThroughOverload };

/// The seed's overload statistics.
struct LimiterCounters {
  uint64_t active = 0;          ///< Current Active Optimized Flows
  uint64_t reservedUnused = 0;  ///< Current Reserved Flows
  uint64_t maxActive = 0;       ///< high-water mark of active
  uint64_t admitted = 0;        ///< total optimized admissions
  uint64_t admittedFromReserve = 0;
  uint64_t passThroughOverload = 0;  ///< refused: pass-through (overload)
  uint64_t reserveRefused = 0;       ///< new groups that found the reserved pool full
  uint64_t groups = 0;               ///< association groups holding a reservation
};

/// Connection admission: a hard connection limit, an effective limit where overload starts,
/// and a pool of connections reserved for MAPI association groups being accelerated. Unused
/// reservations count against the effective limit, as in WAAS. Not thread-safe.
class ConnectionLimiter {
 public:
  explicit ConnectionLimiter(const Limits& limits);

  /// @param group the reservation group (e.g. a MAPI association group; ignored for Generic).
  /// @return whether to optimize; an admitted flow must be given back with release().
  Admission admit(FlowKind kind, uint64_t group = 0);
  /// A flow admitted with `how` (not PassThroughOverload) ended.
  void release(Admission how);
  /// The association group ended; its unused reservations return to the pool.
  void endGroup(uint64_t group);
  /// New limits after a reload; flows already admitted stay.
  void setLimits(const Limits& limits);

  const LimiterCounters& counters() const { return counters_; }
  const Limits& limits() const { return limits_; }
  bool overloaded() const;

 private:
  bool underEffectiveLimit() const;
  void take(Admission how);

  Limits limits_;
  LimiterCounters counters_;
  std::map<uint64_t, uint32_t> groupReserve_;  ///< group -> unused reserved connections
};

}  // namespace bh::policy
