#include "mapi/mapi_ao/mapi_ao_error_log.h"

#include <doctest/doctest.h>

using namespace bh::mapi::mapi_ao;

namespace {

std::string numbered(int i) {
  return "line " + std::to_string(i);
}

}  // namespace

TEST_CASE("mapiao error log: last lines and reading on from where a reader stopped") {
  MapiAoErrorLog log;
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

TEST_CASE("mapiao error log: the line cap drops the oldest and a late reader learns how many") {
  MapiAoErrorLog log(3, 1 << 20);
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

TEST_CASE("mapiao error log: the byte cap holds, even for one overlong line") {
  MapiAoErrorLog log(1000, 100);
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

TEST_CASE("mapiao error log: a position from a restarted daemon resumes at the newest line") {
  MapiAoErrorLog log;
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

TEST_CASE("type-tail errorlog/mapiao-errorlog.current: last lines, since, and refusals") {
  MapiAoErrorLog log;
  for (int i = 0; i < 30; ++i) {
    log.append(numbered(i));
  }
  CHECK(isTypeTailCommand({"type-tail", "mapiao-errorlog"}));
  CHECK_FALSE(isTypeTailCommand({"show", "debugging"}));

  auto r = typeTail(log, {"type-tail", "errorlog/mapiao-errorlog.current"});
  REQUIRE(r["ok"] == true);
  CHECK(r["json"]["lines"].size() == 10);
  CHECK(r["json"]["lines"][0] == "line 20");
  CHECK(r["json"]["next"] == 30);
  CHECK(r["text"].get<std::string>().rfind("line 20\nline 21\n", 0) == 0);

  r = typeTail(log, {"type-tail", "mapiao-errorlog", "3"});
  REQUIRE(r["ok"] == true);
  CHECK(r["text"] == "line 27\nline 28\nline 29\n");

  log.append("new one");
  r = typeTail(log, {"type-tail", "mapiao-errorlog", "since", "30"});
  REQUIRE(r["ok"] == true);
  CHECK(r["text"] == "new one\n");
  CHECK(r["json"]["next"] == 31);

  MapiAoErrorLog small(2, 1 << 20);
  for (int i = 0; i < 5; ++i) {
    small.append(numbered(i));
  }
  r = typeTail(small, {"type-tail", "mapiao-errorlog", "since", "0"});
  REQUIRE(r["ok"] == true);
  CHECK(r["text"] == "... 3 lines dropped before they were read\nline 3\nline 4\n");
  CHECK(r["json"]["missed"] == 3);

  for (std::vector<std::string> bad : {std::vector<std::string>{"type-tail"},
                                       {"type-tail", "tfo_log"},
                                       {"type-tail", "mapiao-errorlog", "x"},
                                       {"type-tail", "mapiao-errorlog", "since"},
                                       {"type-tail", "mapiao-errorlog", "since", "-1"},
                                       {"type-tail", "mapiao-errorlog", "3", "4"}}) {
    CAPTURE(bad.size());
    auto b = typeTail(log, bad);
    CHECK(b["ok"] == false);
    CHECK_FALSE(b["error"].get<std::string>().empty());
  }
}
