#include "policy/config_loader.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "policy/did_you_mean.h"
#include "policy/encryption_service_config.h"
#include "policy/json_reader.h"
#include "policy/listen_address.h"

namespace bh::policy {
namespace {

using nlohmann::json;

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

// 5.6.2 Service Flags by the names the WAAS CLI and Squid use.
const std::vector<std::pair<std::string, uint32_t>>& wccpFlagNames() {
  static const std::vector<std::pair<std::string, uint32_t>> names = {
      {"src-ip-hash", 0x1},         {"dst-ip-hash", 0x2},        {"src-port-hash", 0x4},
      {"dst-port-hash", 0x8},       {"src-ip-alt-hash", 0x100},  {"dst-ip-alt-hash", 0x200},
      {"src-port-alt-hash", 0x400}, {"dst-port-alt-hash", 0x800}};
  return names;
}

WccpServiceConfig defaultWccpService(uint8_t id) {
  WccpServiceConfig s;
  s.id = id;
  s.flags = id == 62 ? 0x2 : 0x1;  // 62 hashes on the destination: the client, server to client
  return s;
}

void loadWccpService(const json& j, const std::string& path, WccpServiceConfig& s,
                     ConfigErrors& errors) {
  if (j.is_number_integer()) {
    const int64_t id = j.is_number_unsigned()
                           ? static_cast<int64_t>(std::min<uint64_t>(j.get<uint64_t>(), 1000))
                           : j.get<int64_t>();
    if (id < 0 || id > 255) {
      errors.push_back({path, "a service id is 0-255"});
      return;
    }
    s = defaultWccpService(static_cast<uint8_t>(id));
    return;
  }
  ObjectReader r(j, path, errors);
  if (!r.valid()) {
    return;
  }
  uint32_t id = 61;
  r.unsignedInt("id", id, 0, 255);
  if (r.field("id") == nullptr) {
    r.error("id", "missing required key");
  }
  s = defaultWccpService(static_cast<uint8_t>(id));
  std::string type = "dynamic";
  r.string("type", type);
  if (type != "dynamic" && type != "standard") {
    r.error("type", "'" + type + "' is not valid: dynamic or standard");
  }
  s.standard = type == "standard";
  if (s.standard && s.id > 50) {
    r.error("id", "well-known (standard) services are 0-50");
  }
  r.unsignedInt("priority", s.priority, 0, 255);
  r.unsignedInt("protocol", s.protocol, 0, 255);
  if (const json* f = r.field("flags")) {
    if (!f->is_array()) {
      r.error("flags", "expected an array of flag names (src-ip-hash, dst-ip-hash, ...)");
    } else {
      s.flags = 0;
      std::vector<std::string> known;
      for (const auto& [n, v] : wccpFlagNames()) {
        known.push_back(n);
      }
      for (size_t i = 0; i < f->size(); ++i) {
        const std::string fp = pointerJoin(r.path("flags"), i);
        if (!(*f)[i].is_string()) {
          errors.push_back({fp, "expected a flag name"});
          continue;
        }
        const std::string n = (*f)[i].get<std::string>();
        bool found = false;
        for (const auto& [name, v] : wccpFlagNames()) {
          if (name == n) {
            s.flags |= v;
            found = true;
          }
        }
        if (!found) {
          errors.push_back({fp, "'" + n + "' is not a service flag" + suggestionText(n, known)});
        }
      }
    }
  }
  if (const json* p = r.field("ports")) {
    if (!p->is_array() || p->size() > 8) {
      r.error("ports", "expected an array of at most 8 ports (draft 5.6.2)");
    } else {
      for (size_t i = 0; i < p->size(); ++i) {
        const json& v = (*p)[i];
        if (!v.is_number_unsigned() || v.get<uint64_t>() < 1 || v.get<uint64_t>() > 65535) {
          errors.push_back({pointerJoin(r.path("ports"), i), "expected a port 1-65535"});
          continue;
        }
        s.ports.push_back(static_cast<uint16_t>(v.get<uint64_t>()));
      }
    }
  }
  r.boolean("ports_are_source", s.portsAreSource);
  if (s.portsAreSource && s.ports.empty()) {
    r.error("ports_are_source", "needs ports");
  }
  if (s.ports.empty()) {
    s.flags &= ~0x30u;
  } else {
    s.flags |= 0x10u | (s.portsAreSource ? 0x20u : 0u);
  }
  r.finish();
}

void loadWccp(const json& j, WccpConfig& w, ConfigErrors& errors) {
  ObjectReader r(j, "/interception/wccp", errors);
  if (!r.valid()) {
    return;
  }
  if (const json* rs = r.required("routers")) {
    if (!rs->is_array() || rs->empty() || rs->size() > WccpConfig::kMaxRouters) {
      r.error("routers", "expected an array of 1-32 router addresses (IPv4)");
    } else {
      for (size_t i = 0; i < rs->size(); ++i) {
        const std::string p = pointerJoin(r.path("routers"), i);
        std::optional<IpAddress> a;
        if ((*rs)[i].is_string()) {
          a = IpAddress::parse((*rs)[i].get<std::string>());
        }
        if (!a || !a->isV4()) {
          errors.push_back({p, "expected an IPv4 address (WCCPv2 routers are IPv4)"});
          continue;
        }
        if (std::find(w.routers.begin(), w.routers.end(), *a) != w.routers.end()) {
          errors.push_back({p, "router " + a->toString() + " is listed twice"});
          continue;
        }
        w.routers.push_back(*a);
      }
    }
  }
  if (const json* ss = r.field("services")) {
    if (!ss->is_array() || ss->empty() || ss->size() > WccpConfig::kMaxServices) {
      r.error("services", "expected an array of 1-8 services (ids or objects)");
    } else {
      std::set<uint8_t> ids;
      for (size_t i = 0; i < ss->size(); ++i) {
        WccpServiceConfig s;
        const std::string p = pointerJoin(r.path("services"), i);
        const size_t before = errors.size();
        loadWccpService((*ss)[i], p, s, errors);
        if (errors.size() != before) {
          continue;
        }
        if (!ids.insert(s.id).second) {
          errors.push_back({p, "service " + std::to_string(s.id) + " is listed twice"});
          continue;
        }
        w.services.push_back(s);
      }
    }
  } else {
    w.services = {defaultWccpService(61), defaultWccpService(62)};
  }
  r.string("password", w.password);
  if (w.password.size() > 8) {
    // 5.6.1: the key is the password NUL-padded to 8 octets; a longer one is refused rather than
    // truncated (a router that truncates differently would disagree without saying why).
    r.error("password", "a WCCP password is at most 8 characters (draft 5.6.1); this one has " +
                            std::to_string(w.password.size()));
  }
  enumField<WccpMethod>(r, "forwarding", w.forwarding,
                        {{"gre", WccpMethod::Gre}, {"l2", WccpMethod::L2}});
  enumField<WccpMethod>(r, "return", w.returns, {{"gre", WccpMethod::Gre}, {"l2", WccpMethod::L2}});
  enumField<WccpAssignment>(r, "assignment", w.assignment,
                            {{"hash", WccpAssignment::Hash}, {"mask", WccpAssignment::Mask}});
  r.unsignedInt("weight", w.weight, 0, 65535);
  if (const json* m = r.field("mask")) {
    // The mask over the client's address: "0xf00" or a number; at most 7 bits (128 values).
    uint64_t v = 0;
    bool ok = false;
    if (m->is_number_unsigned()) {
      v = m->get<uint64_t>();
      ok = v <= 0xffffffffULL;
    } else if (m->is_string()) {
      const std::string t = m->get<std::string>();
      try {
        size_t used = 0;
        v = std::stoull(t, &used, 0);
        ok = used == t.size() && v <= 0xffffffffULL;
      } catch (...) {
        ok = false;
      }
    }
    if (!ok || v == 0 || __builtin_popcountll(v) > 7) {
      r.error("mask", "expected a non-zero 32-bit mask of at most 7 bits (\"0xf00\")");
    } else {
      w.maskBits = static_cast<uint32_t>(v);
    }
  }
  r.finish();
}

void loadInterception(const json& j, Config& c, ConfigErrors& errors) {
  ObjectReader r(j, "/interception", errors);
  enumField<InterceptionMode>(
      r, "mode", c.interception.mode,
      {{"inline", InterceptionMode::Inline}, {"wccp", InterceptionMode::Wccp}});
  if (const json* w = r.field("wccp")) {
    if (c.interception.mode != InterceptionMode::Wccp) {
      // Refused rather than ignored: the box would run inline and never register.
      r.error("wccp", "a wccp block needs \"mode\": \"wccp\"");
    } else {
      c.interception.wccp.emplace();
      loadWccp(*w, *c.interception.wccp, errors);
    }
  } else if (c.interception.mode == InterceptionMode::Wccp) {
    r.error("mode", "'wccp' needs a wccp block (routers, services, password, methods)");
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

void loadWanSecure(const json& j, Config& c, ConfigErrors& errors) {
  ObjectReader r(j, "/wan_secure", errors);
  WanSecureConfig& w = c.wanSecure;
  if (const json* id = r.field("identity")) {
    ObjectReader ir(*id, r.path("identity"), errors);
    ir.string("certificate", w.certificate);
    ir.string("private_key", w.privateKey);
    ir.string("chain", w.chain);
    // A certificate without its key (or the reverse) is half an identity: refuse it rather
    // than fall back to the default one silently.
    if (w.certificate.empty() != w.privateKey.empty()) {
      ir.error(w.certificate.empty() ? "certificate" : "private_key",
               "certificate and private_key go together (both absent = the default "
               "self-signed identity from the secure store)");
    }
    if (!w.chain.empty() && w.certificate.empty()) {
      ir.error("chain", "a chain needs a certificate and private_key");
    }
    ir.finish();
  }
  r.string("ca_bundle", w.caBundle);
  r.boolean("peer_cert_verify", w.peerCertVerify);
  if (const json* o = r.field("ocsp")) {
    ObjectReader orr(*o, r.path("ocsp"), errors);
    orr.boolean("enabled", w.ocsp.enabled);
    orr.string("url", w.ocsp.url);
    if (!w.ocsp.url.empty() && w.ocsp.url.rfind("http://", 0) != 0) {
      orr.error("url", "'" + w.ocsp.url +
                           "' is not an http:// URL (OCSP answers are signed; RFC 6960 A.1)");
    }
    orr.unsignedInt("timeout_ms", w.ocsp.timeoutMs, 100, 60000);
    enumField<OcspUnreachable>(
        orr, "unreachable", w.ocsp.unreachable,
        {{"fail_closed", OcspUnreachable::FailClosed}, {"fail_open", OcspUnreachable::FailOpen}});
    orr.finish();
  }
  r.string("min_version", w.minVersion);
  if (w.minVersion != "1.3" && w.minVersion != "1.2") {
    r.error("min_version", "'" + w.minVersion + "' is not valid (\"1.3\" or \"1.2\")");
  }
  r.string("ciphers", w.ciphers);
  for (char ch : w.ciphers) {
    if (!(std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_' || ch == ':' ||
          ch == '-')) {
      r.error("ciphers", "expected suite names separated by ':' (e.g. TLS_AES_256_GCM_SHA384)");
      break;
    }
  }
  if (const json* s = r.field("store")) {
    ObjectReader sr(*s, r.path("store"), errors);
    sr.string("path", w.store.path);
    sr.string("key_credential", w.store.credential);
    sr.string("key_file", w.store.keyFile);
    if (w.store.path.empty() || w.store.path.front() != '/') {
      sr.error("path", "expected an absolute directory path");
    }
    if (w.store.keyFile.empty() || w.store.keyFile.front() != '/') {
      sr.error("key_file", "expected an absolute file path");
    }
    if (w.store.credential.empty() || w.store.credential.find('/') != std::string::npos) {
      sr.error("key_credential", "expected a credential name without '/'");
    }
    sr.finish();
  }
  if (const json* m = r.field("mode")) {
    ObjectReader mr(*m, r.path("mode"), errors);
    const std::vector<std::pair<std::string, WanSecureMode>> modes = {
        {"never", WanSecureMode::Never},
        {"auto", WanSecureMode::Auto},
        {"always", WanSecureMode::Always}};
    enumField<WanSecureMode>(mr, "mapi", w.mapiMode, modes);
    enumField<WanSecureMode>(mr, "epm", w.epmMode, modes);
    enumField<WanSecureMode>(mr, "generic", w.genericMode, modes);
    mr.finish();
  }
  if (w.peerCertVerify && w.caBundle.empty()) {
    r.error("ca_bundle", "peer_cert_verify needs a ca_bundle to verify peer certificates against");
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
    if (const json* w = root.field("wan_secure")) {
      loadWanSecure(*w, c, errors);
    }
    if (const json* e = root.field("encryption_service")) {
      loadEncryptionService(*e, c, errors);
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
