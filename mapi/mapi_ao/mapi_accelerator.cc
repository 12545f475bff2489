#include "mapi/mapi_ao/mapi_accelerator.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <functional>

#include "mapi/dcerpc/pdu_codec.h"
#include "mapi/mapi_ao/mapi_debug.h"
#include "mapi/mapi_ao/mapi_flow_record.h"
#include "mapi/mapi_ao/mapi_metrics.h"
#include "mapi/mapi_ao/protected_mapi_filter.h"

namespace bh::mapi::mapi_ao {

namespace {

using accel::Admission;
using accel::FlowFilter;
using accel::FlowRecord;

nlohmann::json ok(std::string text, nlohmann::json json) {
  return {{"ok", true}, {"text", std::move(text)}, {"json", std::move(json)}};
}

uint64_t pairOf(const FlowRecord& flow) {
  return std::hash<std::string>{}(flow.client.ip.toString() + "|" + flow.server.ip.toString());
}

std::string tag(const FlowRecord& flow) {
  return "(" + std::to_string(flow.connId) + ") ";
}

}  // namespace

MapiAccelerator::MapiAccelerator(accel::Host& host, accel::Admission& admission,
                                 MapiAcceleratorConfig config)
    : host_(host),
      admission_(admission),
      config_(std::move(config)),
      debug_([&host](const std::string& line) { host.logInfo(line); }) {}

MapiAccelerator::~MapiAccelerator() = default;

accel::Accelerator::Status MapiAccelerator::status() const {
  // Seed: Enabled + Running + Registered when operational; disabled in config = Shutdown.
  return {config_.enabled, config_.enabled ? "Running" : "Shutdown"};
}

bool MapiAccelerator::admit(FlowRecord& flow) {
  if (const MapiFlowRecord* had = findMapiRecord(flow); had != nullptr && had->admitted) {
    // Attached again (the box dropped the first edge half when WAN secure failed on the leg
    // and carries the flow on over a new one): the grant it holds is still its own.
    return true;
  }
  uint64_t pair = pairOf(flow);
  bool known = pairConnections_.count(pair) != 0;
  Admission::Grant grant = admission_.admit(pair, known);
  if (grant == Admission::Grant::Refused) {
    flow.handedOffToGeneric = true;
    flow.handOffReason = "overload";
    counters_.onHandedOff(mapiRecordOf(flow).stats, HandOffReason::Overload);
    if (known) {
      // A connection of a group we accelerate goes elsewhere: the seed's escape.
      counters_.onEscapedConnection();
    }
    host_.logError("mapi_ao: " + tag(flow) + "Client IP: " + flow.client.ip.toString() +
                   ": MAPI accelerator overloaded (" + std::to_string(admission_.active()) +
                   " connections" +
                   (known ? ", association group reserve used up; escaped connection" : "") +
                   "); handed off to the generic AO");
    return false;
  }
  MapiFlowRecord& rec = mapiRecordOf(flow);
  rec.admitted = true;
  rec.pair = pair;
  rec.grant = static_cast<uint8_t>(grant);
  ++pairConnections_[pair];
  return true;
}

accel::Attachment MapiAccelerator::attach(FlowRecord& flow) {
  // The edge half decides: the core attaches its half when the Hello asks for it.
  if (flow.coreSide) {
    return {};
  }
  if (!config_.enabled) {
    // Configured off: the flow goes to the generic accelerator, as WAAS does for connections
    // the MAPI AO does not take ("TGDL").
    flow.handedOffToGeneric = true;
    flow.handOffReason = "MAPI accelerator disabled";
    return {};
  }
  auto g = genericUntil_.find({flow.client.ip.toString(), flow.server.ip.toString()});
  if (g != genericUntil_.end()) {
    if (g->second > host_.nowNs()) {
      flow.handedOffToGeneric = true;
      flow.handOffReason = "parse-error (reconnect after an unrecoverable parse error)";
      counters_.onHandedOff(mapiRecordOf(flow).stats, HandOffReason::ParseError);
      return {};
    }
    genericUntil_.erase(g);
  }
  if (!admit(flow)) {
    return {};
  }
  return {makeEdgeMapiFilter(config_.ao, flow, *this, protection_), nullptr};
}

accel::SecureLegNeed MapiAccelerator::secureLegNeed(ByteSpan firstBytes) const {
  if (protection_ == nullptr) {
    return accel::SecureLegNeed::No;
  }
  // The connection's first PDU is its bind (MS-RPCE 3.3.1.5.4: a client binds before it calls).
  dcerpc::Pdu pdu;
  ParseResult r = dcerpc::decodePdu(firstBytes, pdu);
  if (r.status == ParseStatus::NeedMore) {
    return accel::SecureLegNeed::NeedMore;
  }
  if (!r.ok()) {
    return accel::SecureLegNeed::No;  // not DCE/RPC: the MAPI AO hands it off anyway
  }
  return isProtectedKerberosBind(firstBytes.first(r.consumed)) ? accel::SecureLegNeed::Yes
                                                               : accel::SecureLegNeed::No;
}

accel::Attachment MapiAccelerator::attachPeerHalf(FlowRecord& flow) {
  // The edge half frames its stream for ours: attach it even when our read optimization is off
  // (then it relays without prefetching).
  MapiAoConfig mc = config_.ao;
  if (!config_.enabled) {
    mc.readAhead = false;
  }
  return {makeCoreMapiFilter(mc, flow, *this, protection_), nullptr};
}

void MapiAccelerator::onOverload(const FlowRecord& flow, bool groupKnown) {
  (void)flow;
  if (groupKnown) {
    // A connection of a group we accelerate goes elsewhere: the seed's escape.
    counters_.onEscapedConnection();
  }
}

void MapiAccelerator::onFlowClosed(FlowRecord& flow, const FlowFilter* filter) {
  MapiFlowRecord* rec = findMapiRecord(flow);
  if (rec == nullptr) {
    return;
  }
  if (!flow.coreSide && filter != nullptr && mapiWritesPending(*filter, {}, {}) &&
      !host_.stopping()) {
    // The client was told writes succeeded that the server never confirmed, and it may go on
    // to commit the stream on another connection of the session: every connection of the
    // group is reset, so that commit never reaches the server (the calls that would carry it
    // are held until these writes are confirmed, which now cannot happen).
    auto peers = groupPeers(flow, true);
    resets_.insert(resets_.end(), peers.begin(), peers.end());
    host_.logError("mapi_ao: " + tag(flow) + "Client IP: " + flow.client.ip.toString() +
                   ": connection ended with write-behind the server never confirmed; resetting "
                   "the " +
                   std::to_string(peers.size()) + " other connections of its association group");
    if (!peers.empty()) {
      host_.wake();
    }
  }
  // Balances the MAPI gauges even when the AO did not report the close (idempotent).
  counters_.onConnectionClosed(rec->stats);
  if (rec->admitted) {
    rec->admitted = false;
    admission_.release(static_cast<Admission::Grant>(rec->grant));
    if (--pairConnections_[rec->pair] <= 0) {
      pairConnections_.erase(rec->pair);
      admission_.endGroup(rec->pair);  // the group's unused reserve goes back to the pool
    }
  }
  groups_.leave(flow.connId);
}

void MapiAccelerator::onMapiProtectionEvent(FlowRecord& info, const std::string& line) {
  host_.logError("mapi_ao: " + tag(info) + "Client IP: " + info.client.ip.toString() + ": " + line);
}

void MapiAccelerator::onMapiHandOff(FlowRecord& info, HandOffReason reason,
                                    const std::string& detail) {
  info.handedOffToGeneric = true;
  info.handOffReason = handOffReasonName(reason);
  std::string id = tag(info);
  std::string client = info.client.ip.toString();
  const MapiFlowRecord* rec = findMapiRecord(info);
  if ((reason == HandOffReason::UnsupportedClient || reason == HandOffReason::ExchangeToExchange) &&
      rec != nullptr && rec->stats.associationGroupId && !host_.stopping()) {
    // The session is the client's, not the connection's: its other connections (bulk, async)
    // and any that join later go to the generic AO too.
    groups_.markGeneric({info.client.ip, info.server.ip, *rec->stats.associationGroupId}, reason);
    for (uint64_t peer : groupPeers(info)) {
      handOffs_.emplace_back(peer, reason);
    }
    host_.wake();
  }
  if (reason == HandOffReason::ParseError && !host_.stopping()) {
    // The whole client <-> server service goes: every MAPI connection between them, this one
    // included, and the reconnects are handed to the generic AO from the start.
    std::string server = info.server.ip.toString();
    genericUntil_[{client, server}] = host_.nowNs() + kGenericAfterParseErrorNs;
    host_.forEachFlow([&](FlowRecord& o) {
      const MapiFlowRecord* r = findMapiRecord(o);
      if (r != nullptr && r->accelerated && !o.coreSide && o.client.ip.toString() == client &&
          o.server.ip.toString() == server) {
        resets_.push_back(o.connId);
      }
    });
    host_.wake();
    host_.logError("mapi_ao: " + id + "Client IP: " + client + ": unrecoverable parse error (" +
                   detail + "); disconnecting all " + std::to_string(resets_.size()) +
                   " MAPI connections to " + server + "; reconnects go to the generic AO");
    return;
  }
  switch (reason) {
    case HandOffReason::Encrypted:
      // The seed's syslog line, so an engineer's grep for 132104 finds it.
      host_.logError("mapi_ao: %BH-MAPIAO-3-132104: " + id + "Encrypted connection. Client IP: " +
                     client + " (" + detail + "); handed off to the generic AO");
      return;
    case HandOffReason::Ntlm:
      host_.logError("mapi_ao: " + id + "Bind Request from client " + client + " " + detail +
                     ": Unsupported Auth Type; handed off to the generic AO");
      return;
    default:
      host_.logError("mapi_ao: " + id + "Client IP: " + client + ": " + info.handOffReason +
                     (detail.empty() ? "" : " (" + detail + ")") +
                     "; handed off to the generic AO");
      return;
  }
}

std::optional<HandOffReason> MapiAccelerator::onMapiJoinGroup(FlowRecord& info,
                                                              uint32_t assocGroupId) {
  MapiAssociationGroupKey key{info.client.ip, info.server.ip, assocGroupId};
  if (auto generic = groups_.genericReason(key)) {
    return generic;
  }
  if (groups_.known(key)) {
    return std::nullopt;
  }
  // The client joins a group whose first connection this box never accelerated: it took
  // another path (another edge/core pair) or went through while we were overloaded.
  counters_.onEscapedConnection();
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%x", assocGroupId);
  host_.logError("mapi_ao: " + tag(info) + "Client IP: " + info.client.ip.toString() +
                 ": bind joins association group " + hex +
                 " that this box did not see created (escaped connection)");
  return std::nullopt;
}

void MapiAccelerator::onMapiBound(FlowRecord& info, uint32_t assocGroupId) {
  groups_.join(info.connId, {info.client.ip, info.server.ip, assocGroupId});
}

std::vector<uint64_t> MapiAccelerator::groupPeers(const FlowRecord& info, bool handedOff) {
  std::vector<uint64_t> peers;
  const MapiFlowRecord* rec = findMapiRecord(info);
  if (rec == nullptr || !rec->stats.associationGroupId) {
    return peers;
  }
  // Asked for every call of the client's: O(group), the group's own member list.
  for (uint64_t id : groups_.othersOf(info.connId)) {
    const FlowRecord* f = host_.findFlow(id);
    if (f != nullptr && !f->coreSide && (handedOff || !f->handedOffToGeneric)) {
      peers.push_back(id);
    }
  }
  return peers;
}

void MapiAccelerator::queueGroupNotice(const FlowRecord& info, bool writesSettled,
                                       ByteSpan contextHandle, std::vector<uint32_t> handles) {
  if (host_.stopping()) {
    return;
  }
  for (uint64_t peer : groupPeers(info)) {
    if (notices_.size() >= kMaxPendingGroupNotices) {
      break;
    }
    notices_.push_back(
        {peer, writesSettled, Bytes(contextHandle.begin(), contextHandle.end()), handles});
  }
  if (!notices_.empty()) {
    host_.wake();
  }
}

void MapiAccelerator::onMapiObjectsReleased(FlowRecord& info, ByteSpan contextHandle,
                                            const std::vector<uint32_t>& handles) {
  queueGroupNotice(info, false, contextHandle, handles);
}

void MapiAccelerator::onMapiWritesSettled(FlowRecord& info, ByteSpan contextHandle,
                                          uint32_t objectHandle) {
  queueGroupNotice(info, true, contextHandle, {objectHandle});
}

bool MapiAccelerator::mapiGroupWritesPending(const FlowRecord& info, ByteSpan contextHandle,
                                             const std::vector<uint32_t>& handles) {
  for (uint64_t peer : groupPeers(info, true)) {
    const FlowFilter* f = host_.filterOf(peer);
    if (f != nullptr && mapiBlocksGroupCall(*f, contextHandle, handles)) {
      return true;
    }
  }
  return false;
}

uint32_t MapiAccelerator::mapiDebugMask(const FlowRecord& info) const {
  return debug_.mapiMaskFor(info);
}

void MapiAccelerator::onMapiDebug(const FlowRecord& info, MapiDebug category,
                                  const std::string& line) {
  std::string text =
      tag(info) + (info.coreSide ? "core " : "edge ") + mapiDebugName(category) + ": " + line;
  host_.logInfo("mapi_ao debug " + text);
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t{};
  localtime_r(&ts.tv_sec, &t);
  char when[48];
  size_t n = std::strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &t);
  std::snprintf(when + n, sizeof(when) - n, ".%03ld", ts.tv_nsec / 1000000);
  errorLog_.append(std::string(when) + " " + text);
}

