#pragma once
// Kerberos over TCP (RFC 4120 7.2.2): each message is preceded by a 4-byte big-endian length
// whose high bit is reserved (set, it announces an extension the KDC must refuse; we never send
// it and refuse to read it). The encryption service talks to KDCs over TCP only: replies with a
// PAC outgrow UDP, and a stream needs no retransmission logic of ours.

#include <cstdint>
#include <deque>
#include <string>

#include "common/bytes.h"
#include "common/parse_result.h"

namespace bh::secure::kerberos {

/// The length prefix and the message, ready to send.
Bytes frameKdcMessage(ByteSpan message);

/// Reassembles KDC messages from a TCP stream delivered in any pieces. A length over `cap` is
/// refused before any byte of the message is buffered.
class KdcTcpFramer {
 public:
  explicit KdcTcpFramer(size_t cap = 256 * 1024) : cap_(cap) {}
  /// Takes the bytes; Done when at least one whole message is ready (take them with next()),
  /// NeedMore otherwise, Error (for good: the stream is unusable) on a reserved bit or a
  /// length over the cap.
  ParseResult feed(ByteSpan bytes);
  bool hasMessage() const { return !ready_.empty(); }
  Bytes next();
  const std::string& error() const { return error_; }
  size_t bufferedBytes() const { return buffer_.size(); }

 private:
  size_t cap_;
  Bytes buffer_;
  std::deque<Bytes> ready_;
  std::string error_;
};

}  // namespace bh::secure::kerberos
