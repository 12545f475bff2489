#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

namespace bh::lab {

/// The WAN emulator's delay line: packets (by NFQUEUE id) wait a constant one-way delay before
/// they are released. With a constant delay, ids and due times rise together, so one batch
/// verdict "everything up to id X" releases every due packet (lab-kernel-recipes.md §4).
/// Bounded: a packet arriving when the line is full is refused (the caller drops it, as a
/// router with a full queue would).
class DelayLine {
 public:
  DelayLine(uint64_t delayNs, size_t capacity) : delayNs_(delayNs), capacity_(capacity) {}

  /// Queues packet `id` arriving at `nowNs`; false when the line is full.
  bool push(uint32_t id, uint64_t nowNs);
  /// Removes every packet due at `nowNs` and returns the highest id among them.
  std::optional<uint32_t> popDue(uint64_t nowNs);
  /// Due time of the oldest packet, if any.
  std::optional<uint64_t> nextDueNs() const;
  size_t size() const { return line_.size(); }
  size_t capacity() const { return capacity_; }
  size_t maxDepth() const { return maxDepth_; }
  uint64_t releasedTotal() const { return released_; }

 private:
  struct Entry {
    uint32_t id;
    uint64_t dueNs;
  };
  uint64_t delayNs_;
  size_t capacity_;
  size_t maxDepth_ = 0;
  uint64_t released_ = 0;
  std::deque<Entry> line_;
};

/// Random loss with a seeded generator, so a lab run can be repeated exactly.
/// `roundTripPct` is the probability that a round trip (one packet each way) loses a packet;
/// each direction drops with p = 1 - sqrt(1 - roundTripPct/100), so ping loss equals the
/// configured percentage.
class LossModel {
 public:
  LossModel(double roundTripPct, uint64_t seed);
  bool drop();
  double perPacketProbability() const { return p_; }

 private:
  uint64_t next();
  double p_;
  uint64_t state_;
};

}  // namespace bh::lab
