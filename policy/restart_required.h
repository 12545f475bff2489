#pragma once

#include <string>
#include <vector>

#include "policy/config.h"

namespace bh::policy {

/// Settings a live reload cannot apply because they are bound at start (the listener port, the
/// interception rules, the discovery option, the peer identity). Empty when the reload takes
/// full effect; otherwise the JSON pointers that changed, for the operator to see that a restart
/// is still needed.
std::vector<std::string> restartRequired(const Config& running, const Config& loaded);

}  // namespace bh::policy
