#include "mapi/emsmdb/ec_do_connect_ex.h"

#include "mapi/emsmdb/stub_result.h"

namespace bh::mapi::emsmdb {

namespace {

void readVersion(ByteReader& r, std::array<uint16_t, 3>& v) {
  r.align(2);
  for (auto& w : v) {
    w = r.u16();
  }
}

void writeVersion(ByteWriter& w, const std::array<uint16_t, 3>& v) {
  w.align(2);
  for (uint16_t x : v) {
    w.u16(x);
  }
}

// [out, string] unsigned char**: the outer [ref] pointer has no wire form, the inner unique
// pointer is a referent id followed (top-level, so not deferred) by the string.
bool readUniqueString(ByteReader& r, bool& present, uint32_t& referent, ndr::AnsiString& s,
                      uint32_t cap, bool& bad) {
  r.align(4);
  referent = r.u32();
  present = referent != 0;
  if (!r.ok() || !present) {
    s = {};
    return r.ok();
  }
  return ndr::readAnsiString(r, s, cap, bad);
}

void writeUniqueString(ByteWriter& w, bool present, uint32_t referent, const ndr::AnsiString& s) {
  w.align(4);
  w.u32(present ? (referent == 0 ? 0x00020000 : referent) : 0);
  if (present) {
    ndr::writeAnsiString(w, s);
  }
}

}  // namespace

ParseResult decodeEcDoConnectExRequest(ByteSpan stub, EcDoConnectExRequest& out,
                                       const StubLimits& limits) {
  ByteReader r(stub);
  bool bad = false;
  out = {};
  // szUserDN is a top-level [in, string] pointer: [ref], so no referent id (C706 14.3.10).
  ndr::readAnsiString(r, out.szUserDN, limits.maxUserDn, bad);
  r.align(4);
  out.ulFlags = r.u32();
  out.ulConMod = r.u32();
  out.cbLimit = r.u32();
  out.ulCpid = r.u32();
  out.ulLcidString = r.u32();
  out.ulLcidSort = r.u32();
  out.ulIcxrLink = r.u32();
  out.usFCanConvertCodePages = r.u16();
  readVersion(r, out.rgwClientVersion);
  r.align(4);
  out.pulTimeStamp = r.u32();
  ndr::readConformantBytes(r, out.rgbAuxIn, limits.maxAuxBuffer, bad);
  r.align(4);
  uint32_t cbAuxIn = r.u32();
  out.pcbAuxOut = r.u32();
  if (r.ok() && cbAuxIn != out.rgbAuxIn.size()) {
    bad = true;  // size_is(cbAuxIn) must agree with the array's MaxCount
  }
  if (r.ok() && out.pcbAuxOut > limits.maxAuxBuffer) {
    bad = true;
  }
  return stubResult(r, bad, stub.size(), "EcDoConnectEx request: malformed stub");
}

Bytes encodeEcDoConnectExRequest(const EcDoConnectExRequest& in) {
  Bytes out;
  ByteWriter w(out);
  ndr::writeAnsiString(w, in.szUserDN);
  w.align(4);
  w.u32(in.ulFlags);
  w.u32(in.ulConMod);
  w.u32(in.cbLimit);
  w.u32(in.ulCpid);
  w.u32(in.ulLcidString);
  w.u32(in.ulLcidSort);
  w.u32(in.ulIcxrLink);
  w.u16(in.usFCanConvertCodePages);
  writeVersion(w, in.rgwClientVersion);
  w.align(4);
  w.u32(in.pulTimeStamp);
  ndr::writeConformantBytes(w, in.rgbAuxIn);
  w.align(4);
  w.u32(static_cast<uint32_t>(in.rgbAuxIn.size()));
  w.u32(in.pcbAuxOut);
  return out;
}

ParseResult decodeEcDoConnectExResponse(ByteSpan stub, EcDoConnectExResponse& out,
                                        const StubLimits& limits) {
  ByteReader r(stub);
  bool bad = false;
  out = {};
  out.pcxh.read(r);
  out.pcmsPollsMax = r.u32();
  out.pcRetry = r.u32();
  out.pcmsRetryDelay = r.u32();
  out.picxr = r.u16();
  readUniqueString(r, out.hasDNPrefix, out.dnPrefixReferent, out.szDNPrefix, limits.maxUserDn, bad);
  readUniqueString(r, out.hasDisplayName, out.displayNameReferent, out.szDisplayName,
                   limits.maxUserDn, bad);
  readVersion(r, out.rgwServerVersion);
  readVersion(r, out.rgwBestVersion);
  r.align(4);
  out.pulTimeStamp = r.u32();
  ndr::readVaryingBytes(r, out.auxOutHeader, out.rgbAuxOut, limits.maxAuxBuffer, bad);
  r.align(4);
  out.pcbAuxOut = r.u32();
  out.returnValue = r.u32();
  if (r.ok() && out.pcbAuxOut != out.rgbAuxOut.size()) {
    bad = true;  // length_is(*pcbAuxOut)
  }
  return stubResult(r, bad, stub.size(), "EcDoConnectEx response: malformed stub");
}

Bytes encodeEcDoConnectExResponse(const EcDoConnectExResponse& in) {
  Bytes out;
  ByteWriter w(out);
  in.pcxh.write(w);
  w.u32(in.pcmsPollsMax);
  w.u32(in.pcRetry);
  w.u32(in.pcmsRetryDelay);
  w.u16(in.picxr);
  writeUniqueString(w, in.hasDNPrefix, in.dnPrefixReferent, in.szDNPrefix);
  writeUniqueString(w, in.hasDisplayName, in.displayNameReferent, in.szDisplayName);
  writeVersion(w, in.rgwServerVersion);
  writeVersion(w, in.rgwBestVersion);
  w.align(4);
  w.u32(in.pulTimeStamp);
  ndr::writeVaryingBytes(w, in.auxOutHeader, in.rgbAuxOut);
  w.align(4);
  w.u32(static_cast<uint32_t>(in.rgbAuxOut.size()));
  w.u32(in.returnValue);
  return out;
}

}  // namespace bh::mapi::emsmdb
