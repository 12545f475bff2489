// The box's Prometheus listener (config metrics.listen): a scrape renders the box's and its
// accelerators' `show statistics` figures from the same data the show commands take.

#include "accel/metrics_exposition.h"
#include "policy/listen_address.h"
#include "proxy/daemon.h"
#include "proxy/log.h"
#include "proxy/metrics/box_metrics.h"
#include "proxy/metrics/metrics_server.h"

namespace bh::proxy {

std::string Daemon::metricsText() {
  accel::MetricFamilies out;
  auto flows = flows_.flowInfos();
  uint64_t buffered = 0;
  for (const auto& f : flows) {
    buffered += f.bufferedBytes;
  }
  metrics::addDeviceMetrics(out, {deviceId_.toString(), policy::roleName(role_), flows_.size(),
                                  policy_.current()->generation()});
  metrics::addConnectionMetrics(
      out, countFlows(flows, flows_.historicalFlows(), flows_.limiterCounters()), buffered,
      flows_.limiterCounters());
  metrics::addDreMetrics(out, {generic_.cacheEpoch(), flows_.totals(), generic_.ledgers()});
  metrics::addMemoryMetrics(out, flows_.memoryBudget());
  if (nfqueue_) {
    metrics::addDiscoveryMetrics(out, nfqueue_->counters());
  }
  metrics::addPeerRouteMetrics(out, peerRoutesView());
  {
    WanSecureStatsView ws;
    ws.available = wanSecure_.available();
    ws.totals = wanSecure_.stats().totals();
    auto [sealed, opened] = flows_.liveSecureBytes();
    ws.totals.bytesSealed += sealed;
    ws.totals.bytesOpened += opened;
    metrics::addWanSecureMetrics(out, ws);
  }
  for (const auto& [which, p] : flows_.accelerators()) {
    for (auto& f : p.accelerator->metrics()) {
      out.push_back(std::move(f));
    }
  }
  return accel::renderExposition(out);
}

bool Daemon::startMetrics() {
  const auto& m = policy_.current()->config().metrics;
  if (m.listen.empty()) {
    return true;
  }
  metrics::MetricsServer::Settings s;
  if (!policy::parseListenAddress(m.listen, s.address, s.port)) {
    logError("metrics.listen '" + m.listen + "' is not ADDRESS:PORT");
    return false;
  }
  metrics_ = std::make_unique<metrics::MetricsServer>(&loop_, s, [this] { return metricsText(); });
  if (int r = metrics_->start(); r != 0) {
    logError("cannot open the metrics listener " + m.listen + ": " + uv_strerror(r));
    metrics_.reset();
    return false;
  }
  logInfo("metrics on http://" + m.listen + "/metrics");
  return true;
}

}  // namespace bh::proxy
