#include "proxy/encryption_service/verify_probe.h"

#include <dirent.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/timex.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>

#include "proxy/encryption_service/dc_locator.h"
#include "proxy/encryption_service/socket_transport.h"
#include "secure/kerberos/kdc_clock.h"
#include "secure/kerberos/kdc_tcp_framing.h"

namespace bh::proxy {

namespace {

/// DCs probed per domain: enough to show a bad one among good ones, bounded in time.
constexpr size_t kMaxDcsPerDomain = 8;
/// A KRB-ERROR is a few hundred bytes; kdc_clock.h refuses more than 64 KiB, so do we.
constexpr uint32_t kMaxKdcReply = 64 * 1024;
constexpr uint16_t kKerberosPort = 88;

int64_t wallUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// `name`'s addresses (numeric, deduplicated), or why not.
accel::DnsFacts resolve(const std::string& name, const std::string& role) {
  accel::DnsFacts d;
  d.name = name;
  d.role = role;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int e = ::getaddrinfo(name.c_str(), nullptr, &hints, &res); e != 0) {
    d.error = gai_strerror(e);
    return d;
  }
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    char host[NI_MAXHOST];
    if (::getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), nullptr, 0,
                      NI_NUMERICHOST) == 0 &&
        std::find(d.addresses.begin(), d.addresses.end(), host) == d.addresses.end()) {
      d.addresses.emplace_back(host);
    }
  }
  ::freeaddrinfo(res);
  return d;
}

bool isNumeric(const std::string& address) {
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo* res = nullptr;
  if (::getaddrinfo(address.c_str(), nullptr, &hints, &res) != 0) {
    return false;
  }
  ::freeaddrinfo(res);
  return true;
}

/// One clock probe of the KDC at `address` (RFC 4120 7.2.2: TCP, a 4-byte length first).
accel::KdcClockFacts probeKdc(const std::string& domain, const std::string& address,
                              const std::string& principal, uint32_t timeoutMs) {
  accel::KdcClockFacts k;
  k.domain = domain;
  k.kdc = address;
  auto request = secure::kerberos::kdcClockProbeRequest(principal);
  if (!request) {
    k.error = request.error();
    return k;
  }
  SocketTransport t(SocketTransport::Clock::now() + std::chrono::milliseconds(timeoutMs));
  std::string why;
  if (!t.connect(address, kKerberosPort, why)) {
    k.error = why;
    return k;
  }
  Bytes framed = secure::kerberos::frameKdcMessage(request.value());
  int64_t sent = wallUs();
  Bytes length;
  if (!t.send(framed, why) || !t.receive(4, length, why)) {
    k.error = "the KDC did not answer: " + why;
    return k;
  }
  uint32_t n = (uint32_t{length[0]} << 24) | (uint32_t{length[1]} << 16) |
               (uint32_t{length[2]} << 8) | length[3];
  if ((n & 0x80000000u) != 0 || n > kMaxKdcReply) {
    k.error = "the KDC's answer announces " + std::to_string(n) + " bytes: not a KRB-ERROR";
    return k;
  }
  Bytes reply;
  if (!t.receive(n, reply, why)) {
    k.error = "the KDC's answer was cut short: " + why;
    return k;
  }
  int64_t received = wallUs();
  auto time = secure::kerberos::kdcTimeFromReply(reply);
  if (!time) {
    k.error = time.error();
    return k;
  }
  k.answer = secure::kerberos::kerberosErrorName(time.value().errorCode);
  k.offsetSeconds =
      static_cast<double>(secure::kerberos::kdcClockOffsetUs(time.value(), sent, received)) / 1e6;
  return k;
}

