#include "proxy/codec/optimization_policy.h"

#include <doctest/doctest.h>

namespace bh::proxy::codec {
namespace {

TEST_CASE("policyName spells the seed's policy lines") {
  CHECK(policyName(PolicyBits::All) == "TCP_OPTIMIZE + DRE + LZ");
  CHECK(policyName(PolicyBits::TcpOptimize) == "TCP_OPTIMIZE");
  CHECK(policyName(PolicyBits::TcpOptimize | PolicyBits::Lz) == "TCP_OPTIMIZE + LZ");
  CHECK(policyName(0) == "PASS_THROUGH");
  CHECK(policyName(PolicyBits::TcpOptimize | 0x80) == "TCP_OPTIMIZE + 0x80");
}

TEST_CASE("negotiate: both sides must allow a feature") {
  const PolicyDetails full = negotiate(7, 7, 7);
  CHECK(full == PolicyDetails{7, 7, 7, 7, 7});
  const PolicyDetails noDre = negotiate(7, 7, PolicyBits::TcpOptimize | PolicyBits::Lz);
  CHECK(noDre.negotiated == (PolicyBits::TcpOptimize | PolicyBits::Lz));
  CHECK(noDre.applied == noDre.negotiated);
  CHECK(noDre.peer == 5);
  // Derived below configured (e.g. DRE disabled locally) limits the negotiation.
  const PolicyDetails derived = negotiate(7, PolicyBits::TcpOptimize, 7);
  CHECK(derived.configured == 7);
  CHECK(derived.negotiated == PolicyBits::TcpOptimize);
}

TEST_CASE("negotiate: local limits cut applied, not negotiated") {
  const PolicyDetails d = negotiate(7, 7, 7, PolicyBits::TcpOptimize | PolicyBits::Lz);
  CHECK(d.negotiated == 7);
  CHECK(d.applied == 5);
}

TEST_CASE("negotiate: without TCP_OPTIMIZE on either side the flow passes through") {
  CHECK(negotiate(7, 7, PolicyBits::Dre | PolicyBits::Lz).negotiated == 0);
  CHECK(negotiate(7, PolicyBits::Dre, 7).negotiated == 0);
  CHECK(negotiate(7, 7, 7, PolicyBits::Dre).applied == 0);
  // Unknown bits from a newer peer are ignored, not negotiated.
  CHECK(negotiate(0xff, 0xff, 0xff).negotiated == PolicyBits::All);
  CHECK(normalizePolicy(0xf9) == 1);
}

TEST_CASE("accelerator names") {
  CHECK(acceleratorName(Accelerator::Mapi) == "MAPI");
  CHECK(acceleratorName(Accelerator::Epm) == "EPM");
  CHECK(acceleratorName(Accelerator::None) == "None");
  CHECK(acceleratorName(static_cast<Accelerator>(9)) == "Unknown");
  CHECK(isKnownAccelerator(2));
  CHECK(!isKnownAccelerator(3));
}

}  // namespace
}  // namespace bh::proxy::codec
