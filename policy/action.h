#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bh::policy {

/// What the generic accelerator does with a flow. DRE and LZ ride on TFO, so the five values are
/// every combination WAAS allows (its `optimize DRE yes|no compression LZ|none`).
enum class Action { PassThrough, OptimizeTcp, OptimizeDre, OptimizeLz, OptimizeFull };

bool usesTfo(Action a);
bool usesDre(Action a);
bool usesLz(Action a);

/// The configuration word: "pass-through", "optimize tcp", "optimize dre", "optimize lz",
/// "optimize full".
std::string actionName(Action a);
/// Accepts the configuration words and the WAAS phrases ("optimize DRE no compression none").
std::optional<Action> parseAction(std::string_view text);
/// The configuration words, for "did you mean" and error text.
const std::vector<std::string>& actionNames();
/// The WAAS running-config phrase: "optimize full", "optimize DRE no compression none", ...
std::string actionWaasText(Action a);
/// The connection detail form: "TCP_OPTIMIZE + DRE + LZ", "PASS_THROUGH".
std::string actionPolicyDetails(Action a);

/// The application accelerator a flow is handed to.
enum class Accelerator { None, Epm, Mapi };

/// "none", "epm", "mapi".
std::string acceleratorName(Accelerator a);
std::optional<Accelerator> parseAccelerator(std::string_view text);
const std::vector<std::string>& acceleratorNames();
/// The WAAS running-config name: "mapi", "MS-port-mapper" (the EPM AO's WAAS name).
std::string acceleratorWaasName(Accelerator a);
/// The connection detail form: "MAPI", "EPM", "None".
std::string acceleratorDetails(Accelerator a);

}  // namespace bh::policy
