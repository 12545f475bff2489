#include "secure/encryption_service/identity_secrets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace bh::secure::encryption_service {

IdentitySecrets::~IdentitySecrets() {
  wipe(password);
  for (auto& e : keytab) {
    wipe(e.key.value);
  }
}

namespace {

/// The password file: opened without following a link, a regular file, not readable or
/// writable by group or others (the credential directory systemd makes is already private).
Outcome<Bytes> readPassword(const std::string& path, bool checkMode) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return Outcome<Bytes>::failure("cannot open " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Outcome<Bytes>::failure(path + " is not a regular file");
  }
  if (checkMode && (st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Outcome<Bytes>::failure(path + " may be read or written by group or others (mode " +
                                   mode + "); make it 0600 or 0400");
  }
  if (static_cast<size_t>(st.st_size) > kMaxPasswordBytes) {
    ::close(fd);
    return Outcome<Bytes>::failure(path + " is longer than " + std::to_string(kMaxPasswordBytes) +
                                   " bytes");
  }
  Bytes out(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n <= 0) {
      break;
    }
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(got);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) {
    out.pop_back();
  }
  if (out.empty()) {
    return Outcome<Bytes>::failure(path + " holds no password");
  }
  return Outcome<Bytes>::success(std::move(out));
}

}  // namespace

Outcome<IdentitySecretsPtr> loadIdentitySecrets(const Identity& identity,
                                                const std::string& credentialsDirectory) {
  using Result = Outcome<IdentitySecretsPtr>;
  auto s = std::make_shared<IdentitySecrets>();
  s->fingerprint = identity.fingerprint();
  if (identity.kind == IdentityKind::User) {
    Outcome<Bytes> pw = Outcome<Bytes>::failure("identity " + identity.name + " has no password");
    if (!identity.passwordCredential.empty()) {
      if (credentialsDirectory.empty()) {
        return Result::failure("identity " + identity.name + ": credential " +
                               identity.passwordCredential +
                               " asked for, but systemd gave no $CREDENTIALS_DIRECTORY");
      }
      pw = readPassword(credentialsDirectory + "/" + identity.passwordCredential, false);
    } else if (!identity.passwordFile.empty()) {
      pw = readPassword(identity.passwordFile, true);
    }
    if (!pw) {
      return Result::failure("identity " + identity.name + ": " + pw.error());
    }
    s->password = std::move(pw.value());
  } else {
    auto kt = readKeytab(identity.keytab);
    if (!kt) {
      return Result::failure("identity " + identity.name + ": " + kt.error());
    }
    s->keytab = std::move(kt.value());
  }
  return Result::success(std::move(s));
}

std::map<std::string, IdentityCredentials> loadIdentityCredentials(
    const std::vector<Identity>& identities,
    const std::map<std::string, IdentityCredentials>& previous,
    const std::string& credentialsDirectory) {
  std::map<std::string, IdentityCredentials> out;
  for (const auto& id : identities) {
    IdentityCredentials c;
    auto loaded = loadIdentitySecrets(id, credentialsDirectory);
    if (loaded) {
      c.secrets = std::move(loaded.value());
    } else if (auto p = previous.find(id.name);
               p != previous.end() && p->second.secrets != nullptr &&
               p->second.secrets->fingerprint == id.fingerprint()) {
      c.secrets = p->second.secrets;
      c.kept = true;
      c.error = loaded.error();
    } else {
      c.error = loaded.error();
    }
    out[id.name] = std::move(c);
  }
  return out;
}

}  // namespace bh::secure::encryption_service
