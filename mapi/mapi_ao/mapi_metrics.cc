#include "mapi/mapi_ao/mapi_metrics.h"

namespace bh::mapi::mapi_ao {

namespace {

using accel::MetricFamilies;
using accel::MetricType;

double d(uint64_t v) {
  return static_cast<double>(v);
}

/// NAME (summary: _sum, _count), NAME_min and NAME_max (gauges; 0 without samples, as the
/// show command prints them); `scale` turns the recorded unit into the name's.
void addSummary(MetricFamilies& out, const std::string& stem, const std::string& unit,
                const std::string& what, const Summary& s, double scale) {
  out.push_back({"bridgehead_mapi_" + stem + "_" + unit,
                 "MAPI: " + what + " (" + unit + ").",
                 MetricType::Summary,
                 {{{}, d(s.total) * scale, s.count}}});
  accel::addMetric(out, "bridgehead_mapi_" + stem + "_min_" + unit, MetricType::Gauge,
                   "MAPI: Minimum " + what + " (" + unit + ").", d(s.min) * scale);
  accel::addMetric(out, "bridgehead_mapi_" + stem + "_max_" + unit, MetricType::Gauge,
                   "MAPI: Maximum " + what + " (" + unit + ").", d(s.max) * scale);
}

}  // namespace

MetricFamilies mapiMetrics(const MapiGlobalStats& s) {
  MetricFamilies out;
  auto add = [&out](const char* name, MetricType type, const char* help, uint64_t v) {
    accel::addMetric(out, name, type, help, d(v));
  };
  add("bridgehead_mapi_start_time_seconds", MetricType::Gauge,
      "MAPI: Time Accelerator was started (Unix time).", s.startedUnix);
  add("bridgehead_mapi_statistics_reset_time_seconds", MetricType::Gauge,
      "MAPI: Time Statistics were Last Reset/Cleared (Unix time).", s.lastResetUnix);
  add("bridgehead_mapi_handled_connections_total", MetricType::Counter,
      "MAPI: Total Handled Connections.", s.totalHandledConnections);
  add("bridgehead_mapi_optimized_connections_total", MetricType::Counter,
      "MAPI: Total Optimized Connections.", s.totalOptimizedConnections);
  add("bridgehead_mapi_handed_off_connections_total", MetricType::Counter,
      "MAPI: Total Connections Handed-off with Compression Policies Unchanged.",
      s.totalHandedOffConnections);
  add("bridgehead_mapi_dropped_connections_total", MetricType::Counter,
      "MAPI: Total Dropped Connections.", s.totalDroppedConnections);
  add("bridgehead_mapi_active_connections", MetricType::Gauge, "MAPI: Current Active Connections.",
      s.currentActiveConnections);
  add("bridgehead_mapi_pending_connections", MetricType::Gauge,
      "MAPI: Current Pending Connections.", s.currentPendingConnections);
  add("bridgehead_mapi_max_active_connections", MetricType::Gauge,
      "MAPI: Maximum Active Connections.", s.maximumActiveConnections);
  addSummary(out, "synch_get_buffer", "bytes", "Synch Get Buffer Size", s.synchGetBuffer, 1);
  addSummary(out, "read_stream", "bytes", "Read Stream Buffer Size", s.readStream, 1);
  addSummary(out, "read_ahead_accumulated", "bytes", "Accumulated Read Ahead Data Size",
             s.readAheadAccumulated, 1);
  addSummary(out, "local_response", "seconds", "Local Response Time", s.localResponseUsec, 1e-6);
  addSummary(out, "remote_response", "seconds", "Remote Response Time", s.remoteResponseUsec, 1e-6);
  out.push_back({"bridgehead_mapi_accelerated_sessions",
                 "MAPI: Current Accelerated Sessions by client generation (2000, 2003, 2007, "
                 "higher-than-2007).",
                 MetricType::Gauge,
                 {{{{"client", "2000"}}, d(s.current2000Sessions), 0},
                  {{{"client", "2003"}}, d(s.current2003Sessions), 0},
                  {{{"client", "2007"}}, d(s.current2007Sessions), 0},
                  {{{"client", "higher-than-2007"}}, d(s.higherThan2007Sessions), 0}}});
  add("bridgehead_mapi_lower_than_2000_sessions_total", MetricType::Counter,
      "MAPI: Lower than 2000 Sessions (never accelerated).", s.lowerThan2000Sessions);
  add("bridgehead_mapi_secured_connections_total", MetricType::Counter,
      "MAPI: Secured Connections (the client asked for signing or sealing).", s.securedConnections);
  accel::MetricFamily reasons{"bridgehead_mapi_hand_offs_total",
                              "MAPI: connections handed off to the generic accelerator, by "
                              "reason.",
                              MetricType::Counter,
                              {}};
  for (size_t i = 0; i < kHandOffReasonCount; ++i) {
    reasons.samples.push_back({{{"reason", handOffReasonName(static_cast<HandOffReason>(i))}},
                               d(s.handedOffByReason[i]),
                               0});
  }
  out.push_back(std::move(reasons));
  add("bridgehead_mapi_read_ahead_served_locally_bytes_total", MetricType::Counter,
      "MAPI: read-ahead data handed to clients without a WAN round trip.",
      s.readAheadBytesServedLocally);
  add("bridgehead_mapi_write_optimized_bytes_total", MetricType::Counter,
      "MAPI: write data acknowledged locally and sent on behind the client.",
      s.writeOptimizedBytes);
  add("bridgehead_mapi_escaped_connections_total", MetricType::Counter,
      "MAPI: connections of an accelerated association group the accelerator did not get.",
      s.escapedConnections);
  add("bridgehead_mapi_write_window_waits_total", MetricType::Counter,
      "MAPI: writes held until the server confirmed earlier ones (write window full).",
      s.writeWindowWaits);
  add("bridgehead_mapi_group_write_waits_total", MetricType::Counter,
      "MAPI: calls held until writes on another connection of their session were confirmed.",
      s.groupWriteWaits);
  add("bridgehead_mapi_read_aheads_ended_by_release_total", MetricType::Counter,
      "MAPI: read-aheads ended because the client released their object.",
      s.readAheadsEndedByRelease);
  add("bridgehead_mapi_secured_accelerated_total", MetricType::Counter,
      "MAPI: secured (Kerberos-sealed) connections opened and accelerated (eMAPI).",
      s.securedAccelerated);
  add("bridgehead_mapi_protected_pdus_opened_total", MetricType::Counter,
      "MAPI: protected PDUs opened (unwrapped) by eMAPI.", s.protectedPdusOpened);
  add("bridgehead_mapi_protected_pdus_sealed_total", MetricType::Counter,
      "MAPI: PDUs sealed again by eMAPI with this box's numbering.", s.protectedPdusSealed);
  add("bridgehead_mapi_verbatim_pdus_total", MetricType::Counter,
      "MAPI: protected PDUs that did not verify, relayed exactly as received.", s.verbatimPdus);
  add("bridgehead_mapi_verbatim_resets_total", MetricType::Counter,
      "MAPI: connections reset on a PDU that did not verify after renumbering began.",
      s.verbatimResets);
  return out;
}

}  // namespace bh::mapi::mapi_ao
