#include "sim/key_log.h"

#include <fcntl.h>
#include <krb5.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "secure/kerberos/gss_credential_impl.h"

namespace bh::sim {

namespace {

std::string hexOf(const uint8_t* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  s.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    s.push_back(digits[p[i] >> 4]);
    s.push_back(digits[p[i] & 15]);
  }
  return s;
}

}  // namespace

bool KeyLog::open(const std::string& path, std::string& error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = path + ": " + std::strerror(errno);
    return false;
  }
  file_ = ::fdopen(fd, "w");
  if (file_ == nullptr) {
    error = path + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  return true;
}

KeyLog::~KeyLog() {
  if (file_ != nullptr) {
    std::fclose(file_);
  }
}

void KeyLog::write(const char* what, ByteSpan key) {
  if (file_ == nullptr || key.empty()) {
    return;
  }
  std::fprintf(file_, "%s %s\n", what, hexOf(key.data(), key.size()).c_str());
  std::fflush(file_);
}

void KeyLog::writeTicketSessionKeys(const secure::kerberos::GssCredential& credential) {
  if (file_ == nullptr) {
    return;
  }
  auto& impl = credential.impl();
  krb5_cc_cursor cursor = nullptr;
  if (krb5_cc_start_seq_get(impl.context, impl.ccache, &cursor) != 0) {
    return;
  }
  krb5_creds creds;
  while (krb5_cc_next_cred(impl.context, impl.ccache, &cursor, &creds) == 0) {
    char* server = nullptr;
    if (creds.keyblock.length > 0 && krb5_unparse_name(impl.context, creds.server, &server) == 0) {
      std::fprintf(file_, "ticket-session-key %d %s %s\n", creds.keyblock.enctype, server,
                   hexOf(creds.keyblock.contents, creds.keyblock.length).c_str());
      krb5_free_unparsed_name(impl.context, server);
    }
    krb5_free_cred_contents(impl.context, &creds);
  }
  krb5_cc_end_seq_get(impl.context, impl.ccache, &cursor);
  std::fflush(file_);
}

}  // namespace bh::sim
