#pragma once

// The classes of the policy map that hand flows to the MAPI accelerator: what the seed's Step 3
// checks by hand with `show class-map type waas MAPI` and `show policy-map type waas` ("Class
// MAPI ... optimize full accelerate mapi application Email-and-Messaging"), for `accelerator
// mapi verify encryption-settings`.

#include <string>
#include <vector>

#include "policy/config.h"

namespace bh::policy {

struct MapiClassRow {
  std::string name;    ///< "MAPI" (an EPM map's class) or the policy class's name
  std::string match;   ///< "map adaptor EPM mapi (a4f1db00-...)" or the classifier's name
  std::string action;  ///< "optimize full accelerate mapi application Email-and-Messaging"
};

/// The EPM maps of the EMSMDB interface and the policy classes whose action accelerates mapi.
std::vector<MapiClassRow> mapiClasses(const Config& config);
/// A policy class accelerates the endpoint mapper (without it the EPM maps are never learnt).
bool hasEpmClass(const Config& config);

}  // namespace bh::policy
