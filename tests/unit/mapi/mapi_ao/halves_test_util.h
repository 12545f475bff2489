#pragma once

// The MAPI AO's two halves wired back to back for unit tests: the client's bytes go through
// the edge, the records between the halves are handed over at once, and what reaches the
// client and the server is collected.

#include <string>

#include "mapi/mapi_ao/core_mapi_ao.h"
#include "mapi/mapi_ao/edge_mapi_ao.h"
#include "tests/unit/mapi/dcerpc/test_util.h"

namespace bh::mapi::mapi_ao::testing {

struct Halves {
  MapiAoEvents ev;
  EdgeMapiAo edge;
  CoreMapiAo core;
  Bytes atServer, atClient;
  bool reset = false;
  std::string why;

  explicit Halves(MapiAoConfig cfg = {}) : edge(cfg, ev), core(cfg, ev) {}

  /// Delivers what the halves said to each other until they are quiet (or one resets).
  void apply(AoOutput& e, AoOutput& c) {
    for (int i = 0; i < 16 && !reset; ++i) {
      if (e.reset || c.reset) {
        reset = true;
        why = e.reset ? e.resetReason : c.resetReason;
        return;
      }
      atClient.insert(atClient.end(), e.toLocal.begin(), e.toLocal.end());
      atServer.insert(atServer.end(), c.toLocal.begin(), c.toLocal.end());
      if (e.toPeer.empty() && c.toPeer.empty()) {
        return;
      }
      AoOutput e2, c2;
      if (!e.toPeer.empty()) {
        core.onPeerData(e.toPeer, c2);
      }
      if (!c.toPeer.empty()) {
        edge.onPeerData(c.toPeer, e2);
      }
      e = std::move(e2);
      c = std::move(c2);
    }
  }
  void client(const Bytes& b) {
    AoOutput e, c;
    edge.onClientData(b, e);
    apply(e, c);
  }
  void server(const Bytes& b) {
    AoOutput e, c;
    core.onServerData(b, c);
    apply(e, c);
  }
  /// The edge hands the connection off from outside (as when another connection of its
  /// association group was handed off).
  void handOff(HandOffReason reason = HandOffReason::Other, const std::string& detail = "test") {
    AoOutput e, c;
    edge.requestHandOff(reason, detail, e);
    apply(e, c);
  }
  /// The client bound EMSMDB and the server accepted; nothing collected yet.
  void bound() {
    client(dcerpc::testing::encode(dcerpc::testing::bindPdu(Endian::Little)));
    server(dcerpc::testing::encode(dcerpc::testing::bindAckPdu(Endian::Little)));
    atClient.clear();
    atServer.clear();
  }
};

}  // namespace bh::mapi::mapi_ao::testing
