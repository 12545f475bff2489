#include "policy/config_loader.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "policy/did_you_mean.h"
#include "policy/json_reader.h"
#include "policy/listen_address.h"

namespace bh::policy {
namespace {

using nlohmann::json;

// Names end up in space-separated CLI lines (`name Other classifier X action ...`), so no spaces.
bool checkName(const std::string& name, const std::string& path, const std::string& what,
               ConfigErrors& errors) {
  if (name.empty() || name.size() > ConfigCaps::kMaxNameLength) {
    errors.push_back(
        {path, what + " must be 1-" + std::to_string(ConfigCaps::kMaxNameLength) + " characters"});
    return false;
  }
  for (char c : name) {
    if (c <= ' ' || c > '~') {
      errors.push_back({path, what + " '" + name + "' must be printable ASCII without spaces"});
      return false;
    }
  }
  return true;
}

template <class E>
void enumField(ObjectReader& r, std::string_view key, E& out,
               const std::vector<std::pair<std::string, E>>& values) {
  std::string text;
  const json* j = r.field(key);
  if (j == nullptr) {
    return;
  }
  if (!j->is_string()) {
    r.error(key, "expected string, got " + jsonTypeName(*j));
    return;
  }
  text = j->get<std::string>();
  std::vector<std::string> names;
  for (const auto& [name, value] : values) {
    if (name == text) {
      out = value;
      return;
    }
    names.push_back(name);
  }
  r.error(key, "'" + text + "' is not valid" + suggestionText(text, names));
}

void loadDevice(const json& j, Config& c, ConfigErrors& errors) {
  ObjectReader r(j, "/device", errors);
  r.string("id", c.device.id);
  if (!c.device.id.empty()) {
    checkName(c.device.id, r.path("id"), "device id", errors);
  }
  enumField<DeviceRole>(
      r, "role", c.device.role,
      {{"edge", DeviceRole::Edge}, {"core", DeviceRole::Core}, {"both", DeviceRole::Both}});
  r.string("hostname", c.device.hostname);
  const std::string& h = c.device.hostname;
  bool hostOk = !h.empty() && h.size() <= 63 && h.front() != '-' && h.back() != '-';
  for (char ch : h) {
    hostOk = hostOk && (std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '-');
  }
  if (!hostOk) {
    r.error("hostname", "'" + h + "' is not a host name (1-63 letters, digits, inner '-')");
  }
  r.finish();
}

void loadInterception(const json& j, Config& c, ConfigErrors& errors) {
  ObjectReader r(j, "/interception", errors);
  // A setting nothing implements is refused, not accepted and ignored: a box told to use WCCP
  // would otherwise run inline rules and never register with a router.
  if (const json* m = r.field("mode"); m != nullptr && m->is_string() && *m == "wccp") {
    r.error("mode", "'wccp': WCCP redirection is not implemented yet; use 'inline'");
  } else {
    enumField<InterceptionMode>(r, "mode", c.interception.mode,
                                {{"inline", InterceptionMode::Inline}});
  }
  if (const json* ifs = r.field("lan_interfaces")) {
    if (!ifs->is_array() || ifs->size() > 64) {
      r.error("lan_interfaces", "expected an array of at most 64 interface names");
    } else {
      for (size_t i = 0; i < ifs->size(); ++i) {
        const json& n = (*ifs)[i];
        std::string path = r.path("lan_interfaces") + "/" + std::to_string(i);
        // IFNAMSIZ is 16 with the terminator; names never contain spaces or '/'.
        if (!n.is_string() || n.get<std::string>().empty() || n.get<std::string>().size() > 15 ||
            n.get<std::string>().find_first_of(" /\"\t") != std::string::npos) {
          errors.push_back({path, "expected an interface name (1-15 characters)"});
          continue;
        }
        c.interception.lanInterfaces.push_back(n.get<std::string>());
      }
    }
  }
  r.unsignedInt("nfqueue", c.interception.nfqueue, 0, 65535);
  r.finish();
}

void loadPeering(const json& j, Config& c, ConfigErrors& errors) {
  ObjectReader r(j, "/peering", errors);
  r.unsignedInt("tcp_option_kind", c.peering.optionKind, 0, 255);
  bool exidGiven = r.field("tcp_option_exid") != nullptr;
  r.unsignedInt("tcp_option_exid", c.peering.optionExid, 0, 65535);
  if (exidGiven && c.peering.optionKind == PeeringConfig::kWaasKind) {
    r.error("tcp_option_exid", "an ExID applies only to RFC 6994 kinds 253 and 254");
  }
  r.unsignedInt("listen_port", c.peering.listenPort, 1, 65535);
  r.unsignedInt("initial_window_segments", c.peering.initialWindowSegments, 0, 8192);
  r.unsignedInt("route_table", c.peering.routeTable, 1, 0x7fffffff);
  r.string("congestion_control", c.peering.congestionControl);
  r.unsignedInt("wan_bandwidth_kbit", c.peering.wanBandwidthKbit, 0, 400000000);
  {
    const std::string& cc = c.peering.congestionControl;
    bool name = !cc.empty() && cc.size() < 16 && std::all_of(cc.begin(), cc.end(), [](char ch) {
      return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
    });
    if (!name) {
      r.error("congestion_control", "a kernel congestion control name (cubic, bbr, reno...)");
    }
  }
  if (c.peering.routeTable == 27 || (c.peering.routeTable >= 253 && c.peering.routeTable <= 255)) {
    r.error("route_table", "tables 27 (interception) and 253-255 (the kernel's) are taken");
  }
  r.finish();
}

void loadApplications(const json& j, Config& c, ConfigErrors& errors) {
  if (!expectArray(j, "/applications", errors)) {
    return;
  }
  if (j.size() > ConfigCaps::kMaxApplications) {
    errors.push_back({"/applications", "more than " + std::to_string(ConfigCaps::kMaxApplications) +
                                           " applications"});
    return;
  }
  for (size_t i = 0; i < j.size(); ++i) {
    std::string path = pointerJoin("/applications", i);
    if (expectString(j[i], path, errors) &&
        checkName(j[i].get<std::string>(), path, "application name", errors)) {
      c.applications.push_back(j[i].get<std::string>());
    }
  }
}

void prefixField(ObjectReader& r, std::string_view key, std::optional<IpPrefix>& out) {
  const json* j = r.field(key);
  if (j == nullptr) {
    return;
  }
  if (!j->is_string()) {
    r.error(key, "expected string (address or prefix), got " + jsonTypeName(*j));
    return;
  }
  std::string why;
  out = IpPrefix::parse(j->get<std::string>(), &why);
  if (!out) {
    r.error(key, why);
  }
}

void portField(ObjectReader& r, std::string_view key, std::optional<PortRange>& out) {
  const json* j = r.field(key);
  if (j == nullptr) {
    return;
  }
  if (j->is_number_integer()) {
    int64_t v = j->is_number_unsigned()
                    ? static_cast<int64_t>(std::min<uint64_t>(j->get<uint64_t>(), 1u << 20))
                    : j->get<int64_t>();
    if (v < 0 || v > 65535) {
      r.error(key, "port " + std::to_string(v) + " is out of range 0-65535");
      return;
    }
    out = PortRange::single(static_cast<uint16_t>(v));
    return;
  }
  if (!j->is_string()) {
    r.error(key, "expected \"eq <port>\", \"range <low> <high>\" or a port number, got " +
                     jsonTypeName(*j));
    return;
  }
  std::string why;
  out = PortRange::parse(j->get<std::string>(), &why);
  if (!out) {
    r.error(key, why);
  }
}

void loadClause(const json& j, const std::string& path, std::vector<MatchClause>& out,
                ConfigErrors& errors) {
  ObjectReader r(j, path, errors);
  if (!r.valid()) {
    return;
  }
  MatchClause m;
  prefixField(r, "src_ip", m.srcIp);
  prefixField(r, "dst_ip", m.dstIp);
  portField(r, "src_port", m.srcPort);
  portField(r, "dst_port", m.dstPort);
  r.boolean("both_directions", m.bothDirections);
  bool fieldsPresent =
      r.field("src_ip") || r.field("dst_ip") || r.field("src_port") || r.field("dst_port");
  r.finish();
  if (!fieldsPresent) {
    errors.push_back({path,
                      "empty match clause would match every flow (leave the class "
                      "without classifier for that)"});
    return;
  }
  if (m.srcIp && m.dstIp && m.srcIp->network().family() != m.dstIp->network().family()) {
    errors.push_back(
        {pointerJoin(path, "dst_ip"), "mixes IPv4 and IPv6 with src_ip; no flow can match"});
  }
  out.push_back(m);
}

// A classifier's `match` is one clause object or an array of them (any may match).
void loadMatch(const json& j, const std::string& path, std::vector<MatchClause>& out,
               ConfigErrors& errors) {
  if (j.is_object()) {
    loadClause(j, path, out, errors);
    return;
  }
  if (!j.is_array()) {
    errors.push_back(
        {path, "expected match clause object or array of them, got " + jsonTypeName(j)});
    return;
  }
  if (j.empty()) {
    errors.push_back({path, "no match clauses"});
    return;
  }
  if (j.size() > ConfigCaps::kMaxClausesPerClassifier) {
    errors.push_back({path, "more than " + std::to_string(ConfigCaps::kMaxClausesPerClassifier) +
                                " match clauses"});
    return;
  }
  for (size_t i = 0; i < j.size(); ++i) {
    loadClause(j[i], pointerJoin(path, i), out, errors);
  }
}

void loadClassifiers(const json& j, Config& c, ConfigErrors& errors) {
  if (!expectArray(j, "/classifiers", errors)) {
    return;
  }
  if (j.size() > ConfigCaps::kMaxClassifiers) {
    errors.push_back({"/classifiers",
                      "more than " + std::to_string(ConfigCaps::kMaxClassifiers) + " classifiers"});
    return;
  }
  for (size_t i = 0; i < j.size(); ++i) {
    ObjectReader r(j[i], pointerJoin("/classifiers", i), errors);
    if (!r.valid()) {
      continue;
    }
    Classifier cl;
    r.string("name", cl.name, true);
    if (r.field("name") != nullptr) {
      checkName(cl.name, r.path("name"), "classifier name", errors);
    }
    if (const json* m = r.required("match")) {
      loadMatch(*m, r.path("match"), cl.clauses, errors);
    }
    r.finish();
    c.classifiers.push_back(std::move(cl));
  }
}

void actionFields(ObjectReader& r, Action& action, Accelerator& accelerate) {
  if (const json* a = r.required("action")) {
    if (!a->is_string()) {
      r.error("action", "expected string, got " + jsonTypeName(*a));
    } else if (auto parsed = parseAction(a->get<std::string>())) {
      action = *parsed;
    } else {
      r.error("action", "'" + a->get<std::string>() + "' is not an action" +
                            suggestionText(a->get<std::string>(), actionNames()));
    }
  }
  if (const json* a = r.field("accelerate")) {
    if (!a->is_string()) {
      r.error("accelerate", "expected string, got " + jsonTypeName(*a));
    } else if (auto parsed = parseAccelerator(a->get<std::string>())) {
      accelerate = *parsed;
    } else {
      r.error("accelerate", "'" + a->get<std::string>() + "' is not an accelerator" +
                                suggestionText(a->get<std::string>(), acceleratorNames()));
    }
  }
  if (action == Action::PassThrough && accelerate != Accelerator::None) {
    r.error("accelerate", "a pass-through flow cannot be accelerated");
  }
}

void loadPolicy(const json& j, Config& c, ConfigErrors& errors) {
  ObjectReader r(j, "/policy", errors);
  r.string("name", c.policyMap.name);
  checkName(c.policyMap.name, r.path("name"), "policy map name", errors);
  const json* classes = r.required("classes");
  r.finish();
  if (classes == nullptr || !expectArray(*classes, "/policy/classes", errors)) {
    return;
  }
  if (classes->size() > ConfigCaps::kMaxClasses) {
    errors.push_back(
        {"/policy/classes", "more than " + std::to_string(ConfigCaps::kMaxClasses) + " classes"});
    return;
  }
  std::set<std::string> declared;
  for (const auto& cl : c.classifiers) {
    declared.insert(cl.name);
  }
  for (size_t i = 0; i < classes->size(); ++i) {
    ObjectReader cr((*classes)[i], pointerJoin("/policy/classes", i), errors);
    if (!cr.valid()) {
      continue;
    }
    PolicyClass pc;
    cr.string("name", pc.name, true);
    if (cr.field("name") != nullptr) {
      checkName(pc.name, cr.path("name"), "class name", errors);
    }
    cr.string("classifier", pc.classifier);
    const json* match = cr.field("match");
    if (match != nullptr && cr.field("classifier") != nullptr) {
      cr.error("match", "give either 'classifier' or 'match', not both");
    } else if (match != nullptr) {
      // An inline match is shorthand for a classifier named after the class.
      Classifier inlineClassifier;
      inlineClassifier.name = pc.name;
      inlineClassifier.inlineFromClass = true;
      loadMatch(*match, cr.path("match"), inlineClassifier.clauses, errors);
      if (declared.count(pc.name) != 0) {
        cr.error("match", "a classifier named '" + pc.name +
                              "' already exists; reference it or rename the class");
      } else if (!pc.name.empty()) {
        declared.insert(pc.name);
        pc.classifier = pc.name;
        c.classifiers.push_back(std::move(inlineClassifier));
      }
    }
    cr.string("application", pc.application, true);
    actionFields(cr, pc.action, pc.accelerate);
    cr.finish();
    c.policyMap.classes.push_back(std::move(pc));
  }
}

bool isCanonicalUuid(const std::string& s) {
  if (s.size() != 36) {
    return false;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : std::isxdigit(static_cast<unsigned char>(s[i])) == 0) {
      return false;
    }
  }
  return true;
}

void loadEpmMaps(const json& j, Config& c, ConfigErrors& errors) {
  if (!expectArray(j, "/epm_maps", errors)) {
    return;
  }
  if (j.size() > ConfigCaps::kMaxEpmMaps) {
    errors.push_back(
        {"/epm_maps", "more than " + std::to_string(ConfigCaps::kMaxEpmMaps) + " EPM maps"});
    return;
  }
  for (size_t i = 0; i < j.size(); ++i) {
    ObjectReader r(j[i], pointerJoin("/epm_maps", i), errors);
    if (!r.valid()) {
      continue;
    }
    EpmMap m;
    r.string("name", m.name, true);
    if (r.field("name") != nullptr) {
      checkName(m.name, r.path("name"), "EPM map name", errors);
    }
    r.string("uuid", m.uuid, true);
    for (char& ch : m.uuid) {
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    if (r.field("uuid") != nullptr && r.field("uuid")->is_string() && !isCanonicalUuid(m.uuid)) {
      r.error("uuid", "'" + m.uuid + "' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
    }
    r.string("application", m.application, true);
    actionFields(r, m.action, m.accelerate);
    r.finish();
    c.epmMaps.push_back(std::move(m));
  }
}

void loadAccelerators(const json& j, Config& c, ConfigErrors& errors) {
  ObjectReader r(j, "/accelerators", errors);
  if (const json* m = r.field("mapi")) {
    ObjectReader mr(*m, r.path("mapi"), errors);
    mr.boolean("enabled", c.mapi.enabled);
    mr.boolean("read_optimization", c.mapi.readOptimization);
    mr.boolean("write_optimization", c.mapi.writeOptimization);
    // One ReadStream buffer (31744) at least; more than 64 MiB per session is a memory hazard.
    mr.unsignedInt("read_ahead_bytes", c.mapi.readAheadBytes, 31744, 64 << 20);
    mr.number("keepalive_seconds", c.mapi.keepaliveSeconds, 0.5, 3600.0);
    // Shown by `show accelerator mapi`, but what it names (the peer legs' keepalive,
    // kPeerKeepaliveSeconds in proxy/sockets.h) is fixed at 5 s: refuse any other value rather
    // than show a timeout the box does not use.
    if (mr.field("keepalive_seconds") != nullptr &&
        c.mapi.keepaliveSeconds != kMapiKeepaliveSeconds) {
      mr.error("keepalive_seconds",
               "only 5 is implemented (the peer legs' keepalive is fixed); a configurable "
               "keepalive is not implemented yet");
    }
    mr.unsignedInt("max_connections", c.mapi.maxConnections, 1, 1000000);
    mr.finish();
  }
  if (const json* e = r.field("epm")) {
    ObjectReader er(*e, r.path("epm"), errors);
    er.boolean("enabled", c.epm.enabled);
    er.unsignedInt("rule_lifetime_seconds", c.epm.ruleLifetimeSeconds, 1, 86400);
    er.unsignedInt("max_dynamic_rules", c.epm.maxDynamicRules, 1, 65536);
    er.finish();
  }
  r.finish();
}

void loadLimits(const json& j, Config& c, ConfigErrors& errors) {
  ObjectReader r(j, "/limits", errors);
  r.unsignedInt("connection_limit", c.limits.connectionLimit, 1, 1000000);
  r.unsignedInt("effective_limit", c.limits.effectiveLimit, 1, 1000000);
  r.unsignedInt("reserved_mapi_connections", c.limits.reservedMapiConnections, 0, 1000000);
  r.unsignedInt("mapi_reserve_per_group", c.limits.mapiReservePerGroup, 0, 64);
  r.unsignedInt("memory_budget_mb", c.limits.memoryBudgetMb, 0, 4u << 20);
  r.unsignedInt("memory_high_watermark_percent", c.limits.memoryHighWatermarkPercent, 10, 100);
  r.unsignedInt("memory_low_watermark_percent", c.limits.memoryLowWatermarkPercent, 5, 99);
  if (c.limits.memoryLowWatermarkPercent >= c.limits.memoryHighWatermarkPercent) {
    errors.push_back({"/limits/memory_low_watermark_percent",
                      "must be below memory_high_watermark_percent (" +
                          std::to_string(c.limits.memoryHighWatermarkPercent) + ")"});
  }
  r.finish();
}

void loadSimple(ObjectReader& root, Config& c, ConfigErrors& errors) {
  if (const json* d = root.field("dre")) {
    ObjectReader r(*d, root.path("dre"), errors);
    r.unsignedInt("cache_size_mb", c.dre.cacheSizeMb, 16, 1 << 20);
    r.finish();
  }
  if (const json* l = root.field("lz")) {
    ObjectReader r(*l, root.path("lz"), errors);
    r.unsignedInt("level", c.lz.level, 1, 19);
    r.finish();
  }
  if (const json* t = root.field("transaction_log")) {
    ObjectReader r(*t, root.path("transaction_log"), errors);
    r.boolean("enabled", c.transactionLog.enabled);
    r.finish();
  }
  if (const json* m = root.field("metrics")) {
    loadMetrics(*m, root.path("metrics"), c, errors);
  }
}

// Duplicate keys are legal JSON but almost always a paste error; nlohmann keeps the last one
// silently, so watch the parse and report them. Also caps nesting depth.
class DuplicateKeyWatcher {
 public:
  explicit DuplicateKeyWatcher(ConfigErrors& errors) : errors_(errors) {}

  bool onEvent(int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        bumpIndex();
        if (frames_.size() >= ConfigCaps::kMaxNesting) {
          throw std::length_error("nesting deeper than " + std::to_string(ConfigCaps::kMaxNesting) +
                                  " levels");
        }
        frames_.push_back({event == json::parse_event_t::object_start, {}, {}, 0});
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!frames_.empty()) {
          frames_.pop_back();
        }
        break;
      case json::parse_event_t::key:
        if (!frames_.empty() && parsed.is_string()) {
          Frame& f = frames_.back();
          f.key = parsed.get<std::string>();
          if (!f.keys.insert(f.key).second) {
            errors_.push_back({currentPath(), "duplicate key '" + f.key + "'"});
          }
        }
        break;
      case json::parse_event_t::value:
        bumpIndex();
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool isObject;
    std::set<std::string> keys;
    std::string key;
    size_t index;
  };

  void bumpIndex() {
    if (!frames_.empty() && !frames_.back().isObject) {
      ++frames_.back().index;
    }
  }

  std::string currentPath() const {
    std::string path;
    for (const auto& f : frames_) {
      path = f.isObject ? pointerJoin(path, f.key) : pointerJoin(path, f.index - 1);
    }
    return path;
  }

  ConfigErrors& errors_;
  std::vector<Frame> frames_;
};

std::string withoutExceptionTag(const std::string& what) {
  // "[json.exception.parse_error.101] parse error at line 1..." -> "parse error at line 1..."
  if (!what.empty() && what[0] == '[') {
    size_t close = what.find("] ");
    if (close != std::string::npos) {
      return what.substr(close + 2);
    }
  }
  return what;
}

}  // namespace

Result<Config> loadConfig(std::string_view text) {
  ConfigErrors errors;
  if (text.size() > ConfigCaps::kMaxFileBytes) {
    return Result<Config>::failure(
        {{"", "configuration is " + std::to_string(text.size()) + " bytes; the limit is " +
                  std::to_string(ConfigCaps::kMaxFileBytes)}});
  }
  // nlohmann::json throws; nothing escapes this function.
  try {
    DuplicateKeyWatcher watcher(errors);
    json doc = json::parse(text.begin(), text.end(),
                           [&watcher](int depth, json::parse_event_t event, json& parsed) {
                             return watcher.onEvent(depth, event, parsed);
                           });
    Config c;
    ObjectReader root(doc, "", errors);
    if (!root.valid()) {
      return Result<Config>::failure(std::move(errors));
    }
    int64_t version = 1;
    root.integer("version", version, 1, 1);
    if (const json* d = root.field("device")) {
      loadDevice(*d, c, errors);
    }
    if (const json* i = root.field("interception")) {
      loadInterception(*i, c, errors);
    }
    if (const json* p = root.field("peering")) {
      loadPeering(*p, c, errors);
    }
    if (const json* a = root.field("applications")) {
      loadApplications(*a, c, errors);
    }
    if (const json* cl = root.field("classifiers")) {
      loadClassifiers(*cl, c, errors);
    }
    if (const json* p = root.field("policy")) {
      loadPolicy(*p, c, errors);
    }
    if (const json* e = root.field("epm_maps")) {
      loadEpmMaps(*e, c, errors);
    }
    if (const json* a = root.field("accelerators")) {
      loadAccelerators(*a, c, errors);
    }
    if (const json* l = root.field("limits")) {
      loadLimits(*l, c, errors);
    }
    loadSimple(root, c, errors);
    root.finish();
    validateConfig(c, errors);
    if (!errors.empty()) {
      return Result<Config>::failure(std::move(errors));
    }
    return Result<Config>::success(std::move(c));
  } catch (const json::exception& e) {
    errors.push_back({"", withoutExceptionTag(e.what())});
  } catch (const std::exception& e) {
    errors.push_back({"", e.what()});
  }
  return Result<Config>::failure(std::move(errors));
}

Result<Config> loadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Result<Config>::failure({{"", "cannot open " + path}});
  }
  std::string text;
  char buf[8192];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > ConfigCaps::kMaxFileBytes) {
      return Result<Config>::failure(
          {{"", path + " is larger than " + std::to_string(ConfigCaps::kMaxFileBytes) + " bytes"}});
    }
  }
  if (in.bad()) {
    return Result<Config>::failure({{"", "cannot read " + path}});
  }
  return loadConfig(text);
}

}  // namespace bh::policy
