#include "lab/delay_line.h"

#include <algorithm>
#include <cmath>

namespace bh::lab {

bool DelayLine::push(uint32_t id, uint64_t nowNs) {
  if (line_.size() >= capacity_) {
    return false;
  }
  line_.push_back({id, nowNs + delayNs_});
  maxDepth_ = std::max(maxDepth_, line_.size());
  return true;
}

std::optional<uint32_t> DelayLine::popDue(uint64_t nowNs) {
  std::optional<uint32_t> last;
  while (!line_.empty() && line_.front().dueNs <= nowNs) {
    last = line_.front().id;
    ++released_;
    line_.pop_front();
  }
  return last;
}

std::optional<uint64_t> DelayLine::nextDueNs() const {
  if (line_.empty()) {
    return std::nullopt;
  }
  return line_.front().dueNs;
}

LossModel::LossModel(double roundTripPct, uint64_t seed)
    : p_(roundTripPct <= 0 ? 0.0 : 1.0 - std::sqrt(1.0 - std::min(roundTripPct, 100.0) / 100.0)),
      state_(seed ? seed : 0x9e3779b97f4a7c15ULL) {}

uint64_t LossModel::next() {
  // xorshift64*: small, fast, and reproducible from the seed.
  state_ ^= state_ >> 12;
  state_ ^= state_ << 25;
  state_ ^= state_ >> 27;
  return state_ * 0x2545F4914F6CDD1DULL;
}

bool LossModel::drop() {
  if (p_ <= 0) {
    return false;
  }
  return static_cast<double>(next() >> 11) * 0x1.0p-53 < p_;
}

}  // namespace bh::lab
