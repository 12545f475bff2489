#include "secure/secure_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace bh::secure {

namespace {

constexpr const char* kKeyCheckName = "store-key-check";
constexpr const char* kKeyCheckText = "bridgehead secure store v1";

std::string modeText(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
  return buf;
}

bool readFile(const std::string& path, Bytes& out, size_t cap) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return false;
  }
  uint8_t buf[4096];
  bool ok = true;
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) {
      ok = n == 0;
      break;
    }
    if (out.size() + static_cast<size_t>(n) > cap) {
      ok = false;
      break;
    }
    out.insert(out.end(), buf, buf + n);
  }
  ::close(fd);
  return ok;
}

bool writeFileAtomically(const std::string& dir, const std::string& name, ByteSpan data) {
  std::string tmp = dir + "/." + name + ".tmp";
  std::string dst = dir + "/" + name;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return false;
  }
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    off += static_cast<size_t>(n);
  }
  bool ok = ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  ok = ok && ::rename(tmp.c_str(), dst.c_str()) == 0;
  if (!ok) {
    ::unlink(tmp.c_str());
    return false;
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

}  // namespace

std::string_view secureStoreStateName(SecureStoreState s) {
  switch (s) {
    case SecureStoreState::Uninitialized:
      return "uninitialized";
    case SecureStoreState::Initialized:
      return "initialized";
    case SecureStoreState::Open:
      return "open";
    case SecureStoreState::Locked:
      return "locked";
  }
  return "locked";
}

bool isValidEntryName(const std::string& name) {
  if (name.empty() || name.size() > 64 || name[0] == '.') {
    return false;
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

SecureStore::SecureStore(std::string directory, uid_t owner)
    : directory_(std::move(directory)), owner_(owner) {
  struct stat st {};
  std::string check = directory_ + "/" + kKeyCheckName;
  if (::stat(check.c_str(), &st) == 0) {
    state_ = SecureStoreState::Initialized;
  }
}

void SecureStore::lock(std::string why) {
  state_ = SecureStoreState::Locked;
  reason_ = std::move(why);
  key_ = StoreKey();
}

bool SecureStore::checkDirectory() {
  struct stat st {};
  if (::lstat(directory_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    lock("store directory " + directory_ + " is missing or not a directory");
    return false;
  }
  if (st.st_uid != owner_) {
    lock("store directory " + directory_ + " is owned by uid " + std::to_string(st.st_uid) +
         ", not the daemon's uid " + std::to_string(owner_));
    return false;
  }
  if ((st.st_mode & 07777) != 0700) {
    lock("store directory " + directory_ + " has mode " + modeText(st.st_mode) +
         ", it must be 0700");
    return false;
  }
  return true;
}

bool SecureStore::initialize(const StoreKey& key) {
  if (state_ != SecureStoreState::Uninitialized) {
    reason_ = "store " + directory_ + " is already initialized";
    return false;
  }
  if (::mkdir(directory_.c_str(), 0700) != 0 && errno != EEXIST) {
    lock("cannot create store directory " + directory_);
    return false;
  }
  if (!checkDirectory()) {
    return false;
  }
  std::string text = kKeyCheckText;
  auto sealed = sealEntry(key, kKeyCheckName,
                          ByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  if (!sealed.ok() || !writeFileAtomically(directory_, kKeyCheckName, sealed.value())) {
    lock("cannot write the store's key check in " + directory_);
    return false;
  }
  key_ = key;
  state_ = SecureStoreState::Open;
  reason_.clear();
  return true;
}

bool SecureStore::open(const StoreKey& key) {
  if (state_ == SecureStoreState::Uninitialized) {
    reason_ = "no store in " + directory_ + " (not initialized)";
    return false;
  }
  if (!checkDirectory()) {
    return false;
  }
  Bytes file;
  if (!readFile(directory_ + "/" + kKeyCheckName, file, kMaxSealedPlaintext + 64)) {
    lock("store key check in " + directory_ + " is unreadable");
    return false;
  }
  auto check = openEntry(key, kKeyCheckName, file);
  if (!check.ok()) {
    lock("the store key does not open the store in " + directory_ +
         " (wrong key?): " + check.error());
    return false;
  }
  key_ = key;
  state_ = SecureStoreState::Open;
  reason_.clear();
  return true;
}

Outcome<bool> SecureStore::put(const std::string& name, ByteSpan secret) {
  using R = Outcome<bool>;
  if (state_ != SecureStoreState::Open) {
    return R::failure("store is " + std::string(secureStoreStateName(state_)));
  }
  if (!isValidEntryName(name) || name == kKeyCheckName) {
    return R::failure("invalid store entry name");
  }
  auto sealed = sealEntry(key_, name, secret);
  if (!sealed.ok()) {
    return R::failure(sealed.error());
  }
  if (!writeFileAtomically(directory_, name, sealed.value())) {
    return R::failure("cannot write entry " + name + " in " + directory_);
  }
  return R::success(true);
}

Outcome<Bytes> SecureStore::get(const std::string& name) const {
  using R = Outcome<Bytes>;
  if (state_ != SecureStoreState::Open) {
    return R::failure("store is " + std::string(secureStoreStateName(state_)));
  }
  if (!isValidEntryName(name)) {
    return R::failure("invalid store entry name");
  }
  Bytes file;
  if (!readFile(directory_ + "/" + name, file, kMaxSealedPlaintext + 64)) {
    return R::failure("no entry " + name + " in " + directory_);
  }
  return openEntry(key_, name, file);
}

bool SecureStore::contains(const std::string& name) const {
  struct stat st {};
  return isValidEntryName(name) && ::stat((directory_ + "/" + name).c_str(), &st) == 0;
}

}  // namespace bh::secure
