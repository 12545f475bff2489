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

TEST_CASE("CommandTable: a deferred row answers later, once; plain rows answer at once") {
  CommandTable t;
  t.add(row({"show", "device"}, "device"));
  bh::accel::ControlCommand::Reply pending;
  bh::accel::ControlCommand verify;
  verify.words = {"accelerator", "mapi", "verify"};
  verify.help = "accelerator mapi verify encryption-settings";
  verify.deferred = [&pending](const std::vector<std::string>&,
                               bh::accel::ControlCommand::Reply reply) {
    pending = std::move(reply);
  };
  t.add(std::move(verify));

  std::vector<nlohmann::json> answers;
  auto collect = [&answers](nlohmann::json a) { answers.push_back(std::move(a)); };
  t.dispatch({"show", "device"}, collect);
  REQUIRE(answers.size() == 1);
  CHECK(answers[0]["text"] == "device");
  t.dispatch({"accelerator", "mapi", "verify", "encryption-settings"}, collect);
  CHECK(answers.size() == 1);  // not yet
  REQUIRE(pending);
  pending(nlohmann::json{{"ok", true}, {"text", "verified"}});
  REQUIRE(answers.size() == 2);
  CHECK(answers[1]["text"] == "verified");
  t.dispatch({"no", "such"}, collect);
  REQUIRE(answers.size() == 3);
  CHECK(answers[2]["ok"] == false);
  // The synchronous form refuses a deferred row instead of blocking on it.
  CHECK(t.dispatch({"accelerator", "mapi", "verify"})["ok"] == false);
}
