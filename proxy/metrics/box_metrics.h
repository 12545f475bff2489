#pragma once

// The box's own `show statistics` figures as metric families (accel/metrics.h), from the same
// plain data the show renderers in proxy/control/ take: connections and the limiter, the DRE
// cache and ledgers, the memory budget, auto-discovery, peer routes, the device. Pure code.

#include "accel/metrics.h"
#include "policy/connection_limiter.h"
#include "proxy/control/show_connections.h"
#include "proxy/control/show_device.h"
#include "proxy/control/show_dre.h"
#include "proxy/control/show_peering.h"
#include "proxy/control/show_wan_secure.h"
#include "proxy/memory_budget.h"

namespace bh::proxy::metrics {

/// `show statistics connection`'s counter block (bufferedBytes: every flow's buffered bytes)
/// and the connection limiter's counters.
void addConnectionMetrics(accel::MetricFamilies& out, const ConnectionCounters& c,
                          uint64_t bufferedBytes, const policy::LimiterCounters& limiter);
/// `show statistics dre`.
void addDreMetrics(accel::MetricFamilies& out, const DreStatistics& s);
/// `show statistics memory`.
void addMemoryMetrics(accel::MetricFamilies& out, const MemoryBudget& budget);
/// `show statistics auto-discovery`.
void addDiscoveryMetrics(accel::MetricFamilies& out, const DiscoveryCounters& c);
/// `show statistics peer-routes`.
void addPeerRouteMetrics(accel::MetricFamilies& out, const PeerRoutesView& v);
/// `show statistics wan-secure`'s totals (per peer stays in the show command: a label per peer
/// would grow with the network): handshakes done, resumed, failed by reason, early data, bytes.
void addWanSecureMetrics(accel::MetricFamilies& out, const WanSecureStatsView& v);
/// `show device`: bridgehead_info{device_id, role} 1, the flows held, the policy generation.
void addDeviceMetrics(accel::MetricFamilies& out, const DeviceView& d);

}  // namespace bh::proxy::metrics
