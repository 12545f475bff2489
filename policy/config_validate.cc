#include <set>

#include "policy/config_loader.h"
#include "policy/did_you_mean.h"
#include "policy/json_reader.h"

namespace bh::policy {
namespace {

void checkUnique(const std::vector<std::string>& names, const std::string& base,
                 const std::string& field, const std::string& what, ConfigErrors& errors) {
  std::set<std::string> seen;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!seen.insert(names[i]).second) {
      std::string path = pointerJoin(base, i);
      if (!field.empty()) {
        path = pointerJoin(path, field);
      }
      errors.push_back({path, "duplicate " + what + " '" + names[i] + "'"});
    }
  }
}

}  // namespace

void validateConfig(const Config& config, ConfigErrors& errors) {
  checkUnique(config.applications, "/applications", "", "application", errors);

  std::vector<std::string> declaredClassifiers;
  std::vector<std::string> classifierNames;
  for (const auto& c : config.classifiers) {
    classifierNames.push_back(c.name);
    if (!c.inlineFromClass) {
      declaredClassifiers.push_back(c.name);
    }
  }
  checkUnique(declaredClassifiers, "/classifiers", "name", "classifier", errors);

  const auto& classes = config.policyMap.classes;
  std::vector<std::string> classNames;
  for (const auto& c : classes) {
    classNames.push_back(c.name);
  }
  checkUnique(classNames, "/policy/classes", "name", "class", errors);

  for (size_t i = 0; i < classes.size(); ++i) {
    const auto& c = classes[i];
    std::string path = pointerJoin("/policy/classes", i);
    if (!c.classifier.empty() && config.findClassifier(c.classifier) == nullptr) {
      errors.push_back(
          {pointerJoin(path, "classifier"), "unknown classifier '" + c.classifier + "'" +
                                                suggestionText(c.classifier, classifierNames)});
    }
    if (!config.hasApplication(c.application)) {
      errors.push_back({pointerJoin(path, "application"),
                        "unknown application '" + c.application + "'" +
                            suggestionText(c.application, config.applications)});
    }
    // First match wins, so a match-all class hides every class after it.
    if (c.classifier.empty() && i + 1 < classes.size()) {
      errors.push_back(
          {pointerJoin("/policy/classes", i + 1), "unreachable: class '" + c.name + "' at " + path +
                                                      " has no classifier and matches every flow"});
    }
  }

  std::vector<std::string> mapNames;
  std::vector<std::string> mapUuids;
  for (size_t i = 0; i < config.epmMaps.size(); ++i) {
    const auto& m = config.epmMaps[i];
    mapNames.push_back(m.name);
    mapUuids.push_back(m.uuid);
    if (!config.hasApplication(m.application)) {
      errors.push_back({pointerJoin(pointerJoin("/epm_maps", i), "application"),
                        "unknown application '" + m.application + "'" +
                            suggestionText(m.application, config.applications)});
    }
  }
  checkUnique(mapNames, "/epm_maps", "name", "EPM map", errors);
  checkUnique(mapUuids, "/epm_maps", "uuid", "EPM map uuid", errors);

  const Limits& l = config.limits;
  if (l.effectiveLimit > l.connectionLimit) {
    errors.push_back({"/limits/effective_limit",
                      "effective limit " + std::to_string(l.effectiveLimit) +
                          " exceeds connection limit " + std::to_string(l.connectionLimit)});
  }
  if (l.reservedMapiConnections > l.effectiveLimit) {
    errors.push_back({"/limits/reserved_mapi_connections",
                      "reserved MAPI connections " + std::to_string(l.reservedMapiConnections) +
                          " exceed effective limit " + std::to_string(l.effectiveLimit)});
  }
  if (l.mapiReservePerGroup > l.reservedMapiConnections) {
    errors.push_back({"/limits/mapi_reserve_per_group",
                      "reserve per group " + std::to_string(l.mapiReservePerGroup) +
                          " exceeds the reserved pool " +
                          std::to_string(l.reservedMapiConnections)});
  }

  const PeeringConfig& p = config.peering;
  if (p.optionKind != PeeringConfig::kExperimentalKind && p.optionKind != 254 &&
      p.optionKind != PeeringConfig::kWaasKind) {
    errors.push_back({"/peering/tcp_option_kind",
                      "option kind " + std::to_string(p.optionKind) +
                          " is neither RFC 6994 experimental (253, 254) nor 33 (0x21)"});
  }
}

}  // namespace bh::policy
