#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "policy/action.h"
#include "policy/port_range.h"

namespace bh::policy {

/// Caps on every table of the configuration; the loader refuses files beyond them.
struct ConfigCaps {
  static constexpr size_t kMaxFileBytes = 1 << 20;
  static constexpr size_t kMaxNesting = 32;
  static constexpr size_t kMaxApplications = 256;
  static constexpr size_t kMaxClassifiers = 1024;
  static constexpr size_t kMaxClausesPerClassifier = 256;
  static constexpr size_t kMaxClasses = 1024;
  static constexpr size_t kMaxEpmMaps = 64;
  static constexpr size_t kMaxNameLength = 64;
};

/// The MS-OXCRPC EMSMDB interface: the EPM map the seed shows as `map adaptor EPM mapi`.
inline constexpr const char* kEmsmdbUuid = "a4f1db00-ca47-1067-b31f-00dd010662da";
inline constexpr const char* kDefaultConfigPath = "/etc/bridgehead/bridgehead.json";

enum class DeviceRole { Edge, Core, Both };
/// How flows reach the box: inline (the box in the path, NFQUEUE/TPROXY rules) or wccp (the box
/// off the path of a WCCPv2 router, which redirects the services' TCP to it:
/// redirect/wccp_agent.h).
enum class InterceptionMode { Inline, Wccp };

/// One WCCPv2 service group the box joins (draft-wilson-wccp-v2-12 5.6.2). 61 and 62 are WAAS's
/// tcp-promiscuous pair: dynamic, protocol 6, priority 34, no ports, hashing on the client's
/// address (61 the source, 62 the destination).
struct WccpServiceConfig {
  bool standard = false;  ///< a well-known service (id only) instead of a dynamic one
  uint8_t id = 61;
  uint8_t priority = 34;
  uint8_t protocol = 6;
  uint32_t flags = 0x1;         ///< 5.6.2 Service Flags (the ports-defined bit set from ports)
  std::vector<uint16_t> ports;  ///< at most 8; empty: every port
  bool portsAreSource = false;  ///< the ports are source ports (flag 0x20)
  bool operator==(const WccpServiceConfig&) const = default;
};

enum class WccpMethod { Gre, L2 };
enum class WccpAssignment { Hash, Mask };

/// interception.wccp: the routers and services of a box in wccp mode.
struct WccpConfig {
  static constexpr size_t kMaxRouters = 32;  ///< per service group (draft 4)
  static constexpr size_t kMaxServices = 8;
  std::vector<IpAddress> routers;  ///< IPv4 router ids HERE_I_AM goes to
  std::vector<WccpServiceConfig> services;
  std::string password;  ///< MD5 security when not empty (at most 8 octets)
  WccpMethod forwarding = WccpMethod::Gre;
  WccpMethod returns = WccpMethod::Gre;
  WccpAssignment assignment = WccpAssignment::Hash;
  uint16_t weight = 10000;
  /// Mask assignment: the bits of the client's address that choose the box (WAAS: 0xF00).
  uint32_t maskBits = 0xf00;
  bool operator==(const WccpConfig&) const = default;
};

struct DeviceConfig {
  /// Printable peer id (a MAC such as "0:1a:64:d3:2f:b8", or a name); empty = derive at start.
  std::string id;
  DeviceRole role = DeviceRole::Both;
  std::string hostname = "bridgehead";
};

struct InterceptionConfig {
  InterceptionMode mode = InterceptionMode::Inline;
  /// Edge: the interfaces facing clients; new flows arriving there are intercepted (empty:
  /// any interface).
  std::vector<std::string> lanInterfaces;
  /// NFQUEUE number for SYN / SYN-ACK handling (auto-discovery).
  uint16_t nfqueue = 7;
  /// mode wccp only (required then, refused otherwise).
  std::optional<WccpConfig> wccp;
};

/// Auto-discovery TCP option. RFC 6994 experimental kind 253 carries a 16-bit ExID; the
/// WAAS-like kind 0x21 is the configurable alternative and has no ExID.
struct PeeringConfig {
  static constexpr uint8_t kExperimentalKind = 253;
  static constexpr uint8_t kWaasKind = 0x21;
  uint8_t optionKind = kExperimentalKind;
  uint16_t optionExid = 0x4248;  // "BH"
  /// Port of the transparent listener the interception rules steer flows to.
  uint16_t listenPort = 7878;
  /// TFO: TCP's initial congestion window on peer legs, in segments (0: the kernel's, 10).
  /// Set it to the WAN's bandwidth-delay product (100 Mbit/s x 100 ms = 864 segments): a new
  /// peer connection then sends at the WAN's rate from its first round trip instead of after
  /// half a second of slow start. redirect/peer_routes.h says how.
  uint32_t initialWindowSegments = 0;
  /// The policy-routing table holding the peer routes that carry that window.
  uint32_t routeTable = 28;
  /// TFO: TCP congestion control of peer legs (tcp(7) TCP_CONGESTION). Loss-based CUBIC keeps
  /// a WAN whose router buffers one bandwidth-delay product full; BBR probes past such a buffer
  /// every few round trips and lost ~15 % of a 50 MiB read to the drops (lab, 100 Mbit/s,
  /// 100 ms). BBR suits lossy paths with deep buffers better.
  std::string congestionControl = "cubic";
  /// TFO: the WAN link's bandwidth in kbit/s (0: unknown, legs unpaced). Peer legs are paced
  /// to it (kernel TCP pacing, SO_MAX_PACING_RATE), so the bursts of a large initial window and
  /// of slow start queue in this box's socket, not in the WAN router's buffer: unpaced, a cold
  /// 10 MiB upload at 100 Mbit/s, 100 ms, lost ~250 segments at a one-BDP buffer and took
  /// 0.80-0.87 s; paced, none and 0.79-0.80 s (lab).
  uint32_t wanBandwidthKbit = 0;
};

/// One `match` line: every field present must hold (AND). With `bothDirections` the clause also
/// matches the flow seen from the other end (source and destination swapped).
struct MatchClause {
  std::optional<IpPrefix> srcIp;
  std::optional<IpPrefix> dstIp;
  std::optional<PortRange> srcPort;
  std::optional<PortRange> dstPort;
  bool bothDirections = false;
};

/// A named classifier matches when any of its clauses does (WAAS `match-any`).
struct Classifier {
  std::string name;
  std::vector<MatchClause> clauses;
  /// Made from a class's own `match` (named after the class), not declared under /classifiers.
  bool inlineFromClass = false;
};

/// One class of the policy map. An empty classifier matches every flow (class-default).
struct PolicyClass {
  std::string name;
  std::string classifier;
  std::string application;
  Action action = Action::OptimizeFull;
  Accelerator accelerate = Accelerator::None;
};

struct PolicyMap {
  std::string name = "WAAS-GLOBAL";
  std::vector<PolicyClass> classes;
};

/// An EPM map: flows to a port the endpoint mapper hands out for `uuid` get this treatment
/// through a dynamic rule (WAAS `map adaptor EPM <name>`).
struct EpmMap {
  std::string name;
  std::string uuid;  ///< lower-case canonical form
  std::string application;
  Action action = Action::OptimizeFull;
  Accelerator accelerate = Accelerator::None;
};

/// The MAPI accelerator's keepalive: the peer legs' TCP keepalive, fixed at 5 s in
/// proxy/sockets.h (kPeerKeepaliveSeconds); the loader refuses any other value.
inline constexpr double kMapiKeepaliveSeconds = 5.0;

struct MapiSettings {
  bool enabled = true;
  bool readOptimization = true;
  bool writeOptimization = true;
  /// Read-ahead data one connection keeps in flight or waiting at the edge. The seed saw up to
  /// 1172480 bytes accumulated; 4 MiB keeps 100 Mbit/s at 100 ms RTT busy even when DRE makes
  /// the WAN nearly free (the window, not the link, is then the limit).
  uint32_t readAheadBytes = 4194304;
  double keepaliveSeconds = kMapiKeepaliveSeconds;
  /// Connections the MAPI AO takes at once; beyond it (and the reserve of groups it already
  /// accelerates) new connections go to the generic AO (the seed's overload hand-off).
  uint32_t maxConnections = 4000;
};

struct EpmSettings {
  bool enabled = true;
  /// Idle lifetime of a dynamic rule the EPM AO learns (WAAS "Seconds: 1200").
  uint32_t ruleLifetimeSeconds = 1200;
  /// Cap on the dynamic rule table.
  uint32_t maxDynamicRules = 4096;
};

struct Limits {
  uint32_t connectionLimit = 6000;
  /// Where overload starts (below the hard limit, keeping headroom for control flows).
  uint32_t effectiveLimit = 5990;
  /// Largest number of connections held back for association groups being accelerated.
  uint32_t reservedMapiConnections = 300;
  /// How many of them a new MAPI association group sets aside.
  uint32_t mapiReservePerGroup = 4;
  /// The box's memory budget for what flows buffer (proxy/memory_budget.h), in MiB; 0: a
  /// quarter of the machine's memory, decided at start and at each reload.
  uint32_t memoryBudgetMb = 0;
  /// New flows are not optimized at or above this share of the budget ...
  uint32_t memoryHighWatermarkPercent = 80;
  /// ... until use falls below this share.
  uint32_t memoryLowWatermarkPercent = 70;
};

struct DreSettings {
  uint32_t cacheSizeMb = 2048;
};

struct LzSettings {
  int level = 1;
};

struct TransactionLog {
  bool enabled = false;
};

/// WAN secure's mode for one accelerator class (the seed's "Mapi Wan-secure mode"): `never`
/// (peer legs of the class in clear), `auto` (only flows that need it: sealed MAPI, whose keys
/// cross only a secured leg; proxy/wan_secure/leg_security.h), `always` (every peer leg of the
/// class in TLS).
enum class WanSecureMode { Never, Auto, Always };

std::string wanSecureModeName(WanSecureMode m);

/// What happens when the OCSP responder cannot give an answer (RFC 6960 section 2.3 leaves it
/// to local policy): refuse the peer (fail_closed) or accept it (fail_open).
enum class OcspUnreachable { FailClosed, FailOpen };

/// The `wan_secure` block: TLS 1.3 on peer legs (proxy/wan_secure/, secure/README.md).
struct WanSecureConfig {
  /// The peering identity as PEM files; all empty = the default self-signed identity kept in
  /// the secure store (made at first start, as WAAS ships).
  std::string certificate;
  std::string privateKey;
  std::string chain;
  std::string caBundle;  ///< trust anchors for peer_cert_verify
  bool peerCertVerify = false;
  struct Ocsp {
    bool enabled = true;  ///< applies only with peer_cert_verify
    std::string url;      ///< "" = the certificate's AIA
    uint32_t timeoutMs = 5000;
    OcspUnreachable unreachable = OcspUnreachable::FailClosed;
  } ocsp;
  std::string minVersion = "1.3";  ///< "1.3" or "1.2"
  /// TLS 1.3 suites (RFC 8446 section B.4 names, ':'-separated); "" = the library's default.
  std::string ciphers;
  struct Store {
    std::string path = "/var/lib/bridgehead/secure";
    std::string credential = "bridgehead-store-key";    ///< $CREDENTIALS_DIRECTORY/<credential>
    std::string keyFile = "/etc/bridgehead/store.key";  ///< root-only, outside systemd
  } store;
  /// Per accelerator class.
  WanSecureMode mapiMode = WanSecureMode::Auto;
  WanSecureMode epmMode = WanSecureMode::Never;
  WanSecureMode genericMode = WanSecureMode::Never;

