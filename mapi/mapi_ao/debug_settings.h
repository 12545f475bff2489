#pragma once

// The exec-mode debug switches (the seed's `debug accelerator mapi <category>` and
// `debug connection access-list`): which MAPI AO debug categories are on, and for which
// connections. Run-time only, like the seed's: a restart turns them off. The lines go to the
// box's log (journal), each starting "mapi_ao debug".
//
//   debug accelerator mapi {all|Common-flow|DCERPC-layer|EMSMDB-layer|ROP-layer|ROP-parser|
//                           RPC-parser|Transport}...
//   no debug accelerator mapi {all|<category>}...
//   debug connection host <address>      (only flows whose client or server is that address)
//   debug connection any | no debug connection
//   show debugging

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "accel/flow_record.h"
#include "common/ip_address.h"

namespace bh::mapi::mapi_ao {

class DebugSettings {
 public:
  /// `log` receives a line for every change (the box's log).
  explicit DebugSettings(std::function<void(const std::string&)> log = nullptr)
      : log_(std::move(log)) {}

  /// Whether `args` is one of the commands above.
  static bool isDebugCommand(const std::vector<std::string>& args);
  /// Carries out one of them: {"ok", "text", "json"} or {"ok": false, "error"}.
  nlohmann::json handle(const std::vector<std::string>& args);

  /// The MAPI debug categories on for this flow (0: none).
  uint32_t mapiMaskFor(const accel::FlowRecord& info) const;
  uint32_t mapiMask() const { return mapiMask_; }

 private:
  nlohmann::json show() const;
  void log(const std::string& line) const {
    if (log_) {
      log_(line);
    }
  }

  std::function<void(const std::string&)> log_;

  uint32_t mapiMask_ = 0;
  std::optional<IpAddress> host_;
};

}  // namespace bh::mapi::mapi_ao
