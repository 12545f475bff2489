#pragma once
// The KDC's clock, read cheaply (issue 17, the seed's Problem 2: a clock skew must be named with
// the measured offset, not only "get_subkey failed"). An AS-REQ for a principal without
// pre-authentication data is answered by a KRB-ERROR (KDC_ERR_PREAUTH_REQUIRED, or
// KDC_ERR_C_PRINCIPAL_UNKNOWN) whose stime and susec are the KDC's own time (RFC 4120 5.9.1), at
// the cost of one round trip and no secret. MIT krb5 makes the request and decodes the reply.

#include <cstdint>
#include <string>

#include "common/bytes.h"
#include "secure/outcome.h"

namespace bh::secure::kerberos {

/// An AS-REQ for `principal` (e.g. "bridgehead@EXAMPLE.COM") as MIT krb5 first sends it.
Outcome<Bytes> kdcClockProbeRequest(const std::string& principal);

/// What a KRB-ERROR says of the KDC.
struct KdcErrorTime {
  int64_t kdcTimeUs = 0;  ///< stime * 1e6 + susec: the KDC's clock when it answered
  int32_t errorCode = 0;  ///< RFC 4120 7.5.9 (25 = KDC_ERR_PREAUTH_REQUIRED, 37 = KRB_AP_ERR_SKEW)
  std::string realm;      ///< the realm the KDC answered for
};

/// The KDC's time from its reply (a KRB-ERROR), or why not (not a KRB-ERROR, garbage, too long).
Outcome<KdcErrorTime> kdcTimeFromReply(ByteSpan reply);

/// The KDC's clock minus ours, in microseconds, for a request sent at `sentUs` and answered at
/// `receivedUs` (both our clock): the answer is taken to come from the middle of the round trip.
int64_t kdcClockOffsetUs(const KdcErrorTime& reply, int64_t sentUs, int64_t receivedUs);

/// A Kerberos error code's name ("KDC_ERR_PREAUTH_REQUIRED"), or its number.
std::string kerberosErrorName(int32_t code);

}  // namespace bh::secure::kerberos
