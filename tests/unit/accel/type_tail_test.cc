#include "accel/type_tail.h"

#include <doctest/doctest.h>

using bh::LineLog;
using bh::accel::NamedLog;
using bh::accel::typeTail;

namespace {

std::string numbered(int i) {
  return "line " + std::to_string(i);
}

}  // namespace

TEST_CASE("type-tail errorlog/mapiao-errorlog.current: last lines, since, and refusals") {
  LineLog log;
  for (int i = 0; i < 30; ++i) {
    log.append(numbered(i));
  }
  LineLog other;
  other.append("sr line");
  std::vector<NamedLog> logs = {
      {"errorlog/mapiao-errorlog.current", {"mapiao-errorlog"}, &log, "the MAPI AO's"},
      {"errorlog/sr-errorlog.current", {"sr-errorlog"}, &other, "the encryption service's"}};

  auto r = typeTail(logs, {"type-tail", "errorlog/mapiao-errorlog.current"});
  REQUIRE(r["ok"] == true);
  CHECK(r["json"]["lines"].size() == 10);
  CHECK(r["json"]["lines"][0] == "line 20");
  CHECK(r["json"]["next"] == 30);
  CHECK(r["text"].get<std::string>().rfind("line 20\nline 21\n", 0) == 0);

  r = typeTail(logs, {"type-tail", "mapiao-errorlog", "3"});
  REQUIRE(r["ok"] == true);
  CHECK(r["text"] == "line 27\nline 28\nline 29\n");

  log.append("new one");
  r = typeTail(logs, {"type-tail", "mapiao-errorlog", "since", "30"});
  REQUIRE(r["ok"] == true);
  CHECK(r["text"] == "new one\n");
  CHECK(r["json"]["next"] == 31);

  LineLog small(2, 1 << 20);
  for (int i = 0; i < 5; ++i) {
    small.append(numbered(i));
  }
  r = typeTail({{"errorlog/mapiao-errorlog.current", {"mapiao-errorlog"}, &small, ""}},
               {"type-tail", "mapiao-errorlog", "since", "0"});
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
    auto b = typeTail(logs, bad);
    CHECK(b["ok"] == false);
    CHECK_FALSE(b["error"].get<std::string>().empty());
  }
}

TEST_CASE("type-tail: each registered log by its name or alias; an unknown one lists the names") {
  LineLog mapi;
  LineLog sr;
  mapi.append("mapi line");
  sr.append("sr line");
  std::vector<NamedLog> logs = {
      {"errorlog/mapiao-errorlog.current", {"mapiao-errorlog"}, &mapi, "the MAPI AO's"},
      {"errorlog/sr-errorlog.current", {"sr-errorlog"}, &sr, "the encryption service's"}};
  CHECK(typeTail(logs, {"type-tail", "errorlog/sr-errorlog.current"})["text"] == "sr line\n");
  CHECK(typeTail(logs, {"type-tail", "sr-errorlog", "1"})["text"] == "sr line\n");
  CHECK(typeTail(logs, {"type-tail", "mapiao-errorlog"})["text"] == "mapi line\n");
  auto unknown = typeTail(logs, {"type-tail", "wsao-errorlog"});
  REQUIRE(unknown["ok"] == false);
  auto why = unknown["error"].get<std::string>();
  CHECK(why.find("errorlog/mapiao-errorlog.current") != std::string::npos);
  CHECK(why.find("errorlog/sr-errorlog.current") != std::string::npos);
  CHECK(bh::accel::typeTailUsage(logs) ==
        "type-tail errorlog/mapiao-errorlog.current [LINES | since SEQ] | "
        "type-tail errorlog/sr-errorlog.current [LINES | since SEQ]");
  CHECK(typeTail({}, {"type-tail", "mapiao-errorlog"})["ok"] == false);
}
