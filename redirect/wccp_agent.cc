#include "redirect/wccp_agent.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "redirect/wccp/gre_receive.h"
#include "redirect/wccp/gre_redirect.h"

namespace bh::redirect {

namespace w = bh::redirect::wccp;

namespace {

uint32_t hostOrder(const IpAddress& a) {
  const auto& b = a.bytes();
  return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | b[3];
}

std::string dotted(uint32_t a) {
  return IpAddress::v4(a).toString();
}

sockaddr_in sockaddrOf(uint32_t address, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(address);
  sa.sin_port = htons(port);
  return sa;
}

std::string errnoText(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

/// Best effort: a sysctl of the TUN (rp_filter off, no redirects) as the recipe needs it.
bool writeSysctl(const std::string& path, const std::string& value) {
  std::ofstream f(path);
  f << value;
  return static_cast<bool>(f);
}

w::ServiceInfo serviceInfo(const policy::WccpServiceConfig& s) {
  w::ServiceInfo i;
  i.type = s.standard ? w::ServiceType::Standard : w::ServiceType::Dynamic;
  i.id = s.id;
  if (!s.standard) {
    i.priority = s.priority;
    i.protocol = s.protocol;
    i.flags = s.flags;
    for (size_t k = 0; k < s.ports.size() && k < i.ports.size(); ++k) {
      i.ports[k] = s.ports[k];
    }
  }
  return i;
}

uint32_t methodBit(policy::WccpMethod m) {
  return m == policy::WccpMethod::L2 ? w::method::kL2 : w::method::kGre;
}

const char* methodName(uint32_t m) {
  return m == w::method::kL2 ? "l2" : m == w::method::kGre ? "gre" : "none";
}

}  // namespace

WccpAgent::WccpAgent(uv_loop_t* loop, policy::WccpConfig config, Log info, Log error)
    : loop_(loop),
      config_(std::move(config)),
      info_(std::move(info)),
      error_log_(std::move(error)),
      buffer_(kMaxPacket) {}

WccpAgent::~WccpAgent() {
  stop();
}

bool WccpAgent::open() {
  if (config_.routers.empty()) {
    error_ = "no WCCP router configured";
    return false;
  }
  // This box's address is the one its packets to the first router leave from.
  {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in to = sockaddrOf(hostOrder(config_.routers.front()), w::kWccpPort);
    sockaddr_in me{};
    socklen_t len = sizeof(me);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&me), &len) != 0) {
      error_ = errnoText("no route to WCCP router " + config_.routers.front().toString());
      if (fd >= 0) {
        close(fd);
      }
      return false;
    }
    close(fd);
    self_ = ntohl(me.sin_addr.s_addr);
  }
  ifaddrs* ifs = nullptr;
  if (getifaddrs(&ifs) == 0) {
    for (ifaddrs* i = ifs; i != nullptr; i = i->ifa_next) {
      if (i->ifa_addr != nullptr && i->ifa_addr->sa_family == AF_INET &&
          ntohl(reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr) == self_) {
        interface_ = i->ifa_name;
      }
    }
    freeifaddrs(ifs);
  }
  int ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (ctl < 0) {
    error_ = errnoText("socket");
    return false;
  }
  if (!interface_.empty()) {
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, interface_.c_str(), IFNAMSIZ - 1);
    if (ioctl(ctl, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 576) {
      linkMtu_ = ifr.ifr_mtu;
      // The client's segment plus 28 bytes of GRE must fit the router-to-box link.
      mss_ = static_cast<uint16_t>(ifr.ifr_mtu - w::kGreRedirectOverhead - 40);
    }
  }

  udpFd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  sockaddr_in any = sockaddrOf(INADDR_ANY, w::kWccpPort);
  if (udpFd_ < 0 || setsockopt(udpFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      bind(udpFd_, reinterpret_cast<sockaddr*>(&any), sizeof(any)) != 0) {
    error_ = errnoText("WCCP: cannot bind UDP port 2048");
    close(ctl);
    return false;
  }
  greFd_ = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_GRE);
  rawFd_ = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW);
  if (greFd_ < 0 || rawFd_ < 0) {
    error_ = errnoText("WCCP: cannot open the raw GRE/IP sockets (CAP_NET_RAW)");
    close(ctl);
    return false;
  }
  int rcvbuf = 4 << 20;
  setsockopt(greFd_, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
  tunFd_ = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::strncpy(ifr.ifr_name, kTunnelName, IFNAMSIZ - 1);
  if (tunFd_ < 0 || ioctl(tunFd_, TUNSETIFF, &ifr) != 0) {
    error_ = errnoText(std::string("WCCP: cannot create TUN ") + kTunnelName);
    close(ctl);
    return false;
  }
  ifreq up{};
  std::strncpy(up.ifr_name, kTunnelName, IFNAMSIZ - 1);
  if (ioctl(ctl, SIOCGIFFLAGS, &up) != 0 ||
      (up.ifr_flags = static_cast<short>(up.ifr_flags | IFF_UP), ioctl(ctl, SIOCSIFFLAGS, &up)) !=
          0) {
    error_ = errnoText(std::string("WCCP: cannot bring ") + kTunnelName + " up");
    close(ctl);
    return false;
  }
  close(ctl);
  // The client's address arrives on the TUN although the route back to it is elsewhere: no
  // reverse-path filter there. Returns leave by the TUN they came in on: no ICMP redirects.
  const std::string conf = std::string("/proc/sys/net/ipv4/conf/") + kTunnelName + "/";
  // WCCPv2 is IPv4: no IPv6 on the TUN (else the kernel's own router solicitations and MLD
  // reports would come out of it as returns).
  if (!writeSysctl(conf + "rp_filter", "0") || !writeSysctl(conf + "send_redirects", "0") ||
      !writeSysctl(std::string("/proc/sys/net/ipv6/conf/") + kTunnelName + "/disable_ipv6", "1")) {
    error_log_(std::string("WCCP: cannot set rp_filter/send_redirects/disable_ipv6 of ") +
               kTunnelName);
  }

  for (const auto& s : config_.services) {
    w::ServiceGroupConfig c;
    c.service = serviceInfo(s);
    if (!config_.password.empty()) {
      c.password = w::Md5Password::make(config_.password);
    }
    c.self = self_;
    for (const auto& r : config_.routers) {
      c.routers.push_back(hostOrder(r));
    }
    c.weight = config_.weight;
    c.forwarding = {methodBit(config_.forwarding)};
    c.returns = {methodBit(config_.returns)};
    c.assignment = {config_.assignment == policy::WccpAssignment::Mask ? w::method::kMask
                                                                       : w::method::kHash};
    c.maskAddressBits = config_.maskBits;
    groups_.push_back(std::make_unique<w::ServiceGroup>(std::move(c)));
    serviceIds_.push_back(s.id);
    lastProblems_.emplace_back();
  }
  info_("WCCP: web cache " + dotted(self_) + " on " + interface_ + ", " +
        std::to_string(groups_.size()) + " service group(s), redirected packets into " +
        kTunnelName + ", MSS clamped to " + std::to_string(mss_));
  return true;
}

