#include "proxy/privileges.h"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace bh::proxy {

namespace {

bool setCaps(uint64_t caps, std::string& error) {
  __user_cap_header_struct hdr{};
  hdr.version = _LINUX_CAPABILITY_VERSION_3;
  hdr.pid = 0;
  __user_cap_data_struct data[2]{};
  for (int i = 0; i < 2; ++i) {
    uint32_t word = static_cast<uint32_t>(caps >> (32 * i));
    data[i].effective = word;
    data[i].permitted = word;
    data[i].inheritable = word;
  }
  if (syscall(SYS_capset, &hdr, data) != 0) {
    error = std::string("capset: ") + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace

bool dropPrivileges(const std::string& user, std::string& error) {
  if (geteuid() != 0) {
    return true;
  }
  passwd* pw = getpwnam(user.c_str());
  if (pw == nullptr) {
    error = "no such user '" + user + "'";
    return false;
  }
  const uint64_t keep = (1ULL << CAP_NET_ADMIN) | (1ULL << CAP_NET_RAW);
  // While still root: drop every other capability from the bounding set: nothing we run can regain
  // them.
  for (int cap = 0; cap <= 63; ++cap) {
    if (cap != CAP_NET_ADMIN && cap != CAP_NET_RAW) {
      prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
    }
  }
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 || setgroups(0, nullptr) != 0 ||
      setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
    error = std::string("switching to ") + user + ": " + std::strerror(errno);
    return false;
  }
  if (!setCaps(keep, error)) {
    return false;
  }
  for (int cap : {CAP_NET_ADMIN, CAP_NET_RAW}) {
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) {
      error = std::string("ambient capabilities: ") + std::strerror(errno);
      return false;
    }
  }
  prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  return true;
}

void notifySystemd(const std::string& state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || path[0] == '\0') {
    return;
  }
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  size_t len = std::strlen(path);
  if (len >= sizeof(sa.sun_path)) {
    return;
  }
  std::memcpy(sa.sun_path, path, len);
  if (sa.sun_path[0] == '@') {
    sa.sun_path[0] = '\0';  // abstract namespace
  }
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return;
  }
  sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&sa),
         static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len));
  close(fd);
}

}  // namespace bh::proxy