/// Processes named like a time daemon (their /proc/PID/comm, 15 characters at most).
std::vector<std::string> timeDaemons() {
  static const char* const kNames[] = {"chronyd", "ntpd", "systemd-timesyn", "openntpd"};
  std::vector<std::string> out;
  std::unique_ptr<DIR, int (*)(DIR*)> proc(::opendir("/proc"), ::closedir);
  if (!proc) {
    return out;
  }
  while (dirent* e = ::readdir(proc.get())) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') {
      continue;
    }
    std::ifstream comm(std::string("/proc/") + e->d_name + "/comm");
    std::string name;
    if (!std::getline(comm, name)) {
      continue;
    }
    for (const char* n : kNames) {
      std::string shown = name == "systemd-timesyn" ? "systemd-timesyncd" : name;
      if (name == n && std::find(out.begin(), out.end(), shown) == out.end()) {
        out.push_back(shown);
      }
    }
  }
  return out;
}

}  // namespace

accel::NtpFacts readNtpState() {
  accel::NtpFacts n;
  timex tx{};  // modes 0: read only
  int state = ::ntp_adjtime(&tx);
  if (state < 0) {
    n.error = std::strerror(errno);
  } else {
    n.readable = true;
    n.synchronized = state != TIME_ERROR && (tx.status & STA_UNSYNC) == 0;
    n.maxErrorUs = tx.maxerror;
  }
  n.daemons = timeDaemons();
  return n;
}

VerifyProbeResult runVerifyProbe(const VerifyProbeRequest& request) {
  VerifyProbeResult out;
  for (const auto& fqdn : request.exchangeFqdns) {
    out.dns.push_back(resolve(fqdn, "Exchange server"));
  }
  for (const auto& d : request.domains) {
    std::vector<std::string> dcs;
    if (!d.configuredDcs.empty()) {
      dcs = d.configuredDcs;
    } else {
      // The retrieval's own way of finding them (dc_locator.h).
      DnsDcLocator locator;
      std::string why;
      accel::DnsFacts srv;
      srv.name = "_ldap._tcp.dc._msdcs." + d.domain;
      srv.role = "DCs of " + d.domain + " (SRV)";
      for (const auto& dc : locator.locate(d.domain, {}, why)) {
        srv.addresses.push_back(dc.fqdn);
        dcs.push_back(dc.address);
      }
      if (dcs.empty()) {
        srv.error = why.empty() ? "no SRV record" : why;
      }
      out.dns.push_back(std::move(srv));
    }
    if (dcs.size() > kMaxDcsPerDomain) {
      dcs.resize(kMaxDcsPerDomain);
    }
    for (const auto& dc : dcs) {
      if (!isNumeric(dc)) {
        accel::DnsFacts r = resolve(dc, "DC of " + d.domain);
        bool resolved = r.error.empty();
        out.dns.push_back(std::move(r));
        if (!resolved) {
          out.kdcs.push_back({d.domain, dc, std::nullopt, "", "its name does not resolve"});
          continue;
        }
      }
      out.kdcs.push_back(probeKdc(d.domain, dc, d.principal, request.kdcTimeoutMs));
    }
  }
  out.ntp = readNtpState();
  return out;
}

namespace {

struct ProbeWork {
  uv_work_t req{};
  VerifyProbeRequest request;
  VerifyProbeResult result;
  std::function<void(VerifyProbeResult)> done;
};

}  // namespace

void startVerifyProbe(uv_loop_t* loop, VerifyProbeRequest request,
                      std::function<void(VerifyProbeResult)> done) {
  auto* w = new ProbeWork;
  w->request = std::move(request);
  w->done = std::move(done);
  w->req.data = w;
  int r = uv_queue_work(
      loop, &w->req,
      [](uv_work_t* req) {
        auto* work = static_cast<ProbeWork*>(req->data);
        work->result = runVerifyProbe(work->request);
      },
      [](uv_work_t* req, int) {
        std::unique_ptr<ProbeWork> work(static_cast<ProbeWork*>(req->data));
        work->done(std::move(work->result));
      });
  if (r != 0) {
    std::unique_ptr<ProbeWork> work(w);
    VerifyProbeResult failed;
    failed.ntp = readNtpState();
    for (const auto& d : work->request.domains) {
      failed.kdcs.push_back({d.domain, "-", std::nullopt, "",
                             std::string("cannot queue the probe: ") + uv_strerror(r)});
    }
    work->done(std::move(failed));
  }
}

}  // namespace bh::proxy