void WccpAgent::start() {
  startedMs_ = uv_now(loop_);
  auto poll = [this](int fd, void (*cb)(uv_poll_t*, int, int)) {
    auto* p = new uv_poll_t;
    uv_poll_init(loop_, p, fd);
    p->data = this;
    uv_poll_start(p, UV_READABLE, cb);
    return p;
  };
  udpPoll_ = poll(udpFd_, [](uv_poll_t* p, int status, int) {
    if (status == 0) {
      static_cast<WccpAgent*>(p->data)->onUdpReadable();
    }
  });
  grePoll_ = poll(greFd_, [](uv_poll_t* p, int status, int) {
    if (status == 0) {
      static_cast<WccpAgent*>(p->data)->onGreReadable();
    }
  });
  tunPoll_ = poll(tunFd_, [](uv_poll_t* p, int status, int) {
    if (status == 0) {
      static_cast<WccpAgent*>(p->data)->onTunReadable();
    }
  });
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  uv_timer_start(
      timer_, [](uv_timer_t* t) { static_cast<WccpAgent*>(t->data)->onTimer(); }, 0, 100);
}

void WccpAgent::stop() {
  for (uv_poll_t** p : {&udpPoll_, &grePoll_, &tunPoll_}) {
    if (*p != nullptr) {
      uv_close(reinterpret_cast<uv_handle_t*>(*p),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      *p = nullptr;
    }
  }
  if (timer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    timer_ = nullptr;
  }
  for (int* fd : {&udpFd_, &greFd_, &tunFd_, &rawFd_}) {
    if (*fd >= 0) {
      close(*fd);
      *fd = -1;
    }
  }
}

void WccpAgent::send(const std::vector<w::Datagram>& out) {
  for (const auto& d : out) {
    sockaddr_in to = sockaddrOf(d.to, w::kWccpPort);
    if (sendto(udpFd_, d.payload.data(), d.payload.size(), 0, reinterpret_cast<sockaddr*>(&to),
               sizeof(to)) < 0 &&
        errno != ECONNREFUSED) {
      error_log_(errnoText("WCCP: send to " + dotted(d.to)));
    }
  }
}

void WccpAgent::onTimer() {
  const uint64_t now = uv_now(loop_);
  for (auto& g : groups_) {
    send(g->tick(now));
  }
  reportProblems();
}

void WccpAgent::reportProblems() {
  for (size_t i = 0; i < groups_.size(); ++i) {
    const w::ServiceGroup& g = *groups_[i];
    std::string state = g.lastProblem();
    // The membership as the log shows it: which routers are usable with which methods, and
    // who is designated.
    std::string view;
    for (const auto& [id, r] : g.routers()) {
      view += " router " + dotted(id) + (r.usable ? " usable" : " not usable") + " (forwarding " +
              methodName(r.forwarding) + ", assignment " +
              (r.assignment == w::method::kMask   ? "mask"
               : r.assignment == w::method::kHash ? "hash"
                                                  : "none") +
              ", return " + methodName(r.returns) + ")";
    }
    if (auto d = g.designated()) {
      view += "; designated web cache " + dotted(*d);
    }
    std::string key = state + "|" + view;
    if (key != lastProblems_[i]) {
      const std::string svc = "WCCP service " + std::to_string(g.config().service.id) + ": ";
      if (!state.empty() && lastProblems_[i].rfind(state + "|", 0) != 0) {
        error_log_(svc + state);
      }
      info_(svc + "view:" + (view.empty() ? " no router answers" : view));
      lastProblems_[i] = key;
    }
  }
}

void WccpAgent::onUdpReadable() {
  for (int i = 0; i < 64; ++i) {
    sockaddr_in from{};
    socklen_t len = sizeof(from);
    ssize_t n = recvfrom(udpFd_, buffer_.data(), buffer_.size(), 0,
                         reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) {
      return;
    }
    const uint64_t now = uv_now(loop_);
    const ByteSpan payload(buffer_.data(), static_cast<size_t>(n));
    for (auto& g : groups_) {
      g->onDatagram(ntohl(from.sin_addr.s_addr), payload, now);
    }
  }
}

bool WccpAgent::fromRouter(uint32_t address) const {
  for (const auto& r : config_.routers) {
    if (hostOrder(r) == address) {
      return true;
    }
  }
  for (const auto& g : groups_) {
    for (const auto& [id, r] : g->routers()) {
      if (r.address == address || id == address) {
        return true;
      }
    }
  }
  return false;
}

void WccpAgent::onGreReadable() {
  for (int i = 0; i < 256; ++i) {
    ssize_t n = recv(greFd_, buffer_.data(), buffer_.size(), 0);
    if (n < 0) {
      return;
    }
    ++gre_.received;
    const w::GreReceived g = w::receiveGre(
        ByteSpan(buffer_.data(), static_cast<size_t>(n)),
        [this](uint32_t a) { return fromRouter(a); }, serviceIds_);
    if (g.drop == w::GreDrop::UnknownRouter) {
      // Only a router of the service group may put packets into the TPROXY path.
      ++gre_.fromUnknownRouter;
      continue;
    }
    if (g.drop == w::GreDrop::OtherService) {
      ++gre_.otherService;
      continue;
    }
    if (g.drop != w::GreDrop::None) {
      ++gre_.malformed;
      if (g.why != lastGreProblem_) {
        lastGreProblem_ = g.why;
        error_log_("WCCP: GRE from " + dotted(g.source) + " dropped: " + g.why);
      }
      continue;
    }
    if (write(tunFd_, g.inner.data(), g.inner.size()) < 0) {
      ++gre_.tunWriteErrors;
      continue;
    }
    ++gre_.decapsulated;
    gre_.decapsulatedBytes += g.inner.size();
    if (n > linkMtu_) {
      noteOverMtu(g.source, static_cast<size_t>(n));
    }
  }
}

void WccpAgent::noteOverMtu(uint32_t router, size_t bytes) {
  // The raw socket hands over the datagram reassembled: one larger than the link it came in on
  // was fragmented on the way (the router's GRE does not clear the inner DF, it fragments the
  // outer datagram). Nothing is lost, but every such packet costs the router and this box a
  // reassembly: named, at most every 10 s.
  ++gre_.overMtu;
  const uint64_t now = uv_now(loop_);
  if (overMtuLoggedMs_ == 0 || now >= overMtuLoggedMs_ + 10'000) {
    overMtuLoggedMs_ = now;
    error_log_("WCCP: GRE datagram of " + std::to_string(bytes) + " bytes from " + dotted(router) +
               " is larger than the MTU of " + interface_ + " (" + std::to_string(linkMtu_) +
               "): fragmented after encapsulation (" + std::to_string(gre_.overMtu) +
               " so far; a segment over the clamped MSS of " + std::to_string(mss_) +
               ": a flow older than the box, or a narrower path)");
  }
}

void WccpAgent::onTunReadable() {
  for (int i = 0; i < 256; ++i) {
    ssize_t n = read(tunFd_, buffer_.data(), buffer_.size());
    if (n < 0) {
      return;
    }
    returnPacket(ByteSpan(buffer_.data(), static_cast<size_t>(n)));
  }
}

void WccpAgent::returnPacket(ByteSpan packet) {
  if (packet.size() < 20 || (packet[0] >> 4) != 4) {
    return;  // not IPv4: nothing a WCCPv2 router redirected
  }
  // The router the packet goes back to: the first usable one (one per farm in the lab).
  const w::RouterState* router = nullptr;
  for (const auto& g : groups_) {
    for (const auto& [id, r] : g->routers()) {
      if (router == nullptr && r.usable) {
        router = &r;
      }
    }
  }
  if (router == nullptr) {
    ++gre_.returnErrors;
    return;
  }
  const uint32_t dst = (uint32_t(packet[16]) << 24) | (uint32_t(packet[17]) << 16) |
                       (uint32_t(packet[18]) << 8) | packet[19];
  ssize_t sent;
  if (router->returns == w::method::kL2) {
    // L2 return: the packet unchanged, the router its next hop (the box's route to it).
    sockaddr_in to = sockaddrOf(dst, 0);
    sent = sendto(rawFd_, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to),
                  sizeof(to));
  } else {
    // GRE return (4.12): GRE 0x883E and a redirect header naming the box's first service.
    w::RedirectHeader h;
    h.dynamicService = !config_.services.front().standard;
    h.serviceId = config_.services.front().id;
    const Bytes gre = w::encodeGreRedirect(h, packet);
    sockaddr_in to = sockaddrOf(router->address, 0);
    sent = sendto(greFd_, gre.data(), gre.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  }
  if (sent < 0) {
    ++gre_.returnErrors;
    return;
  }
  ++gre_.returned;
  gre_.returnedBytes += packet.size();
}

WccpStatus WccpAgent::status() const {
  WccpStatus s;
  s.enabled = true;
  s.self = self_;
  s.interface = interface_;
  s.tunnel = kTunnelName;
  s.mss = mss_;
  s.uptimeMs = startedMs_ == 0 ? 0 : uv_now(loop_) - startedMs_;
  s.forwarding = policy::wccpMethodName(config_.forwarding);
  s.returns = policy::wccpMethodName(config_.returns);
  s.assignment = policy::wccpAssignmentName(config_.assignment);
  for (const auto& g : groups_) {
    WccpServiceStatus v;
    v.service = g->config().service;
    for (const auto& [id, r] : g->routers()) {
      v.routers.push_back(r);
    }
    v.designated = g->designated();
    v.members = g->members();
    v.assignment = g->assignmentSent();
    v.counters = g->counters();
    v.lastProblem = g->lastProblem();
    v.weight = g->config().weight;
    v.password = g->config().password ? "MD5" : "none";
    s.services.push_back(std::move(v));
  }
  s.gre = gre_;
  s.redirectLoops = redirectLoops_;
  s.redirectLoop = redirectLoop_;
  return s;
}

void WccpAgent::noteRedirectLoop(const std::string& flow) {
  ++redirectLoops_;
  // Which router sent it back is not in the packet (GRE's outer header is gone by now, L2 has
  // none): every router this box is redirected by is named, each once.
  std::vector<uint32_t> routers;
  for (const auto& g : groups_) {
    for (const auto& [id, r] : g->routers()) {
      if (r.usable && std::find(routers.begin(), routers.end(), r.address) == routers.end()) {
        routers.push_back(r.address);
      }
    }
  }
  std::string names;
  bool fresh = false;
  for (uint32_t r : routers) {
    names += (names.empty() ? "" : ", ") + dotted(r);
    if (std::find(loopLoggedFor_.begin(), loopLoggedFor_.end(), r) == loopLoggedFor_.end()) {
      loopLoggedFor_.push_back(r);
      fresh = true;
    }
  }
  redirectLoop_ = "redirect loop: this box's own SYN (" + flow + ") came back redirected by " +
                  (names.empty() ? std::string("a router") : "router " + names) +
                  "; its flow was reset. The router does not exclude the box's own traffic: "
                  "configure 'ip wccp redirect exclude in' on its interface towards " +
                  dotted(self_) + ", or redirect only on the clients' and servers' interfaces";
  if (fresh || (routers.empty() && redirectLoops_ == 1)) {
    error_log_("WCCP: " + redirectLoop_);
  }
}

}  // namespace bh::redirect
