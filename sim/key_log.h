#pragma once

// outlook-sim --key-log FILE: the Kerberos keys of its sessions, in hex, one a line, so a lab
// test can search captures, logs and show outputs for them (tests/lab/tools/no_key_bytes.py)
// and give them to tshark. A test tool only: an Outlook never writes its keys anywhere.
//
//   sspi-session-key HEX                      per association, once bound (the acceptor's
//                                             subkey when the AP-REP carried one, MS-KILE 3.4.5.1)
//   ticket-session-key ETYPE SERVER HEX       per ticket in the credential's cache (RFC 4120
//                                             5.3 EncTicketPart key: the TGT's and each service
//                                             ticket's), written at exit

#include <cstdio>
#include <string>

#include "common/bytes.h"
#include "secure/kerberos/gss_credential.h"

namespace bh::sim {

class KeyLog {
 public:
  /// Opens `path` for writing, mode 0600 (created or truncated); false with `error` set.
  bool open(const std::string& path, std::string& error);
  ~KeyLog();
  KeyLog() = default;
  KeyLog(const KeyLog&) = delete;
  KeyLog& operator=(const KeyLog&) = delete;

  bool isOpen() const { return file_ != nullptr; }
  /// One line "WHAT HEX", flushed at once (a test reads it while the session runs).
  void write(const char* what, ByteSpan key);
  /// One "ticket-session-key" line per ticket the credential's cache holds.
  void writeTicketSessionKeys(const secure::kerberos::GssCredential& credential);

 private:
  std::FILE* file_ = nullptr;
};

}  // namespace bh::sim
