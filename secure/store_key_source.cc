#include "secure/store_key_source.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

namespace bh::secure {

namespace {

// Reads at most `cap` bytes of an already opened file.
bool readAll(int fd, Bytes& out, size_t cap) {
  uint8_t buf[256];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      return false;
    }
    if (n == 0) {
      return true;
    }
    if (out.size() + static_cast<size_t>(n) > cap) {
      return false;
    }
    out.insert(out.end(), buf, buf + n);
  }
}

int hexValue(uint8_t c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

Outcome<StoreKey> keyFrom(Bytes& raw, const std::string& path) {
  using R = Outcome<StoreKey>;
  Outcome<StoreKey> out = R::failure(path + ": must hold 32 bytes or 64 hex digits");
  if (raw.size() == StoreKey::kSize) {
    out = R::success(StoreKey(raw));
  } else if (raw.size() == 64 || (raw.size() == 65 && raw[64] == '\n')) {
    Bytes k(StoreKey::kSize);
    bool ok = true;
    for (size_t i = 0; i < StoreKey::kSize; ++i) {
      int hi = hexValue(raw[2 * i]);
      int lo = hexValue(raw[2 * i + 1]);
      ok = ok && hi >= 0 && lo >= 0;
      k[i] = static_cast<uint8_t>((hi << 4) | (lo & 0xf));
    }
    if (ok) {
      out = R::success(StoreKey(k));
    }
    OPENSSL_cleanse(k.data(), k.size());
  }
  OPENSSL_cleanse(raw.data(), raw.size());
  return out;
}

}  // namespace

StoreKeySource StoreKeySource::fromEnvironment() {
  StoreKeySource s;
  if (const char* d = std::getenv("CREDENTIALS_DIRECTORY")) {
    s.credentialsDirectory = d;
  }
  return s;
}

Outcome<StoreKey> loadStoreKey(const StoreKeySource& source) {
  using R = Outcome<StoreKey>;
  Bytes raw;
  if (!source.credentialsDirectory.empty()) {
    std::string path = source.credentialsDirectory + "/" + source.credential;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0) {
      // systemd made this file for this service alone (mode 0400 in a private directory).
      bool ok = readAll(fd, raw, 128);
      ::close(fd);
      if (!ok) {
        OPENSSL_cleanse(raw.data(), raw.size());
        return R::failure("credential " + path + ": unreadable or longer than a key");
      }
      return keyFrom(raw, "credential " + path);
    }
  }
  const std::string& path = source.keyFile;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return R::failure("store key file " + path + ": cannot open (no systemd credential " +
                      source.credential + " either)");
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return R::failure("store key file " + path + ": not a regular file");
  }
  if (st.st_uid != source.keyFileOwner) {
    ::close(fd);
    return R::failure("store key file " + path + ": owned by uid " + std::to_string(st.st_uid) +
                      ", must be owned by uid " + std::to_string(source.keyFileOwner));
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return R::failure("store key file " + path + ": mode " + mode +
                      " lets group or others at it; it must be 0600 or 0400");
  }
  bool ok = readAll(fd, raw, 128);
  ::close(fd);
  if (!ok) {
    OPENSSL_cleanse(raw.data(), raw.size());
    return R::failure("store key file " + path + ": unreadable or longer than a key");
  }
  return keyFrom(raw, "store key file " + path);
}

}  // namespace bh::secure
