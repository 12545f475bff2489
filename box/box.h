#pragma once

// The box: the proxy daemon with the application accelerators plugged in. It translates the
// policy into each accelerator's own config (at start and after every reload) and gives the
// EPM AO the dynamic rule table; it owns the accelerators, which outlive the daemon's loop.

#include "box/epm_dynamic_rules.h"
#include "box/limiter_admission.h"
#include "mapi/epm_ao/epm_flow_accelerator.h"
#include "mapi/mapi_ao/mapi_accelerator.h"
#include "proxy/daemon.h"
#include "proxy/encryption_service/emapi_key_source.h"
#include "secure/emapi/kerberos_protection_provider.h"
#include "secure/emapi/krb5_crypto.h"

namespace bh::box {

/// The MAPI AO's config from the box's policy (accelerators.mapi.*).
mapi::mapi_ao::MapiAcceleratorConfig mapiConfig(const policy::Config& config);

class Box {
 public:
  Box(proxy::DaemonOptions options, policy::PolicyPtr policy);

  /// Runs until SIGTERM/SIGINT (proxy::Daemon::run).
  int run() { return daemon_.run(); }
  int removeRules() { return daemon_.removeRules(); }
  /// The control socket's command table: the box's rows and its accelerators'.
  const proxy::CommandTable& commands() const { return daemon_.commands(); }

 private:
  void applyPolicy(const policy::Policy& policy);

  // Declared first: destroyed last, after the accelerators its flows used.
  proxy::Daemon daemon_;
  LimiterAdmission mapiAdmission_;
  // eMAPI (issue 18): the core opens sealed binds with the encryption service's keys; the edge
  // imports what the core sends. Declared before the accelerator whose flows use them.
  secure::emapi::Krb5Crypto krb5_;
  proxy::EmapiKeySource emapiKeys_;
  secure::emapi::KerberosProtectionProvider emapi_;
  mapi::mapi_ao::MapiAccelerator mapi_;
  mapi::epm_ao::EpmFlowAccelerator epm_;
};

}  // namespace bh::box
