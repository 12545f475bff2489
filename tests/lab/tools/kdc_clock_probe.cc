// bh-kdc-clock HOST PORT PRINCIPAL: one clock probe of a KDC over TCP (secure/kerberos), as the
// encryption service will make it: prints "offset_us=N error=NAME realm=R" (the KDC's clock
// minus ours) or the reason on stderr and exits 1. A blocking test tool, not the product's
// transport (that runs on the daemon's loop).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "secure/kerberos/kdc_clock.h"
#include "secure/kerberos/kdc_tcp_framing.h"

using namespace bh;
using namespace bh::secure::kerberos;

namespace {

int64_t nowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int fail(const std::string& why) {
  std::fprintf(stderr, "bh-kdc-clock: %s\n", why.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    return fail("usage: bh-kdc-clock HOST PORT PRINCIPAL");
  }
  auto req = kdcClockProbeRequest(argv[3]);
  if (!req) {
    return fail(req.error());
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(std::stoi(argv[2])));
  if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
    return fail(std::string("not an IPv4 address: ") + argv[1]);
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    return fail("cannot connect to the KDC");
  }
  Bytes out = frameKdcMessage(req.value());
  int64_t sent = nowUs();
  if (send(fd, out.data(), out.size(), 0) != static_cast<ssize_t>(out.size())) {
    return fail("cannot send the AS-REQ");
  }
  KdcTcpFramer framer;
  uint8_t buf[4096];
  while (!framer.hasMessage()) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) {
      return fail("the KDC closed or did not answer within 5 s");
    }
    if (framer.feed(ByteSpan(buf, static_cast<size_t>(n))).status == ParseStatus::Error) {
      return fail(framer.error());
    }
  }
  int64_t received = nowUs();
  close(fd);
  auto t = kdcTimeFromReply(framer.next());
  if (!t) {
    return fail(t.error());
  }
  std::printf("offset_us=%lld error=%s realm=%s\n",
              static_cast<long long>(kdcClockOffsetUs(t.value(), sent, received)),
              kerberosErrorName(t.value().errorCode).c_str(), t.value().realm.c_str());
  return 0;
}
