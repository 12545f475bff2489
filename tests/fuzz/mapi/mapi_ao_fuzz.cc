// Fuzz target: both halves of the MAPI AO, chained as on a real flow. The input is split into
// chunks at the separator 01 D5 CA 7A (as in dcerpc_fuzz.cc); the low two bits of a chunk's
// first byte pick where the rest goes: 0 client -> edge, 1 server -> core, 2 raw into the
// edge's record stream (a hostile core), 3 raw into the core's record stream (a hostile edge).
// What one half emits for the other is delivered to it, so read-ahead, cancels and hand-offs
// are reached from plain client and server bytes. With bit 2 of that byte set, the objects the
// client released last are then also released "from another connection of the group"
// (EdgeMapiAo::releaseObjects), as the daemon does. Bit 3 flips whether "another connection"
// has writes pending (MapiAoEvents::groupWritesPending); when it clears, held calls are retried
// (EdgeMapiAo::retryGroupHold). Every `debug accelerator mapi` category is on, so the
// debug descriptions (call_description.h) see every PDU and call too; each line must be
// printable text. Invariants: no crash, no unbounded buffering, and once a half asked for a
// reset nothing more is fed to it.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "mapi/mapi_ao/core_mapi_ao.h"
#include "mapi/mapi_ao/edge_mapi_ao.h"

using namespace bh;
using namespace bh::mapi::mapi_ao;

namespace {

constexpr uint8_t kSeparator[4] = {0x01, 0xd5, 0xca, 0x7a};

struct ReleaseRecorder : MapiAoEvents {
  Bytes contextHandle;
  std::vector<uint32_t> handles;
  void onObjectsReleased(ByteSpan cxh, const std::vector<uint32_t>& h) override {
    contextHandle.assign(cxh.begin(), cxh.end());
    handles = h;
  }
  bool otherWrites = false;
  bool groupWritesPending(ByteSpan, const std::vector<uint32_t>&) override { return otherWrites; }
  uint32_t debugMask() const override { return kMapiDebugAll; }
  void onDebug(MapiDebug, const std::string& line) override {
    for (char c : line) {
      if (c < 0x20 || c >= 0x7f) {
        std::abort();  // a debug line carried raw bytes
      }
    }
  }
};

struct Pair {
  ReleaseRecorder events;
  MapiAoConfig config;
  EdgeMapiAo edge{config, events};
  CoreMapiAo core{config, events};
  bool dead = false;

  void check() const {
    // Each half holds at most what its caps allow: a few calls, a window, a PDU per framer.
    const size_t cap = 64u << 20;
    if (edge.bufferedBytes() > cap || core.bufferedBytes() > cap) {
      std::abort();
    }
  }
  /// Carries records between the halves until neither has anything for the other.
  void settle(AoOutput edgeOut, AoOutput coreOut) {
    for (int rounds = 0; rounds < 64 && !dead; ++rounds) {
      if (edgeOut.reset || coreOut.reset) {
        dead = true;
        return;
      }
      if (edgeOut.toPeer.empty() && coreOut.toPeer.empty()) {
        return;
      }
      AoOutput nextCore, nextEdge;
      if (!edgeOut.toPeer.empty()) {
        core.onPeerData(edgeOut.toPeer, nextCore);
      }
      if (!coreOut.toPeer.empty()) {
        edge.onPeerData(coreOut.toPeer, nextEdge);
      }
      edgeOut = std::move(nextEdge);
      coreOut = std::move(nextCore);
      check();
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Pair p;
  size_t start = 0;
  while (start < size && !p.dead) {
    size_t end = start;
    while (end < size && !(end + 4 <= size && std::memcmp(data + end, kSeparator, 4) == 0)) {
      ++end;
    }
    if (end > start) {
      ByteSpan chunk(data + start + 1, end - start - 1);
      AoOutput e, c;
      switch (data[start] & 3) {
        case 0:
          p.edge.onClientData(chunk, e);
          break;
        case 1:
          p.core.onServerData(chunk, c);
          break;
        case 2:
          p.edge.onPeerData(chunk, e);
          break;
        default:
          p.core.onPeerData(chunk, c);
          break;
      }
      p.check();
      p.settle(std::move(e), std::move(c));
      if ((data[start] & 8) != 0 && !p.dead) {
        p.events.otherWrites = !p.events.otherWrites;
        if (!p.events.otherWrites) {
          AoOutput r;
          p.edge.retryGroupHold(r);
          p.check();
          p.settle(std::move(r), AoOutput{});
        }
      }
      if ((data[start] & 4) != 0 && !p.dead && !p.events.handles.empty()) {
        AoOutput r;
        p.edge.releaseObjects(p.events.contextHandle, p.events.handles, r);
        p.check();
        p.settle(std::move(r), AoOutput{});
      }
    }
    start = end + 4;
  }
  if (!p.dead) {
    AoOutput e, c;
    p.edge.onClientEof(e);
    p.core.onServerEof(c);
    p.settle(std::move(e), std::move(c));
  }
  return 0;
}
