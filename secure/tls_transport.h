#pragma once

// The byte pipe under a TlsSession: a BIO whose reads take ciphertext where it already is and
// whose writes append sealed bytes to one buffer the session hands out by swap. It replaces
// OpenSSL's memory BIO pair, which copied every byte in and out of its own buffer and moved the
// unread rest to the front of it on each write (memmove: 27 % of a secured core's CPU).

#include <openssl/bio.h>

#include <cstddef>

#include "common/bytes.h"

namespace bh::secure {

struct TlsTransport {
  /// Ciphertext received but not yet read by TLS, kept between receive() calls (it is only
  /// what TLS did not want yet: a record it has no plaintext room for). Read from keptOff on.
  Bytes kept;
  size_t keptOff = 0;
  /// The caller's bytes, read in place for the length of one receive() call.
  ByteSpan lent;
  /// The peer's stream ended: an empty read is the end, not "retry".
  bool eof = false;
  /// Sealed bytes not yet taken.
  Bytes out;

  size_t unread() const { return kept.size() - keptOff + lent.size(); }
  /// Ends a receive() call: what TLS left of the lent bytes is copied into `kept`.
  void keepLent();
};

/// A BIO over `transport` (which must outlive it); one BIO serves as both read and write BIO.
BIO* newTransportBio(TlsTransport& transport);

}  // namespace bh::secure
