#include "mapi/epm_ao/epm_accelerator.h"

#include <algorithm>

#include "mapi/dcerpc/well_known.h"

namespace bh::mapi::epm_ao {

using dcerpc::Call;
using dcerpc::Pdu;
using dcerpc::PType;

EpmAccelerator::EpmAccelerator(const IpAddress& server, EndpointSink& sink, EpmCounters& counters,
                               EpmAoLimits limits)
    : server_(server.unmapped()),
      sink_(sink),
      counters_(counters),
      limits_(limits),
      fromClient_(dcerpc::Sender::Client, limits.stream),
      fromServer_(dcerpc::Sender::Server, limits.stream) {
  ++counters_.totalHandledConnections;
  ++counters_.currentActiveConnections;
  counters_.maximumActiveConnections =
      std::max(counters_.maximumActiveConnections, counters_.currentActiveConnections);
}

EpmAccelerator::~EpmAccelerator() {
  if (counters_.currentActiveConnections > 0) {
    --counters_.currentActiveConnections;
  }
}

void EpmAccelerator::onClientData(ByteSpan data) {
  onData(fromClient_, data, true);
}

void EpmAccelerator::onServerData(ByteSpan data) {
  onData(fromServer_, data, false);
}

void EpmAccelerator::onData(dcerpc::CoStream& stream, ByteSpan data, bool fromClient) {
  if (state_ != EpmAoState::Active || data.empty()) {
    return;
  }
  ParseResult fed = stream.feed(data);
  // PDUs framed before a framing error are still read; then the error stops us.
  dcerpc::StreamPdu item;
  ParseResult r = ParseResult::done(0);
  while (state_ == EpmAoState::Active && (r = stream.next(item)).ok()) {
    onPdu(item.pdu, fromClient);
    if (item.call) {
      onCall(*item.call, fromClient);
    }
  }
  // A PDU may have stopped us already (and counted it); only a stream error is new here.
  if (state_ == EpmAoState::Active && r.status == ParseStatus::Error) {
    stop("framing: " + r.error, fromClient);
  } else if (state_ == EpmAoState::Active && !fed.ok()) {
    stop("framing: " + fed.error, fromClient);
  }
}

void EpmAccelerator::onCall(const Call& call, bool fromClient) {
  if (state_ != EpmAoState::Active) {
    return;
  }
  if (fromClient) {
    onRequest(call);
  } else {
    onResponse(call);
  }
}

void EpmAccelerator::onPdu(const Pdu& pdu, bool fromClient) {
  if (state_ != EpmAoState::Active) {
    return;
  }
  ParseResult r = fromClient ? association_.onClientPdu(pdu) : association_.onServerPdu(pdu);
  if (!r.ok()) {
    stop("association: " + r.error, fromClient);
    return;
  }
  if (!fromClient && pdu.ptype() == PType::Fault) {
    // A fault ends the call (C706 12.6.4.7): its ept_map gets no towers.
    auto it = outstanding_.find(pdu.header.callId);
    if (it != outstanding_.end()) {
      outstanding_.erase(it);
      ++counters_.totalUnsuccessfulLookups;
    }
  }
}

bool EpmAccelerator::isEpmNdrContext(uint16_t contextId) const {
  auto iface = association_.interfaceFor(contextId);
  auto transfer = association_.transferSyntaxFor(contextId);
  return iface && *iface == dcerpc::syntax::epm() && transfer && *transfer == dcerpc::syntax::ndr();
}

void EpmAccelerator::onRequest(const Call& call) {
  const dcerpc::PresentationContext* ctx = association_.context(call.contextId);
  if (ctx == nullptr || !(ctx->abstractSyntax == dcerpc::syntax::epm()) ||
      call.opnum != epm::kEptMapOpnum) {
    return;  // another interface or another EPM operation (ept_lookup, ...): not ours
  }
  // A pipelining client may send the request before the bind_ack arrives: then the context is
  // still proposed and the stub is NDR 2.0 if that is what was proposed (checked again on the
  // response, by when the server has chosen).
  bool ndr = ctx->state == dcerpc::ContextState::Accepted
                 ? ctx->transferSyntax == dcerpc::syntax::ndr()
                 : ctx->state == dcerpc::ContextState::Proposed &&
                       std::find(ctx->proposedTransferSyntaxes.begin(),
                                 ctx->proposedTransferSyntaxes.end(),
                                 dcerpc::syntax::ndr()) != ctx->proposedTransferSyntaxes.end();
  if (!ndr || (call.auth && call.auth->authLevel == dcerpc::AuthLevel::PktPrivacy)) {
    ++counters_.totalRequestsFailedToParse;  // NDR64 or sealed: we cannot read the stub
    return;
  }
  epm::EptMapRequest request;
  if (!epm::decodeEptMapRequest(call.stub, call.endian, request, limits_.epm).ok()) {
    ++counters_.totalRequestsFailedToParse;
    return;
  }
  ++counters_.totalRequestsSuccessfullyParsed;
  if (outstanding_.count(call.callId) == 0 && outstanding_.size() >= limits_.maxOutstandingCalls) {
    stop("too many outstanding ept_map calls", true);
    return;
  }
  std::optional<dcerpc::SyntaxId> asked;
  if (request.mapTower.tower && !request.mapTower.tower->floors.empty()) {
    asked = epm::uuidFloorSyntax(request.mapTower.tower->floors.front());
  }
  outstanding_[call.callId] = asked;
}

void EpmAccelerator::onResponse(const Call& call) {
  auto it = outstanding_.find(call.callId);
  if (it == outstanding_.end()) {
    return;  // not an ept_map we saw (another opnum, or a request we could not read)
  }
  outstanding_.erase(it);
  if (!isEpmNdrContext(call.contextId) ||
      (call.auth && call.auth->authLevel == dcerpc::AuthLevel::PktPrivacy)) {
    ++counters_.totalResponsesFailedToParse;
    return;
  }
  epm::EptMapResponse response;
  if (!epm::decodeEptMapResponse(call.stub, call.endian, response, limits_.epm).ok()) {
    ++counters_.totalResponsesFailedToParse;  // counted and ignored; the bytes flow on
    return;
  }
  ++counters_.totalResponsesSuccessfullyParsed;
  if (response.status != 0) {
    ++counters_.totalUnsuccessfulLookups;  // e.g. EPT_S_NOT_REGISTERED 0x16c9a0d6
    return;
  }
  reportEndpoints(response);
}

void EpmAccelerator::reportEndpoints(const epm::EptMapResponse& response) {
  size_t installed = 0;
  for (const auto& pointer : response.towers) {
    if (installed >= limits_.maxRulesPerResponse) {
      break;
    }
    if (!pointer.tower) {
      continue;
    }
    auto endpoint = epm::endpointOf(*pointer.tower);
    if (!endpoint || endpoint->port == 0) {
      continue;  // not ncacn_ip_tcp over IPv4 (named pipes, ncalrpc, HTTP, IPv6 floors)
    }
    IpAddress dst = IpAddress::v4(endpoint->address);
    if (endpoint->address == epm::Ipv4{0, 0, 0, 0}) {
      dst = server_;  // "any address": the server the client is talking to
    }
    if (!sink_.onMappedEndpoint({endpoint->interfaceId.uuid.toString(), dst, endpoint->port})) {
      continue;  // nothing wants this interface (no EPM map for it)
    }
    ++counters_.totalDynamicRulesInstalled;
    ++installed;
  }
}

void EpmAccelerator::stop(std::string why, bool fromClient) {
  if (state_ != EpmAoState::Active) {
    return;
  }
  state_ = EpmAoState::Stopped;
  stopReason_ = std::move(why);
  outstanding_.clear();
  ++counters_.totalConnectionsStopped;
  if (fromClient) {
    ++counters_.totalRequestsFailedToParse;
  } else {
    ++counters_.totalResponsesFailedToParse;
  }
}

}  // namespace bh::mapi::epm_ao
