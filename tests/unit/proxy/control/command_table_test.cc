#include "proxy/control/command_table.h"

#include <doctest/doctest.h>

using namespace bh::proxy;

namespace {

bh::accel::ControlCommand row(std::vector<std::string> words, std::string name) {
  return {words, "help of " + name, [name](const std::vector<std::string>& args) {
            return nlohmann::json{{"ok", true}, {"text", name}, {"json", args.size()}};
          }};
}

}  // namespace

TEST_CASE("CommandTable: the longest matching words answer; unknown commands list the help") {
  CommandTable t;
  t.add(row({"show", "statistics"}, "any statistics"));
  t.add(row({"show", "statistics", "accelerator", "mapi"}, "mapi"));  // longer, added later
  t.add(row({"debug"}, "debug"));
  CHECK(t.dispatch({"show", "statistics", "accelerator", "mapi"})["text"] == "mapi");
  CHECK(t.dispatch({"show", "statistics", "dre"})["text"] == "any statistics");
  // The handler gets every word.
  CHECK(t.dispatch({"debug", "accelerator", "mapi", "all"})["json"] == 4);
  auto unknown = t.dispatch({"show", "nothing"});
  CHECK(unknown["ok"] == false);
  std::string e = unknown["error"];
  CHECK(e.find("help of mapi") != std::string::npos);
  CHECK(e.find("help of debug") != std::string::npos);
  CHECK_FALSE(t.dispatch({"show"})["ok"]);  // fewer words than any row
  CHECK(t.rows().size() == 3);
}
