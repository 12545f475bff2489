// Arbitrary bytes as the Kerberos context the core hands the edge (secure/emapi/
// exported_context.h), as the edge imports it (KerberosProtectedAssociation::importContext).
// Invariants: need-more asks for more than it got; a decoded frame encodes back to exactly its
// bytes (one encoding per context, so nothing is silently dropped or defaulted); an imported
// association exports the same frame, names no key in describe(), and what it seals (a small
// request and response) opens at a session continuing from the same context with the sent
// numbers as the ones it expects.
#include <cstdlib>
#include <string>

#include "common/bytes.h"
#include "secure/emapi/exported_context.h"
#include "secure/emapi/kerberos_protected_association.h"

using namespace bh;
using namespace bh::secure::emapi;
using bh::mapi::dcerpc::Sender;

namespace {

/// A request (opnum 1) or response with a 21-byte stub, little-endian, no auth trailer.
Bytes plainPdu(bool request) {
  Bytes p = {0x05, 0x00, static_cast<uint8_t>(request ? 0 : 2),
             0x03, 0x10, 0,
             0,    0,    45,
             0,    0,    0,
             7,    0,    0,
             0,    21,   0,
             0,    0};
  if (request) {
    p.insert(p.end(), {0, 0, 1, 0});
  } else {
    p.insert(p.end(), {0, 0, 0, 0});
  }
  for (uint8_t i = 0; i < 21; ++i) {
    p.push_back(i);
  }
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Krb5Crypto crypto;
  ByteSpan in(data, size);

  KerberosDceSession::Context ctx;
  ParseResult r = decodeExportedContext(in, ctx);
  if (r.status == ParseStatus::NeedMore && r.needed <= size) {
    std::abort();
  }
  if (r.ok() && (r.consumed > size ||
                 encodeExportedContext(ctx) != Bytes(in.begin(), in.begin() + r.consumed))) {
    std::abort();
  }

  std::string why;
  auto a = KerberosProtectedAssociation::importContext(crypto, in, why);
  if ((a == nullptr) == why.empty() || (a && (!r.ok() || r.consumed != size))) {
    std::abort();
  }
  if (!a) {
    return 0;
  }
  if (a->exportContext() != Bytes(in.begin(), in.end()) || !a->keyed() ||
      a->describe().find("Kerberos") != 0) {
    std::abort();
  }
  for (bool request : {true, false}) {
    const Sender from = request ? Sender::Client : Sender::Server;
    const Direction dir = request ? Direction::FromInitiator : Direction::FromAcceptor;
    const Bytes plain = plainPdu(request);
    const uint64_t sent = a->nextSent(from);
    Bytes sealed;
    if (!a->seal(from, plain, sealed)) {
      if (a->established() && a->nextSent(from) != sent) {
        std::abort();
      }
      continue;
    }
    if (!a->established() || a->nextSent(from) != sent + 1) {
      std::abort();
    }
    // The receiving end expects this box's numbering.
    KerberosDceSession::Context peer = ctx;
    (request ? peer.initiator : peer.acceptor).received = sent;
    KerberosDceSession receiver(crypto, peer);
    Bytes stub;
    Unwrapped info;
    if (!receiver.unwrap(dir, sealed, stub, info).ok() ||
        !std::equal(stub.begin(), stub.end(), plain.begin() + 24, plain.end()) ||
        stub.size() != plain.size() - 24) {
      std::abort();
    }
  }
  return 0;
}
