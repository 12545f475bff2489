#include "mapi/mapi_ao/debug_settings.h"

#include "accel/control_args.h"
#include "mapi/mapi_ao/mapi_debug.h"

namespace bh::mapi::mapi_ao {

namespace {

using accel::commandStartsWith;

constexpr const char* kCategories =
    "all, Common-flow, DCERPC-layer, EMSMDB-layer, ROP-layer, ROP-parser, RPC-parser, Transport";

nlohmann::json failed(std::string why) {
  return {{"ok", false}, {"error", std::move(why)}};
}

std::string joined(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) {
    s += (s.empty() ? "" : " ") + n;
  }
  return s;
}

}  // namespace

bool DebugSettings::isDebugCommand(const std::vector<std::string>& a) {
  return commandStartsWith(a, {"debug"}) || commandStartsWith(a, {"no", "debug"}) ||
         commandStartsWith(a, {"show", "debugging"});
}

nlohmann::json DebugSettings::handle(const std::vector<std::string>& a) {
  if (commandStartsWith(a, {"show", "debugging"}) && a.size() == 2) {
    return show();
  }
  bool no = !a.empty() && a[0] == "no";
  std::vector<std::string> rest(a.begin() + (no ? 1 : 0), a.end());
  if (commandStartsWith(rest, {"debug", "accelerator", "mapi"})) {
    if (rest.size() == 3) {
      return failed(std::string("name a category: ") + kCategories);
    }
    uint32_t bits = 0;
    for (size_t i = 3; i < rest.size(); ++i) {
      auto b = parseMapiDebugCategory(rest[i]);
      if (!b) {
        return failed("no MAPI debug category '" + rest[i] + "' (IO, shell and Utilities are " +
                      "WAAS internals this AO does not have); categories: " + kCategories);
      }
      bits |= *b;
    }
    mapiMask_ = no ? (mapiMask_ & ~bits) : (mapiMask_ | bits);
    log("debug accelerator mapi: " +
        (mapiMask_ == 0 ? std::string("off") : joined(mapiDebugCategoryNames(mapiMask_))));
    return show();
  }
  if (commandStartsWith(rest, {"debug", "connection"})) {
    if (no && rest.size() == 2) {
      host_.reset();
      return show();
    }
    if (!no && rest.size() == 3 && rest[2] == "any") {
      host_.reset();
      return show();
    }
    if (!no && rest.size() == 4 && rest[2] == "host") {
      auto ip = IpAddress::parse(rest[3]);
      if (!ip) {
        return failed("not an IPv4 or IPv6 address: " + rest[3]);
      }
      host_ = *ip;
      log("debug connection: host " + ip->toString());
      return show();
    }
    return failed(
        "usage: debug connection host ADDRESS | debug connection any | "
        "no debug connection");
  }
  if (no && commandStartsWith(rest, {"debug", "all"}) && rest.size() == 2) {
    mapiMask_ = 0;
    host_.reset();
    log("debug accelerator mapi: off");
    return show();
  }
  return failed(std::string("usage: [no] debug accelerator mapi CATEGORY... (") + kCategories +
                "); debug connection host ADDRESS | any; no debug connection; no debug all; "
                "show debugging");
}

uint32_t DebugSettings::mapiMaskFor(const accel::FlowRecord& info) const {
  if (mapiMask_ == 0) {
    return 0;
  }
  if (host_ && info.client.ip != *host_ && info.server.ip != *host_) {
    return 0;
  }
  return mapiMask_;
}

nlohmann::json DebugSettings::show() const {
  auto names = mapiDebugCategoryNames(mapiMask_);
  std::string text =
      "MAPI accelerator debugging: " + (names.empty() ? std::string("off") : joined(names)) + "\n" +
      "Debug connections: " + (host_ ? "host " + host_->toString() : std::string("any")) + "\n";
  if (!names.empty()) {
    text +=
        "Debug lines: bhctl type-tail errorlog/mapiao-errorlog.current [LINES | follow]; "
        "the daemon's log has them too, each starting \"mapi_ao debug\"\n";
  }
  nlohmann::json j = {
      {"mapi", names},
      {"connection", host_ ? nlohmann::json{{"host", host_->toString()}} : nlohmann::json("any")}};
  return {{"ok", true}, {"text", std::move(text)}, {"json", std::move(j)}};
}

}  // namespace bh::mapi::mapi_ao
