#pragma once

// The seed's Problem 2 (a time skew between the core and the KDC it retrieves the key from),
// named with the offset measured, before a domain controller is asked for any key. One AS-REQ
// without pre-authentication to the DC's KDC (TCP 88; every AD DC is a KDC) is answered by a
// KRB-ERROR carrying the KDC's own time (secure/kerberos/kdc_clock.h): one round trip, nothing
// secret on the wire. A skew beyond the Kerberos tolerance fails the retrieval as clock-skew,
// even though MIT krb5 would have hidden it (libdefaults kdc_timesync, on by default, corrects
// the AS exchange from that same KRB-ERROR): why, in README.md ("Clock skew").

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "secure/encryption_service/replication_retrieval.h"
#include "secure/outcome.h"

namespace bh::secure::encryption_service {

/// The skew Kerberos allows (RFC 4120 1.7, MIT's and AD's default `clockskew`, 5 minutes): the
/// KDC refuses pre-authentication beyond it, and the core's own check of an authenticator
/// (krb5_rd_req, when eMAPI opens a client's ticket) refuses beyond it too.
constexpr int64_t kMaxClockSkewSeconds = 300;

/// The KDC's port (RFC 4120 7.2.3.2).
constexpr uint16_t kKdcPort = 88;

/// Our wall clock in microseconds since the epoch (the clock Kerberos timestamps use).
using WallClockUs = std::function<int64_t()>;
int64_t systemClockUs();

/// One reading of a KDC's clock.
struct KdcClockReading {
  int64_t offsetUs = 0;  ///< the KDC's clock minus ours (positive: the KDC is ahead)
  int64_t roundTripUs = 0;
  int32_t errorCode = 0;  ///< the KRB-ERROR that carried the time (25 = PREAUTH_REQUIRED)
};

/// Asks the KDC at `address` (port 88, over `transport`, which it leaves closed) for its time
/// with an AS-REQ for `principal`; the reply is read framed (RFC 4120 7.2.2) and capped at 64
/// KiB before it is buffered.
Outcome<KdcClockReading> readKdcClock(RpcTransport& transport, const std::string& address,
                                      const std::string& principal, const WallClockUs& now);

/// The failure for a reading beyond the tolerance (ClockSkew, its offset in whole seconds,
/// rounded, and the KDC in its detail), or nothing when within it.
std::optional<RetrievalError> clockSkewFailure(const KdcClockReading& reading,
                                               const std::string& kdc);

/// What key retrieval calls before each DC: reads the DC's KDC clock as `job`'s identity and
/// notes it in `steps` (the sr-errorlog). A skew beyond the tolerance is the failure returned;
/// a KDC that does not answer the probe is only noted (the retrieval itself will name it).
std::optional<RetrievalError> checkKdcClock(const RetrievalJob& job, const DomainController& dc,
                                            RpcTransport& transport,
                                            std::vector<std::string>& steps,
                                            const WallClockUs& now = systemClockUs);

/// A credential the KDC refused for skew (KRB_AP_ERR_SKEW: a site profile with
/// `kdc_timesync = 0`, so MIT did not correct it): the offset read from the domain's first DC
/// added to `error` (its clockOffsetSeconds and detail), whatever its size; unchanged when no DC
/// is found or its KDC does not answer (noted in `steps`).
void measureRefusedSkew(const RetrievalJob& job, DcLocator& locator, RpcTransport& transport,
                        std::vector<std::string>& steps, RetrievalError& error,
                        const WallClockUs& now = systemClockUs);

}  // namespace bh::secure::encryption_service
