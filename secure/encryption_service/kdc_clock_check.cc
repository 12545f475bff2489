#include "secure/encryption_service/kdc_clock_check.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "secure/kerberos/kdc_clock.h"
#include "secure/kerberos/kdc_tcp_framing.h"

namespace bh::secure::encryption_service {

namespace {

namespace krb = secure::kerberos;

/// A KRB-ERROR is a few hundred bytes; kdcTimeFromReply reads at most this much.
constexpr size_t kMaxKdcReply = 64 * 1024;

std::string seconds3(int64_t us) {
  char b[32];
  std::snprintf(b, sizeof(b), "%+.3f", static_cast<double>(us) / 1e6);
  return b;
}

/// "dc1.example.com (10.0.0.1)", or the name alone when the locator gave no address of its own.
std::string kdcName(const DomainController& dc) {
  return dc.address == dc.fqdn ? dc.fqdn : dc.fqdn + " (" + dc.address + ")";
}

}  // namespace

int64_t systemClockUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Outcome<KdcClockReading> readKdcClock(RpcTransport& transport, const std::string& address,
                                      const std::string& principal, const WallClockUs& now) {
  using Result = Outcome<KdcClockReading>;
  auto request = krb::kdcClockProbeRequest(principal);
  if (!request) {
    return Result::failure(request.error());
  }
  std::string why;
  if (!transport.connect(address, kKdcPort, why)) {
    return Result::failure("connect: " + why);
  }
  int64_t sent = now();
  Bytes in;
  krb::KdcTcpFramer framer(kMaxKdcReply);
  // The 4-byte length first: the framer refuses one over the cap before the rest is read.
  bool ok =
      transport.send(krb::frameKdcMessage(request.value()), why) && transport.receive(4, in, why);
  ParseResult r = ok ? framer.feed(in) : ParseResult::fail(why);
  if (ok && r.status == ParseStatus::NeedMore) {
    in.clear();
    ok = transport.receive(r.needed - 4, in, why);
    r = ok ? framer.feed(in) : ParseResult::fail(why);
  }
  int64_t received = now();
  transport.close();
  if (!ok || r.status == ParseStatus::Error || !framer.hasMessage()) {
    return Result::failure(!ok ? why : r.error.empty() ? "empty reply" : r.error);
  }
  auto time = krb::kdcTimeFromReply(framer.next());
  if (!time) {
    return Result::failure(time.error());
  }
  KdcClockReading reading;
  reading.offsetUs = krb::kdcClockOffsetUs(time.value(), sent, received);
  reading.roundTripUs = received - sent;
  reading.errorCode = time.value().errorCode;
  return Result::success(reading);
}

std::optional<RetrievalError> clockSkewFailure(const KdcClockReading& reading,
                                               const std::string& kdc) {
  // Rounded to the nearest second: the round trip's own uncertainty is far below that.
  int64_t s = std::llround(static_cast<double>(reading.offsetUs) / 1e6);
  if (std::llabs(reading.offsetUs) <= kMaxClockSkewSeconds * 1000000) {
    return std::nullopt;
  }
  RetrievalError e;
  e.kind = RetrievalFailure::ClockSkew;
  e.clockOffsetSeconds = s;
  e.detail = "KDC " + kdc + " measured " + seconds3(reading.offsetUs) + " s, allowed +/-" +
             std::to_string(kMaxClockSkewSeconds) + " s";
  return e;
}

std::optional<RetrievalError> checkKdcClock(const RetrievalJob& job, const DomainController& dc,
                                            RpcTransport& transport,
                                            std::vector<std::string>& steps,
                                            const WallClockUs& now) {
  std::string kdc = kdcName(dc);
  auto reading = readKdcClock(transport, dc.address, job.identity.clientPrincipal(), now);
  if (!reading) {
    steps.push_back("KDC clock of " + kdc + " not read: " + reading.error());
    return std::nullopt;
  }
  const KdcClockReading& r = reading.value();
  steps.push_back("KDC clock of " + kdc + ": offset " + seconds3(r.offsetUs) +
                  " s (KDC minus this box), round trip " + std::to_string(r.roundTripUs / 1000) +
                  " ms, from its " + krb::kerberosErrorName(r.errorCode));
  return clockSkewFailure(r, kdc);
}

void measureRefusedSkew(const RetrievalJob& job, DcLocator& locator, RpcTransport& transport,
                        std::vector<std::string>& steps, RetrievalError& error,
                        const WallClockUs& now) {
  std::string why;
  auto dcs = locator.locate(job.domain, job.domainControllers, why);
  if (dcs.empty()) {
    steps.push_back("KDC clock not read: no domain controller of " + job.domain + " found: " + why);
    return;
  }
  const DomainController& dc = dcs.front();
  std::string kdc = kdcName(dc);
  auto reading = readKdcClock(transport, dc.address, job.identity.clientPrincipal(), now);
  if (!reading) {
    steps.push_back("KDC clock of " + kdc + " not read: " + reading.error());
    return;
  }
  int64_t us = reading.value().offsetUs;
  error.clockOffsetSeconds = std::llround(static_cast<double>(us) / 1e6);
  error.detail += "; KDC " + kdc + " measured " + seconds3(us) + " s";
}

}  // namespace bh::secure::encryption_service
