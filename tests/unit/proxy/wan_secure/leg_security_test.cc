// How edge and core agree on WAN secure per leg: for every pair of modes, what the core answers
// is what the edge decides (the same outcome on both ends, so neither waits for what the other
// will not send), and the table of outcomes is the one proxy/wan_secure/README.md states.
#include "proxy/wan_secure/leg_security.h"

#include <doctest/doctest.h>

#include "proxy/codec/discovery_option.h"

using namespace bh::proxy;
using bh::policy::WanSecureMode;
namespace Flags = bh::proxy::codec::DiscoveryFlags;

namespace {

LegSecurity expected(WanSecureMode edge, WanSecureMode core) {
  using M = WanSecureMode;
  if ((edge == M::Never && core == M::Always) || (edge == M::Always && core == M::Never)) {
    return LegSecurity::Mismatch;
  }
  if (edge == M::Never || core == M::Never) {
    return LegSecurity::Clear;
  }
  if (edge == M::Auto && core == M::Auto) {
    return LegSecurity::PerFlow;
  }
  return LegSecurity::Tls;  // always with auto or always: the stricter end wins
}

}  // namespace

TEST_CASE("leg security: both ends reach the same outcome for every pair of modes") {
  const WanSecureMode modes[] = {WanSecureMode::Never, WanSecureMode::Auto, WanSecureMode::Always};
  for (WanSecureMode e : modes) {
    for (WanSecureMode c : modes) {
      CAPTURE(static_cast<int>(e));
      CAPTURE(static_cast<int>(c));
      const uint8_t syn = edgeSynFlags(e);
      CHECK(edgeModeOf(syn) == e);
      CoreAnswer a = answerEdge(syn, c);
      CHECK(a.flags <= Flags::All);
      LegSecurityDecision atEdge = decideAtEdge(e, a.flags);
      CHECK(a.decision.outcome == expected(e, c));
      CHECK(atEdge.outcome == expected(e, c));
      if (atEdge.outcome == LegSecurity::Clear || atEdge.outcome == LegSecurity::Mismatch) {
        CHECK_FALSE(atEdge.why.empty());
        CHECK_FALSE(a.decision.why.empty());
      }
    }
  }
}

TEST_CASE("leg security: answers to never/always edges keep the version 1 form") {
  // An edge that predates `auto` reads an answer by its Answer bit and its Secure bit alone.
  for (WanSecureMode c : {WanSecureMode::Never, WanSecureMode::Auto, WanSecureMode::Always}) {
    CHECK((answerEdge(edgeSynFlags(WanSecureMode::Never), c).flags & Flags::Answer) != 0);
    CHECK((answerEdge(edgeSynFlags(WanSecureMode::Always), c).flags & Flags::Answer) != 0);
  }
  // ...and a core before `auto` answers an `always` edge with Answer + Secure, a `never` one
  // with Answer alone: the edge in `auto` then reads the core as `always` / `never`.
  CHECK(decideAtEdge(WanSecureMode::Auto, Flags::Answer).outcome == LegSecurity::Clear);
  CHECK(decideAtEdge(WanSecureMode::Auto, Flags::Answer | Flags::Secure).outcome ==
        LegSecurity::PerFlow);
  CHECK(decideAtEdge(WanSecureMode::Auto, Flags::Secure).outcome == LegSecurity::Tls);
}

TEST_CASE("leg security: an edge SYN with only the Auto bit reads as never") {
  CHECK(edgeModeOf(Flags::Auto) == WanSecureMode::Never);
  CHECK(answerEdge(Flags::Auto, WanSecureMode::Auto).decision.outcome == LegSecurity::Clear);
}

TEST_CASE("leg security: the reasons name the end whose mode is never") {
  CHECK(decideAtEdge(WanSecureMode::Auto, Flags::Answer).why.find("core") != std::string::npos);
  CHECK(answerEdge(edgeSynFlags(WanSecureMode::Auto), WanSecureMode::Never)
            .decision.why.find("this core") != std::string::npos);
  CHECK(answerEdge(edgeSynFlags(WanSecureMode::Never), WanSecureMode::Auto)
            .decision.why.find("edge") != std::string::npos);
}

TEST_CASE("leg security: an edge carrying a connection on after a failed handshake is named so") {
  // FlowManager::rediscoverWithoutWanSecure: the core leaves the leg in clear as for `never`,
  // but its 132104 line must not blame a `never` mode the edge is not in.
  const uint8_t flags = edgeSynFlagsAfterFailure();
  CHECK(edgeModeOf(flags) == WanSecureMode::Never);
  for (WanSecureMode c : {WanSecureMode::Never, WanSecureMode::Auto}) {
    CoreAnswer a = answerEdge(flags, c);
    CHECK(a.decision.outcome == LegSecurity::Clear);
    CHECK(a.decision.why.find("handshake with this core failed") != std::string::npos);
    CHECK(a.decision.why.find("never") == std::string::npos);
    CHECK(a.flags == Flags::Answer);  // what a `never` edge is answered: it reads it as clear
  }
  CHECK(answerEdge(edgeSynFlags(WanSecureMode::Never), WanSecureMode::Auto)
            .decision.why.find("never") != std::string::npos);
}
