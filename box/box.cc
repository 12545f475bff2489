#include "box/box.h"

namespace bh::box {

mapi::mapi_ao::MapiAcceleratorConfig mapiConfig(const policy::Config& config) {
  const auto& m = config.mapi;
  mapi::mapi_ao::MapiAcceleratorConfig c;
  c.enabled = m.enabled;
  c.ao.readAhead = m.readOptimization;
  c.ao.writeBehind = m.writeOptimization;
  c.ao.writeWindowBytes = m.readAheadBytes;  // the same WAN pipe to keep full, the other way
  c.ao.readAheadWindowBytes = m.readAheadBytes;
  return c;
}

Box::Box(proxy::DaemonOptions options, policy::PolicyPtr policy)
    : daemon_(std::move(options), policy),
      mapiAdmission_(mapiLimits(policy->config())),
      emapiKeys_(daemon_.encryptionService()),
      emapi_(krb5_, emapiKeys_),
      mapi_(daemon_.flows(), mapiAdmission_, mapiConfig(policy->config())),
      epm_(
          [this]() -> std::unique_ptr<mapi::epm_ao::EndpointSink> {
            return std::make_unique<EpmDynamicRules>(daemon_.policy(), daemon_.dynamicRules());
          },
          policy->config().epm.enabled) {
  // The order of `show accelerator`'s rows: epm, mapi (then the generic one).
  daemon_.registerAccelerator(policy::Accelerator::Epm, proxy::codec::Accelerator::Epm, epm_);
  if (krb5_.ok()) {
    mapi_.setProtectionProvider(&emapi_);
  }
  daemon_.registerAccelerator(policy::Accelerator::Mapi, proxy::codec::Accelerator::Mapi, mapi_);
  daemon_.onPolicyChanged([this](const policy::Policy& p) { applyPolicy(p); });
}

void Box::applyPolicy(const policy::Policy& policy) {
  mapiAdmission_.setLimits(mapiLimits(policy.config()));
  mapi_.setConfig(mapiConfig(policy.config()));
  epm_.setEnabled(policy.config().epm.enabled);
}

}  // namespace bh::box
