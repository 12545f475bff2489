#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bh::proxy::codec {

/// Optimization bits, as carried in the discovery option and the HELLO (the seed's
/// "TCP_OPTIMIZE + DRE + LZ").
namespace PolicyBits {
constexpr uint8_t TcpOptimize = 0x1;  ///< TFO: the flow is proxied and peered at all
constexpr uint8_t Dre = 0x2;          ///< data redundancy elimination
constexpr uint8_t Lz = 0x4;           ///< LZ compression
constexpr uint8_t All = TcpOptimize | Dre | Lz;
}  // namespace PolicyBits

/// Drops bits this version does not know, and everything if TCP_OPTIMIZE is missing: DRE and LZ
/// only exist on an optimized (peered) flow, so "DRE without TFO" means pass-through.
uint8_t normalizePolicy(uint8_t bits);

/// "TCP_OPTIMIZE + DRE + LZ" style name; "PASS_THROUGH" for no bits; unknown bits are shown as
/// hex ("TCP_OPTIMIZE + 0x80") so a newer peer's request is visible in show output.
std::string policyName(uint8_t bits);

/// The policy lines of the seed's `show statistics connection ... detail`.
struct PolicyDetails {
  uint8_t configured = 0;  ///< what the local policy map says
  uint8_t derived = 0;     ///< configured, as this box can honour it now (licence, overload, ...)
  uint8_t peer = 0;        ///< what the other side asked for / derived
  uint8_t negotiated = 0;  ///< what both sides allow
  uint8_t applied = 0;     ///< what the flow really runs with
  bool operator==(const PolicyDetails&) const = default;
};

/// Negotiation: both sides must allow a feature for it to be used (bitwise AND of the
/// normalized derived and peer policies); applied is the negotiated set further limited by
/// `localLimits` (e.g. DRE cache offline), normalized again.
PolicyDetails negotiate(uint8_t configuredLocal, uint8_t derivedLocal, uint8_t peerPolicy,
                        uint8_t localLimits = PolicyBits::All);

/// The application accelerator a flow wants or got (the seed's "Accelerator Details").
enum class Accelerator : uint8_t { None = 0, Mapi = 1, Epm = 2 };

/// "None" / "MAPI" / "EPM"; "Unknown" for anything else.
std::string_view acceleratorName(Accelerator accelerator);
bool isKnownAccelerator(uint8_t value);

}  // namespace bh::proxy::codec
