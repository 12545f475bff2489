#pragma once

// A control command's answer: {"ok": true, "text", "json"} (what bhctl prints, and prints with
// --json) or {"ok": false, "error"}.

#include <nlohmann/json.hpp>
#include <string>

namespace bh::proxy {

inline nlohmann::json replyOk(std::string text, nlohmann::json json) {
  return {{"ok", true}, {"text", std::move(text)}, {"json", std::move(json)}};
}

inline nlohmann::json replyError(std::string why) {
  return {{"ok", false}, {"error", std::move(why)}};
}

}  // namespace bh::proxy