  /// The mode of flows handed to `which` (None = the generic class).
  WanSecureMode modeFor(Accelerator which) const;
  bool anyAlways() const;
  /// True when a class is `auto` or `always` (the box may secure a peer leg).
  bool anySecured() const;
};

/// The encryption service (core role; secure/encryption_service/): the identities it fetches the
/// Exchange servers' keys with, one per domain. Changes with a reload (a changed identity is no
/// longer blacklisted).
struct EncryptionIdentityConfig {
  std::string name;
  std::string type = "user";  ///< "user", "machine" or "keytab"
  std::string domain;
  std::string realm;  ///< "" = the domain in upper case
  std::string principal;
  std::string passwordFile;
  std::string passwordCredential;
  std::string keytab;
  std::vector<std::string> domainControllers;
  bool active = true;
};

struct EncryptionServiceSettings {
  bool enabled = false;
  std::vector<EncryptionIdentityConfig> identities;
  uint32_t timeoutMs = 15000;
  uint32_t retryAfterSeconds = 60;
  uint32_t maxRetrievals = 2;
  static constexpr size_t kMaxIdentities = 64;
  static constexpr size_t kMaxDomainControllers = 16;
};

/// The optional Prometheus listener (proxy/metrics/).
struct MetricsSettings {
  /// "ADDRESS:PORT" ("[ADDRESS]:PORT" for IPv6; policy/listen_address.h); "" = off.
  std::string listen;
};

struct Config {
  DeviceConfig device;
  InterceptionConfig interception;
  PeeringConfig peering;
  std::vector<std::string> applications;
  std::vector<Classifier> classifiers;
  PolicyMap policyMap;
  std::vector<EpmMap> epmMaps;
  MapiSettings mapi;
  EpmSettings epm;
  Limits limits;
  DreSettings dre;
  LzSettings lz;
  TransactionLog transactionLog;
  WanSecureConfig wanSecure;
  EncryptionServiceSettings encryptionService;
  MetricsSettings metrics;

  const Classifier* findClassifier(const std::string& name) const;
  bool hasApplication(const std::string& name) const;
};

std::string roleName(DeviceRole role);
std::string interceptionModeName(InterceptionMode mode);
std::string wccpMethodName(WccpMethod method);
std::string wccpAssignmentName(WccpAssignment assignment);

}  // namespace bh::policy
