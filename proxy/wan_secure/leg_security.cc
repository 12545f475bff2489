#include "proxy/wan_secure/leg_security.h"

#include "proxy/codec/discovery_option.h"

namespace bh::proxy {

namespace {

using policy::WanSecureMode;
namespace Flags = codec::DiscoveryFlags;

LegSecurityDecision clear(std::string why) {
  return {LegSecurity::Clear, std::move(why)};
}

LegSecurityDecision mismatch(std::string why) {
  return {LegSecurity::Mismatch, std::move(why)};
}

}  // namespace

uint8_t edgeSynFlags(WanSecureMode edgeMode) {
  switch (edgeMode) {
    case WanSecureMode::Never:
      return 0;
    case WanSecureMode::Auto:
      return Flags::Secure | Flags::Auto;
    case WanSecureMode::Always:
      return Flags::Secure;
  }
  return 0;
}

uint8_t edgeSynFlagsAfterFailure() {
  return Flags::Auto;
}

WanSecureMode edgeModeOf(uint8_t synFlags) {
  if ((synFlags & Flags::Secure) == 0) {
    return WanSecureMode::Never;
  }
  return (synFlags & Flags::Auto) != 0 ? WanSecureMode::Auto : WanSecureMode::Always;
}

CoreAnswer answerEdge(uint8_t synFlags, WanSecureMode coreMode) {
  const WanSecureMode edge = edgeModeOf(synFlags);
  CoreAnswer a;
  switch (edge) {
    case WanSecureMode::Never:
      if (coreMode == WanSecureMode::Always) {
        a.flags = Flags::Answer | Flags::Secure;
        a.decision = mismatch("this core secures the class (always), the edge does not (never)");
      } else {
        a.flags = Flags::Answer;
        a.decision = clear((synFlags & Flags::Auto) != 0
                               ? "the edge carries this connection on without WAN secure: its "
                                 "handshake with this core failed (the reason is in both ends' "
                                 "show statistics wan-secure and logs)"
                               : "the edge's WAN secure mode for the class is never");
      }
      return a;
    case WanSecureMode::Always:
      if (coreMode == WanSecureMode::Never) {
        a.flags = Flags::Answer;
        a.decision =
            mismatch("this core does not secure the class (never), the edge does (always)");
      } else {
        a.flags = Flags::Answer | Flags::Secure;
        a.decision = {LegSecurity::Tls, ""};
      }
      return a;
    case WanSecureMode::Auto:
      switch (coreMode) {
        case WanSecureMode::Never:
          a.flags = Flags::Answer;
          a.decision = clear("this core's WAN secure mode for the class is never");
          return a;
        case WanSecureMode::Auto:
          a.flags = Flags::Answer | Flags::Secure;
          a.decision = {LegSecurity::PerFlow, ""};
          return a;
        case WanSecureMode::Always:
          a.flags = Flags::Secure;
          a.decision = {LegSecurity::Tls, ""};
          return a;
      }
  }
  return a;
}

LegSecurityDecision decideAtEdge(WanSecureMode edgeMode, uint8_t answerFlags) {
  const bool secure = (answerFlags & Flags::Secure) != 0;
  const bool answer = (answerFlags & Flags::Answer) != 0;
  switch (edgeMode) {
    case WanSecureMode::Never:
      if (secure) {
        return mismatch("this edge does not secure the class (never), the core does (always)");
      }
      return clear("this edge's WAN secure mode for the class is never");
    case WanSecureMode::Always:
      if (!secure) {
        return mismatch("this edge secures the class (always), the core does not (never)");
      }
      return {LegSecurity::Tls, ""};
    case WanSecureMode::Auto:
      if (!secure) {
        return clear("the core's WAN secure mode for the class is never");
      }
      if (!answer) {
        return {LegSecurity::Tls, ""};  // the core secures every leg of the class (always)
      }
      return {LegSecurity::PerFlow, ""};
  }
  return clear("unknown mode");
}

const char* legSecurityName(LegSecurity s) {
  switch (s) {
    case LegSecurity::Clear:
      return "clear";
    case LegSecurity::Tls:
      return "tls";
    case LegSecurity::PerFlow:
      return "per-flow";
    case LegSecurity::Mismatch:
      return "mode-mismatch";
  }
  return "clear";
}

}  // namespace bh::proxy