void MapiAccelerator::runPending() {
  auto notices = std::move(notices_);
  notices_.clear();
  for (const auto& n : notices) {
    // A filter's step may close flows: each notice looks its flow up afresh.
    host_.runFilter(n.connId, [&](FlowFilter& filter, FlowFilter::Output& out) {
      if (n.writesSettled) {
        retryMapiGroupHold(filter, out);
      } else {
        releaseMapiObjects(filter, n.contextHandle, n.handles, out);
      }
    });
  }
  auto handOffs = std::move(handOffs_);
  handOffs_.clear();
  for (const auto& [id, reason] : handOffs) {
    host_.handOff(id, static_cast<uint16_t>(reason),
                  "another connection of its association group was handed off");
  }
  auto ids = std::move(resets_);
  resets_.clear();
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (uint64_t id : ids) {
    if (FlowRecord* f = host_.findFlow(id)) {
      if (MapiFlowRecord* rec = findMapiRecord(*f)) {
        counters_.onDropped(rec->stats);
      }
      host_.reset(id, "MAPI association group disconnected (the mapi_ao log line before says why)");
    }
  }
}

std::vector<accel::ControlCommand> MapiAccelerator::commands() {
  auto debug = [this](const std::vector<std::string>& a) { return debug_.handle(a); };
  // The help is the syntax (bash completion and bhctl(8) are checked against it).
  std::string categories = "all";
  for (const auto& n : mapiDebugCategoryNames(kMapiDebugAll)) {
    categories += "|" + n;
  }
  return {
      {{"show", "statistics", "accelerator", "mapi"},
       "show statistics accelerator mapi",
       [this](const std::vector<std::string>&) {
         return ok(counters_.toText(), counters_.toJson());
       }},
      {{"clear", "statistics", "accelerator", "mapi"},
       "clear statistics accelerator mapi",
       [this](const std::vector<std::string>&) {
         counters_.reset();
         return ok("MAPI accelerator statistics cleared\n", counters_.toJson());
       }},
      {{"show", "debugging"}, "show debugging", debug},
      {{"debug"},
       "debug accelerator mapi {" + categories +
           "}... | debug connection host ADDRESS | debug connection any",
       debug},
      {{"no", "debug"},
       "no debug accelerator mapi {" + categories + "}... | no debug connection | no debug all",
       debug},
  };
}

std::vector<accel::NamedLog> MapiAccelerator::logs() const {
  return {{"errorlog/mapiao-errorlog.current",
           {"mapiao-errorlog"},
           &errorLog_,
           "the MAPI AO's debug lines"}};
}

accel::MetricFamilies MapiAccelerator::metrics() const {
  return mapiMetrics(counters_.stats());
}

}  // namespace bh::mapi::mapi_ao
