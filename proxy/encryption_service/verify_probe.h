#pragma once

// The probes of `accelerator mapi verify encryption-settings` that the seed's Step 3 leaves to be
// done by hand: DNS resolution of each Exchange server and of each domain's DCs (the configured
// ones, else the _ldap._tcp.dc._msdcs SRV records, as the retrieval finds them: dc_locator.h),
// the clock offset to each KDC (an AS-REQ without pre-authentication, the KDC's time read from
// its KRB-ERROR: secure/kerberos/kdc_clock.h), and the kernel's NTP state (adjtimex). Blocking,
// so it runs on libuv's thread pool (uv_queue_work) and reports on the loop; every network step
// is bounded by the request's timeout.

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "accel/verify_encryption_settings.h"

namespace bh::proxy {

struct VerifyProbeRequest {
  std::vector<std::string> exchangeFqdns;
  struct Domain {
    std::string domain;
    std::vector<std::string> configuredDcs;  ///< the identity's domain_controllers
    /// The identity's principal with its realm: the AS-REQ asks for it (no secret is sent).
    std::string principal;
  };
  std::vector<Domain> domains;
  /// Each KDC's connect and answer together (ms).
  uint32_t kdcTimeoutMs = 5000;
};

struct VerifyProbeResult {
  std::vector<accel::DnsFacts> dns;
  std::vector<accel::KdcClockFacts> kdcs;
  accel::NtpFacts ntp;
};

/// Runs the probes (blocking; a worker thread).
VerifyProbeResult runVerifyProbe(const VerifyProbeRequest& request);

/// Runs them on `loop`'s thread pool; `done` is called on the loop's thread.
void startVerifyProbe(uv_loop_t* loop, VerifyProbeRequest request,
                      std::function<void(VerifyProbeResult)> done);

/// The kernel's view of the clock's synchronization, and the time daemons running.
accel::NtpFacts readNtpState();

}  // namespace bh::proxy
