#include "lab/delay_line.h"

#include <doctest/doctest.h>

using bh::lab::DelayLine;
using bh::lab::LossModel;

TEST_CASE("DelayLine releases packets exactly after the delay, in order") {
  DelayLine line(50'000'000, 8);
  CHECK(line.push(1, 0));
  CHECK(line.push(2, 10'000'000));
  CHECK_FALSE(line.popDue(49'999'999).has_value());
  CHECK(line.nextDueNs().value() == 50'000'000);
  CHECK(line.popDue(50'000'000).value() == 1);
  CHECK(line.popDue(70'000'000).value() == 2);
  CHECK(line.size() == 0);
  CHECK_FALSE(line.nextDueNs().has_value());
}

TEST_CASE("DelayLine is bounded and refuses packets when full") {
  DelayLine line(1000, 3);
  CHECK(line.push(1, 0));
  CHECK(line.push(2, 0));
  CHECK(line.push(3, 0));
  CHECK_FALSE(line.push(4, 0));
  CHECK(line.size() == 3);
  CHECK(line.maxDepth() == 3);
  CHECK(line.popDue(1000).value() == 3);  // one batch verdict releases all three
}

TEST_CASE("LossModel: per-direction probability makes round-trip loss equal the setting") {
  LossModel none(0, 1);
  for (int i = 0; i < 1000; ++i) {
    CHECK_FALSE(none.drop());
  }
  LossModel one(1.0, 42);
  double p = one.perPacketProbability();
  CHECK((1 - p) * (1 - p) == doctest::Approx(0.99));
  int dropped = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    dropped += one.drop() ? 1 : 0;
  }
  CHECK(static_cast<double>(dropped) / n == doctest::Approx(p).epsilon(0.05));
  // Same seed, same pattern: a lab run can be repeated.
  LossModel a(5, 7), b(5, 7);
  for (int i = 0; i < 1000; ++i) {
    CHECK(a.drop() == b.drop());
  }
}
