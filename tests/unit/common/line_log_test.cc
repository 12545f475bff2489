#include "common/line_log.h"

#include <doctest/doctest.h>

using bh::LineLog;

namespace {

std::string numbered(int i) {
  return "line " + std::to_string(i);
}

}  // namespace

TEST_CASE("line log: last lines and reading on from where a reader stopped") {
  LineLog log;
  auto empty = log.last(10);
  CHECK(empty.lines.empty());
  CHECK(empty.next == 0);
  for (int i = 0; i < 5; ++i) {
    log.append(numbered(i));
  }
  auto t = log.last(2);
  REQUIRE(t.lines.size() == 2);
  CHECK(t.lines[0] == "line 3");
  CHECK(t.lines[1] == "line 4");
  CHECK(t.next == 5);
  CHECK(t.missed == 0);
  CHECK(log.last(100).lines.size() == 5);

  log.append(numbered(5));
  auto more = log.since(t.next, 100);
  REQUIRE(more.lines.size() == 1);
  CHECK(more.lines[0] == "line 5");
  CHECK(more.next == 6);
  // Nothing new: the same position again.
  auto none = log.since(more.next, 100);
  CHECK(none.lines.empty());
  CHECK(none.next == 6);
  // At most `count` at a time, oldest first.
  auto two = log.since(1, 2);
  REQUIRE(two.lines.size() == 2);
  CHECK(two.lines[0] == "line 1");
  CHECK(two.next == 3);
}

TEST_CASE("line log: the line cap drops the oldest and a late reader learns how many") {
  LineLog log(3, 1 << 20);
  for (int i = 0; i < 10; ++i) {
    log.append(numbered(i));
  }
  CHECK(log.lines() == 3);
  auto t = log.since(2, 100);
  CHECK(t.missed == 5);
  REQUIRE(t.lines.size() == 3);
  CHECK(t.lines[0] == "line 7");
  CHECK(t.lines[2] == "line 9");
  CHECK(t.next == 10);
}

TEST_CASE("line log: the byte cap holds, even for one overlong line") {
  LineLog log(1000, 100);
  for (int i = 0; i < 50; ++i) {
    log.append(std::string(30, 'a' + (i % 26)));
    CHECK(log.bytes() <= 100);
  }
  CHECK(log.lines() == 3);
  log.append(std::string(500, 'z'));
  CHECK(log.bytes() == 100);
  REQUIRE(log.lines() == 1);
  CHECK(log.last(1).lines[0] == std::string(100, 'z'));
}

TEST_CASE("line log: a position from a restarted daemon resumes at the newest line") {
  LineLog log;
  log.append("only");
  auto t = log.since(1000, 10);
  CHECK(t.lines.empty());
  CHECK(t.missed == 0);
  CHECK(t.next == 1);
  log.append("next");
  auto u = log.since(t.next, 10);
  REQUIRE(u.lines.size() == 1);
  CHECK(u.lines[0] == "next");
}
