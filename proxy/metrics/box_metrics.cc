#include "proxy/metrics/box_metrics.h"

namespace bh::proxy::metrics {

using accel::addMetric;
using accel::MetricType;

namespace {

double d(uint64_t v) {
  return static_cast<double>(v);
}

}  // namespace

void addConnectionMetrics(accel::MetricFamilies& out, const ConnectionCounters& c,
                          uint64_t bufferedBytes, const policy::LimiterCounters& l) {
  addMetric(out, "bridgehead_connections_optimized", MetricType::Gauge,
            "Current Active Optimized Flows (show statistics connection).", d(c.optimized));
  addMetric(out, "bridgehead_connections_optimized_tcp_plus", MetricType::Gauge,
            "Current Active Optimized TCP Plus Flows: optimized with DRE/LZ or an accelerator.",
            d(c.tcpPlus));
  addMetric(out, "bridgehead_connections_optimized_tcp_only", MetricType::Gauge,
            "Current Active Optimized TCP Only Flows: optimized, TFO only.", d(c.tcpOnly));
  addMetric(out, "bridgehead_connections_auto_discovery", MetricType::Gauge,
            "Current Active Auto-Discovery Flows.", d(c.autoDiscovery));
  addMetric(out, "bridgehead_connections_reserved", MetricType::Gauge,
            "Current Reserved Flows (held back for association groups).", d(c.reserved));
  addMetric(out, "bridgehead_connections_pass_through", MetricType::Gauge,
            "Current Active Pass-Through Flows.", d(c.passThrough));
  addMetric(out, "bridgehead_connections_historical_total", MetricType::Counter,
            "Historical Flows: flows that have ended since the box started.", d(c.historical));
  addMetric(out, "bridgehead_connections_buffered_bytes", MetricType::Gauge,
            "Bytes every flow buffers now.", d(bufferedBytes));
  addMetric(out, "bridgehead_limiter_active_flows", MetricType::Gauge,
            "Flows admitted for optimization now (connection limiter).", d(l.active));
  addMetric(out, "bridgehead_limiter_reserved_unused_flows", MetricType::Gauge,
            "Reservations held for association groups and not used.", d(l.reservedUnused));
  addMetric(out, "bridgehead_limiter_max_active_flows", MetricType::Gauge,
            "Most flows admitted at once since the box started.", d(l.maxActive));
  addMetric(out, "bridgehead_limiter_admitted_flows_total", MetricType::Counter,
            "Flows admitted for optimization.", d(l.admitted));
  addMetric(out, "bridgehead_limiter_admitted_from_reserve_flows_total", MetricType::Counter,
            "Flows admitted from an association group's reserve.", d(l.admittedFromReserve));
  addMetric(out, "bridgehead_limiter_pass_through_overload_flows_total", MetricType::Counter,
            "Flows passed through because the box was at its effective limit (overload).",
            d(l.passThroughOverload));
  addMetric(out, "bridgehead_limiter_reserve_refused_groups_total", MetricType::Counter,
            "New association groups that found the reserved pool full.", d(l.reserveRefused));
  addMetric(out, "bridgehead_limiter_reservation_groups", MetricType::Gauge,
            "Association groups holding a reservation.", d(l.groups));
}

void addDreMetrics(accel::MetricFamilies& out, const DreStatistics& s) {
  const EndedFlowTotals& t = s.totals;
  addMetric(out, "bridgehead_dre_cache_open", MetricType::Gauge,
            "1 when the DRE chunk cache is open, 0 when unavailable (TFO only).",
            s.cacheEpoch ? 1 : 0);
  addMetric(out, "bridgehead_dre_ended_optimized_flows_total", MetricType::Counter,
            "Optimized flows that have ended (their bytes are in the byte totals).", d(t.flows));
  addMetric(out, "bridgehead_dre_lan_read_bytes_total", MetricType::Counter,
            "Original bytes read from clients and servers by ended optimized flows.", d(t.lanRead));
  addMetric(out, "bridgehead_dre_lan_written_bytes_total", MetricType::Counter,
            "Original bytes written to clients and servers by ended optimized flows.",
            d(t.lanWritten));
  addMetric(out, "bridgehead_dre_wan_read_bytes_total", MetricType::Counter,
            "Optimized bytes read from peers by ended optimized flows.", d(t.wanRead));
  addMetric(out, "bridgehead_dre_wan_written_bytes_total", MetricType::Counter,
            "Optimized bytes written to peers by ended optimized flows.", d(t.wanWritten));
  addMetric(out, "bridgehead_dre_peers", MetricType::Gauge, "Peers with a DRE ledger.",
            d(s.ledgers.size()));
  accel::MetricFamily chunks{"bridgehead_dre_ledger_chunks",
                             "Chunks a peer is known to hold (its ledger).",
                             MetricType::Gauge,
                             {}};
  accel::MetricFamily bytes{"bridgehead_dre_ledger_bytes",
                            "Bytes of the chunks a peer is known to hold (its ledger).",
                            MetricType::Gauge,
                            {}};
  for (const auto& l : s.ledgers) {
    chunks.samples.push_back({{{"peer", l.peerId}}, d(l.chunks), 0});
    bytes.samples.push_back({{{"peer", l.peerId}}, d(l.bytes), 0});
  }
  out.push_back(std::move(chunks));
  out.push_back(std::move(bytes));
}

void addMemoryMetrics(accel::MetricFamilies& out, const MemoryBudget& budget) {
  const auto& c = budget.counters();
  addMetric(out, "bridgehead_memory_budget_bytes", MetricType::Gauge,
            "The memory budget for what flows buffer.", d(budget.limits().budgetBytes));
  addMetric(out, "bridgehead_memory_high_watermark_bytes", MetricType::Gauge,
            "New flows are not optimized at or above this.", d(budget.highWatermarkBytes()));
  addMetric(out, "bridgehead_memory_low_watermark_bytes", MetricType::Gauge,
            "... until what flows buffer falls below this.", d(budget.lowWatermarkBytes()));
  addMetric(out, "bridgehead_memory_buffered_bytes", MetricType::Gauge,
            "What flows buffer now, charged to the budget.", d(c.inUseBytes));
  addMetric(out, "bridgehead_memory_peak_buffered_bytes", MetricType::Gauge,
            "What flows buffered at most.", d(c.peakBytes));
  addMetric(out, "bridgehead_memory_pressure", MetricType::Gauge,
            "1 while new flows are refused optimization (state pressure), 0 when normal.",
            budget.state() == MemoryBudget::State::Pressure ? 1 : 0);
  addMetric(out, "bridgehead_memory_pressure_episodes_total", MetricType::Counter,
            "Times the high watermark was crossed.", d(c.pressureEpisodes));
  addMetric(out, "bridgehead_memory_refused_flows_total", MetricType::Counter,
            "New flows not optimized because of the watermark.", d(c.refusedFlows));
  addMetric(out, "bridgehead_memory_reset_flows_total", MetricType::Counter,
            "Flows reset because the box was over its budget.", d(c.resetFlows));
}

void addDiscoveryMetrics(accel::MetricFamilies& out, const DiscoveryCounters& c) {
  addMetric(out, "bridgehead_discovery_syns_seen_total", MetricType::Counter,
            "SYNs the auto-discovery handler saw.", d(c.synsSeen));
  addMetric(out, "bridgehead_discovery_options_added_total", MetricType::Counter,
            "Edge: SYNs that carried this box's discovery option.", d(c.optionsAdded));
  addMetric(out, "bridgehead_discovery_option_no_room_total", MetricType::Counter,
            "Edge: SYNs with no room for the option (the flow passes through).", d(c.optionNoRoom));
  addMetric(out, "bridgehead_discovery_peer_syns_seen_total", MetricType::Counter,
            "Core: SYNs carrying an edge's option.", d(c.peerSynsSeen));
  addMetric(out, "bridgehead_discovery_answers_added_total", MetricType::Counter,
            "Core: SYN-ACKs answered.", d(c.answersAdded));
  addMetric(out, "bridgehead_discovery_answers_seen_total", MetricType::Counter,
            "Edge: SYN-ACKs carrying a core's answer.", d(c.answersSeen));
  addMetric(out, "bridgehead_discovery_malformed_options_total", MetricType::Counter,
            "Forged or truncated options, left untouched.", d(c.malformedOptions));
}

void addWanSecureMetrics(accel::MetricFamilies& out, const WanSecureStatsView& v) {
  const WanSecureTotals& t = v.totals;
  addMetric(out, "bridgehead_wan_secure_running", MetricType::Gauge,
            "WAN secure can secure peer legs (1), or not (0: see show statistics wan-secure).",
            v.available ? 1 : 0);
  addMetric(out, "bridgehead_wan_secure_handshakes_total", MetricType::Counter,
            "Peer-leg TLS handshakes completed, full or resumed.", d(t.done));
  addMetric(out, "bridgehead_wan_secure_handshakes_resumed_total", MetricType::Counter,
            "Of those, resumed with a ticket.", d(t.resumed));
  accel::MetricFamily failed{"bridgehead_wan_secure_handshakes_failed_total",
                             "Peer-leg TLS failures, by reason (secure::TlsFailure's names).",
                             MetricType::Counter,
                             {}};
  for (const auto& [reason, n] : t.failedBy) {
    failed.samples.push_back({{{"reason", reason}}, d(n), 0});
  }
  out.push_back(std::move(failed));
  out.push_back({"bridgehead_wan_secure_early_data_total",
                 "Legs that offered 0-RTT early data: accepted, or rejected (and sent again).",
                 MetricType::Counter,
                 {{{{"result", "accepted"}}, d(t.earlyAccepted), 0},
                  {{{"result", "rejected"}}, d(t.earlyRejected), 0}}});
  addMetric(out, "bridgehead_wan_secure_handed_off_total", MetricType::Counter,
            "Flows that went on without WAN secure after a failure.", d(t.handedOff));
  addMetric(out, "bridgehead_wan_secure_sealed_bytes_total", MetricType::Counter,
            "Plaintext bytes sealed into TLS records (live flows included).", d(t.bytesSealed));
  addMetric(out, "bridgehead_wan_secure_opened_bytes_total", MetricType::Counter,
            "Plaintext bytes opened from TLS records (live flows included).", d(t.bytesOpened));
}

void addPeerRouteMetrics(accel::MetricFamilies& out, const PeerRoutesView& v) {
  addMetric(out, "bridgehead_peer_routes_initial_window_segments", MetricType::Gauge,
            "Initial window of peer legs in segments (0: no peer routes).",
            d(v.initialWindowSegments));
  addMetric(out, "bridgehead_peer_routes", MetricType::Gauge, "Peer routes installed now.",
            d(v.routes));
  addMetric(out, "bridgehead_peer_routes_installed_total", MetricType::Counter,
            "Peer routes installed.", d(v.counters.installed));
  addMetric(out, "bridgehead_peer_routes_refreshed_total", MetricType::Counter,
            "Peer routes refreshed.", d(v.counters.refreshed));
  addMetric(out, "bridgehead_peer_routes_evicted_total", MetricType::Counter,
            "Peer routes evicted (cap).", d(v.counters.evicted));
  addMetric(out, "bridgehead_peer_routes_failed_total", MetricType::Counter,
            "Peer routes the kernel refused.", d(v.counters.failed));
}

void addDeviceMetrics(accel::MetricFamilies& out, const DeviceView& dv) {
  out.push_back({"bridgehead_info",
                 "This box: its device id and role (always 1).",
                 MetricType::Gauge,
                 {{{{"device_id", dv.deviceId}, {"role", dv.role}}, 1, 0}}});
  addMetric(out, "bridgehead_flows", MetricType::Gauge, "Flows the box holds now.", d(dv.flows));
  addMetric(out, "bridgehead_policy_generation", MetricType::Gauge,
            "The running policy's generation (1 at start, +1 per accepted reload).",
            d(dv.policyGeneration));
}

}  // namespace bh::proxy::metrics
