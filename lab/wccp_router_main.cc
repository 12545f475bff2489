// bh-wccp-router: the lab's WCCPv2 router (a test tool, like exchange-sim: every message it sends
// is the protocol's, checked by tshark in the lab tests). A thin main over lab/wccp_router.h,
// one WccpRouter per service:
// - UDP 2048 on the router id: HERE_I_AM in, I_SEE_YOU and REMOVAL_QUERY out; the timers.
// - NFQUEUE (xt, in the router namespace's mangle PREROUTING): every forwarded TCP packet; the
//   interface it came in on names the service ("redirect in", --service ID:IFACE); a packet that
//   came in on the boxes' link (--box-link) is never redirected ("redirect exclude in": a box's
//   own traffic, its outbound legs with the client's address among them); the service's bucket
//   or mask picks the box; GRE (0x883E + redirect header, by a raw IPPROTO_GRE socket bound to
//   the router id) or L2 (the box's MAC, by a packet socket on the boxes' link) as the box's
//   HERE_I_AM asked; no box: forwarded normally.
// - GRE returned by a box: the inner packet re-sent from here, routed normally (never
//   redirected again: locally sent packets do not cross PREROUTING).
// - A box silent for 25 s is queried, at 30 s removed (WccpRouter::tick).
// - SIGUSR1 with --new-router-id ADDR: the router takes ADDR as its ID (as IOS does when an
//   address is added to a loopback): its messages name it and GRE leaves from it; the boxes still
//   reach it at the old address.
// - SIGUSR2 toggles a redirect loop: what comes in on the boxes' link is no longer excluded but
//   redirected as the first service's traffic (an operator's "ip wccp 61 redirect in" on the
//   boxes' interface without "redirect exclude in"), so a box's own SYN comes back to it. The
//   lab's kernel rule that accepts the boxes' TCP before the queue must be deleted too.
// The kernel has no GRE (../shared/references/wccp-lab.md 2.1); all of it is userspace.

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netfilter.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

extern "C" {
#include <libnetfilter_queue/libnetfilter_queue.h>
}

#include "common/ip_address.h"
#include "lab/wccp_router.h"
#include "redirect/wccp/gre_redirect.h"

namespace {

namespace w = bh::redirect::wccp;

volatile sig_atomic_t stopRequested = 0;
volatile sig_atomic_t routerIdChangeRequested = 0;
volatile sig_atomic_t redirectBoxLink = 0;
void onStop(int) {
  stopRequested = 1;
}
void onChangeRouterId(int) {
  routerIdChangeRequested = 1;
}
void onToggleLoop(int) {
  redirectBoxLink = !redirectBoxLink;
}

uint64_t nowMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

std::string dotted(uint32_t a) {
  return bh::IpAddress::v4(a).toString();
}

uint32_t be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}

struct Service {
  uint8_t id = 0;
  std::string interface;  ///< "redirect in" on this interface
  std::unique_ptr<bh::lab::WccpRouter> router;
};

struct PacketCounters {
  uint64_t queued = 0, redirectedGre = 0, redirectedL2 = 0, bypassed = 0, excluded = 0;
  uint64_t notTcp = 0, sendErrors = 0, returnedFromBoxes = 0, returnErrors = 0;
  uint64_t greFromUnknown = 0, fragmentsNeeded = 0;
  uint64_t boxTrafficRedirected = 0;  ///< SIGUSR2's loop: the boxes' own packets sent back
  std::map<uint32_t, uint64_t> perBox;
};

/// The box's MAC from the neighbour table (the router has talked WCCP to it: it is resolved);
/// all zeros while unresolved is no MAC.
bool readMac(uint32_t address, std::array<uint8_t, 6>& mac) {
  std::ifstream arp("/proc/net/arp");
  std::string line;
  std::getline(arp, line);
  while (std::getline(arp, line)) {
    std::istringstream s(line);
    std::string ip, hw, flags, mac_text;
    s >> ip >> hw >> flags >> mac_text;
    if (ip == dotted(address)) {
      unsigned m[6];
      if (std::sscanf(mac_text.c_str(), "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4],
                      &m[5]) != 6) {
        return false;
      }
      unsigned any = 0;
      for (int i = 0; i < 6; ++i) {
        mac[i] = static_cast<uint8_t>(m[i]);
        any |= m[i];
      }
      return any != 0;
    }
  }
  return false;
}

/// The boxes' MACs for L2 redirection, read from the neighbour table at most once a second per
/// box. Reading /proc/net/arp for every redirected packet (as this tool first did) cost 109 us
/// of CPU a packet with the lab's 204 neighbours (its 200 client addresses): on a loaded machine
/// the router fell thousands of packets behind its NFQUEUE and dropped, and a peer leg left
/// without an ACK for its TCP_USER_TIMEOUT (15 s, proxy/sockets.h) was reset with its flow (the
/// client's ECONNRESET in wccp_methods_test's L2 case under ctest -j2).
struct MacCache {
  struct Entry {
    std::array<uint8_t, 6> mac{};
    bool known = false;
    uint64_t readMs = 0;
  };
  std::map<uint32_t, Entry> entries;

  bool lookup(uint32_t address, uint64_t now, uint8_t out[6]) {
    Entry& e = entries[address];
    if (e.readMs == 0 || now >= e.readMs + 1000) {
      e.readMs = now == 0 ? 1 : now;
      std::array<uint8_t, 6> mac{};
      if (readMac(address, mac)) {
        e.mac = mac;
        e.known = true;
      }
    }
    if (e.known) {
      std::memcpy(out, e.mac.data(), 6);
    }
    return e.known;
  }
};

struct Sim {
  uint32_t routerId = 0;
  std::string boxLink;
  std::vector<Service> services;
  std::map<uint32_t, uint32_t> boxForwarding;  ///< what each box's HERE_I_AM asked for
  PacketCounters packets;
  MacCache macs;
  std::map<uint32_t, std::string> ifNames;
  int boxLinkIndex = 0;
  int udpFd = -1, greFd = -1, rawFd = -1, packetFd = -1;
  /// GRE to the boxes leaves from the router id: after an ID change, a socket bound to the new
  /// one; greFd (bound to the first) still takes the boxes' returns, sent where they reach the
  /// router.
  int greSendFd = -1;
  nfq_q_handle* queue = nullptr;
  std::string log;
};

void logLine(const std::string& s) {
  std::fprintf(stderr, "bh-wccp-router: %s\n", s.c_str());
}

void sendDatagrams(Sim& sim, const std::vector<w::Datagram>& out) {
  for (const auto& d : out) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(d.to);
    to.sin_port = htons(w::kWccpPort);
    sendto(sim.udpFd, d.payload.data(), d.payload.size(), 0, reinterpret_cast<sockaddr*>(&to),
           sizeof(to));
  }
}

void onWccpDatagram(Sim& sim, uint32_t from, bh::ByteSpan payload) {
  w::Message m;
  if (w::decodeMessage(payload, m).ok() && m.type == w::MessageType::HereIAm) {
    // The box offers only what it will use (redirect/wccp/service_group.h): its forwarding
    // method is the one it advertises; none advertised means GRE (5.6.9).
    const auto* caps = m.find<w::CapabilityInfo>();
    uint32_t f = caps ? caps->value(w::CapabilityType::ForwardingMethod).value_or(w::method::kGre)
                      : w::method::kGre;
    sim.boxForwarding[from] = (f & w::method::kGre) ? w::method::kGre : w::method::kL2;
  }
  const uint64_t now = nowMs();
  for (auto& s : sim.services) {
    sendDatagrams(sim, s.router->onDatagram(from, payload, now));
  }
}

int onPacket(nfq_q_handle* qh, nfgenmsg*, nfq_data* nfa, void* data) {
  auto& sim = *static_cast<Sim*>(data);
  nfqnl_msg_packet_hdr* ph = nfq_get_msg_packet_hdr(nfa);
  if (ph == nullptr) {
    return 0;
  }
  const uint32_t id = ntohl(ph->packet_id);
  ++sim.packets.queued;
  unsigned char* pkt = nullptr;
  const int len = nfq_get_payload(nfa, &pkt);
  // Interface names by index, asked once each (an ioctl per packet otherwise).
  const uint32_t indev = nfq_get_indev(nfa);
  auto known = sim.ifNames.find(indev);
  if (known == sim.ifNames.end()) {
    char name[IF_NAMESIZE] = {0};
    if (indev == 0 || if_indextoname(indev, name) == nullptr) {
      name[0] = 0;
    }
    known = sim.ifNames.emplace(indev, name).first;
  }
  const std::string& ifname = known->second;
  auto accept = [&] { return nfq_set_verdict(qh, id, NF_ACCEPT, 0, nullptr); };
  std::string service_if = ifname;
  if (!sim.boxLink.empty() && sim.boxLink == ifname) {
    if (!redirectBoxLink) {
      // redirect exclude in: what the boxes send (their outbound legs carry the client's
      // address, so only the interface tells them apart) is forwarded, never redirected back.
      ++sim.packets.excluded;
      return accept();
    }
    // The loop (SIGUSR2): the boxes' traffic is redirected as the first service's.
    service_if = sim.services.front().interface;
    ++sim.packets.boxTrafficRedirected;
  }
  if (len < 40 || (pkt[0] >> 4) != 4 || pkt[9] != IPPROTO_TCP) {
    ++sim.packets.notTcp;
    return accept();
  }
  const size_t ihl = size_t(pkt[0] & 0xf) * 4;
  if (ihl < 20 || static_cast<size_t>(len) < ihl + 4) {
    ++sim.packets.notTcp;
    return accept();
  }
  w::PacketFields f;
  f.srcAddr = be32(pkt + 12);
  f.dstAddr = be32(pkt + 16);
  f.srcPort = static_cast<uint16_t>((pkt[ihl] << 8) | pkt[ihl + 1]);
  f.dstPort = static_cast<uint16_t>((pkt[ihl + 2] << 8) | pkt[ihl + 3]);
  for (auto& s : sim.services) {
    if (s.interface != service_if || !s.router->service()) {
      continue;
    }
    const w::ServiceInfo& info = *s.router->service();
    if (info.protocol != IPPROTO_TCP) {
      continue;
    }
    if (info.flags & w::service_flags::kPortsDefined) {
      const uint16_t port = (info.flags & w::service_flags::kPortsSource) ? f.srcPort : f.dstPort;
      bool listed = false;
      for (uint16_t p : info.ports) {
        listed = listed || (p != 0 && p == port);
      }
      if (!listed) {
        continue;
      }
    }
    const auto target = s.router->redirectTarget(f);
    if (!target) {
      ++sim.packets.bypassed;
      return accept();
    }
    const bh::ByteSpan packet(pkt, static_cast<size_t>(len));
    const auto method =
        sim.boxForwarding.count(*target) ? sim.boxForwarding.at(*target) : w::method::kGre;
    ssize_t sent = -1;
    if (method == w::method::kL2) {
      uint8_t mac[6];
      sockaddr_ll to{};
      to.sll_family = AF_PACKET;
      to.sll_protocol = htons(ETH_P_IP);
      to.sll_ifindex = sim.boxLinkIndex;
      to.sll_halen = 6;
      if (sim.macs.lookup(*target, nowMs(), mac)) {
        std::memcpy(to.sll_addr, mac, 6);
        // L2 redirect: the packet unchanged (TTL too), only the destination MAC is the box's.
        sent = sendto(sim.packetFd, pkt, static_cast<size_t>(len), 0,
                      reinterpret_cast<sockaddr*>(&to), sizeof(to));
      }
      if (sent >= 0) {
        ++sim.packets.redirectedL2;
      }
    } else {
      w::RedirectHeader h;
      h.dynamicService = info.type == w::ServiceType::Dynamic;
      h.serviceId = info.id;
      h.primaryBucketIndex = s.router->bucketOf(f);
      const bh::Bytes gre = w::encodeGreRedirect(h, packet);
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_addr.s_addr = htonl(*target);
      sent = sendto(sim.greSendFd >= 0 ? sim.greSendFd : sim.greFd, gre.data(), gre.size(), 0,
                    reinterpret_cast<sockaddr*>(&to), sizeof(to));
      if (sent < 0 && errno == EMSGSIZE) {
        // The path MTU after encapsulation (DF set on the outer header): counted and named.
        ++sim.packets.fragmentsNeeded;
      }
      if (sent >= 0) {
        ++sim.packets.redirectedGre;
      }
    }
    if (sent < 0) {
      ++sim.packets.sendErrors;
      return accept();
    }
    ++sim.packets.perBox[*target];
    return nfq_set_verdict(qh, id, NF_DROP, 0, nullptr);
  }
  ++sim.packets.bypassed;
  return accept();
}

void onGreFromBox(Sim& sim, uint8_t* buf, size_t n) {
  if (n < 20 || (buf[0] >> 4) != 4) {
    return;
  }
  const size_t ihl = size_t(buf[0] & 0xf) * 4;
  const uint32_t src = be32(buf + 12);
  bool known = false;
  for (auto& s : sim.services) {
    known = known || s.router->caches().count(src) != 0;
  }
  if (!known || ihl > n) {
    ++sim.packets.greFromUnknown;
    return;
  }
  w::GreRedirect g;
  if (!w::decodeGreRedirect(bh::ByteSpan(buf + ihl, n - ihl), g).ok()) {
    ++sim.packets.returnErrors;
    return;
  }
  // A returned packet goes on as the router would have forwarded it, not redirected again.
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(be32(g.inner.data() + 16));
  if (sendto(sim.rawFd, g.inner.data(), g.inner.size(), 0, reinterpret_cast<sockaddr*>(&to),
             sizeof(to)) < 0) {
    ++sim.packets.returnErrors;
    return;
  }
  ++sim.packets.returnedFromBoxes;
}

/// A problem text as a JSON string's body (the codec's error texts hold no control bytes).
std::string jsonSafe(std::string s) {
  for (char& c : s) {
    if (c == '"' || c == '\\') {
      c = '\'';
    }
  }
  return s;
}

void writeStatus(const std::string& path, const Sim& sim) {
  if (path.empty()) {
    return;
  }
  std::ostringstream o;
  o << "{\"router_id\":\"" << dotted(sim.routerId) << "\",\"services\":[";
  bool first = true;
  for (const auto& s : sim.services) {
    const auto& r = *s.router;
    const auto& c = r.counters();
    o << (first ? "" : ",") << "{\"id\":" << int(s.id) << ",\"interface\":\""
      << s.interface << "\",\"defined\":" << (r.service() ? "true" : "false")
      << ",\"assignment_complete\":" << (r.assignmentComplete() ? "true" : "false")
      << ",\"member_change_number\":" << r.memberChangeNumber() << ",\"assignment_key\":\""
      << dotted(r.assignmentKey().address) << ":" << r.assignmentKey().changeNumber
      << "\",\"caches\":[";
    bool f2 = true;
    for (const auto& [a, cache] : r.caches()) {
      o << (f2 ? "" : ",") << "{\"address\":\"" << dotted(a)
        << "\",\"usable\":" << (cache.usable ? "true" : "false")
        << ",\"assigned\":" << (r.assigned(a) ? "true" : "false") << "}";
      f2 = false;
    }
    o << "],\"here_i_am_received\":" << c.hereIAmReceived << ",\"i_see_you_sent\":" << c.iSeeYouSent
      << ",\"assignments_executed\":" << c.assignmentsExecuted
      << ",\"assignments_refused\":" << c.assignmentsRefused
      << ",\"removal_queries_sent\":" << c.removalQueriesSent
      << ",\"caches_removed\":" << c.cachesRemoved
      << ",\"security_failures\":" << c.securityFailures
      << ",\"service_conflicts\":" << c.serviceConflicts << ",\"malformed\":" << c.malformed
      << ",\"last_problem\":\"" << jsonSafe(r.lastProblem()) << "\"}";
    first = false;
  }
  const auto& p = sim.packets;
  o << "],\"packets\":{\"queued\":" << p.queued << ",\"redirected_gre\":" << p.redirectedGre
    << ",\"redirected_l2\":" << p.redirectedL2 << ",\"bypassed\":" << p.bypassed
    << ",\"excluded\":" << p.excluded << ",\"not_tcp\":" << p.notTcp
    << ",\"send_errors\":" << p.sendErrors << ",\"fragmentation_needed\":" << p.fragmentsNeeded
    << ",\"returned_from_boxes\":" << p.returnedFromBoxes << ",\"return_errors\":" << p.returnErrors
    << ",\"gre_from_unknown\":" << p.greFromUnknown
    << ",\"redirect_box_link\":" << (redirectBoxLink ? "true" : "false")
    << ",\"box_traffic_redirected\":" << p.boxTrafficRedirected << ",\"per_box\":{";
  bool f3 = true;
  for (const auto& [box, n] : p.perBox) {
    o << (f3 ? "" : ",") << "\"" << dotted(box) << "\":" << n;
    f3 = false;
  }
  o << "}}}\n";
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << o.str();
  std::rename(tmp.c_str(), path.c_str());
}

void usage() {
  std::fprintf(
      stderr,
      "usage: bh-wccp-router --router-id ADDR --service ID:IFACE [--service ID:IFACE ...]\n"
      "                      --box-link IFACE [--queue N] [--password P]\n"
      "                      [--forwarding gre,l2] [--assignment hash,mask] [--return gre,l2]\n"
      "                      [--no-capabilities] [--new-router-id ADDR] [--status FILE]\n"
      "                      [--ready FILE]\n"
      "  --service ID:IFACE  redirect in: TCP arriving on IFACE goes to service ID's boxes\n"
      "  --box-link IFACE    the boxes' link: never redirected (redirect exclude in;\n"
      "                      SIGUSR2 toggles a redirect loop: then redirected as the first\n"
      "                      --service's traffic)\n"
      "  --forwarding, --assignment, --return  what its Capabilities offer (default all)\n"
      "  --new-router-id ADDR  the router id it takes on SIGUSR1 (the address must be its own)\n");
}

uint32_t methods(const std::string& list, bool assignment) {
  uint32_t v = 0;
  std::stringstream s(list);
  std::string m;
  while (std::getline(s, m, ',')) {
    if (m == (assignment ? "hash" : "gre")) {
      v |= assignment ? w::method::kHash : w::method::kGre;
    } else if (m == (assignment ? "mask" : "l2")) {
      v |= assignment ? w::method::kMask : w::method::kL2;
    } else {
      return 0;
    }
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  Sim sim;
  int queueNum = 9;
  std::string password, statusPath, readyPath;
  uint32_t forwarding = w::method::kGre | w::method::kL2;
  uint32_t assignment = w::method::kHash | w::method::kMask;
  uint32_t returns = w::method::kGre | w::method::kL2;
  bool omitCapabilities = false;
  uint32_t newRouterId = 0;
  std::vector<std::pair<int, std::string>> services;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--router-id") {
      auto ip = bh::IpAddress::parse(val());
      if (!ip || !ip->isV4()) {
        usage();
        return 2;
      }
      const auto& b = ip->bytes();
      sim.routerId = be32(b.data());
    } else if (a == "--service") {
      std::string v = val();
      auto colon = v.find(':');
      if (colon == std::string::npos) {
        usage();
        return 2;
      }
      services.emplace_back(std::atoi(v.substr(0, colon).c_str()), v.substr(colon + 1));
    } else if (a == "--box-link") {
      sim.boxLink = val();
    } else if (a == "--queue") {
      queueNum = std::atoi(val().c_str());
    } else if (a == "--password") {
      password = val();
    } else if (a == "--forwarding") {
      forwarding = methods(val(), false);
    } else if (a == "--assignment") {
      assignment = methods(val(), true);
    } else if (a == "--return") {
      returns = methods(val(), false);
    } else if (a == "--new-router-id") {
      auto ip = bh::IpAddress::parse(val());
      if (!ip || !ip->isV4()) {
        usage();
        return 2;
      }
      newRouterId = be32(ip->bytes().data());
    } else if (a == "--no-capabilities") {
      omitCapabilities = true;
    } else if (a == "--status") {
      statusPath = val();
    } else if (a == "--ready") {
      readyPath = val();
    } else {
      usage();
      return 2;
    }
  }
  if (sim.routerId == 0 || services.empty() || sim.boxLink.empty() || forwarding == 0 ||
      assignment == 0 || returns == 0) {
    usage();
    return 2;
  }
  sim.boxLinkIndex = static_cast<int>(if_nametoindex(sim.boxLink.c_str()));
  for (const auto& [id, ifname] : services) {
    bh::lab::WccpRouterConfig c;
    c.routerId = sim.routerId;
    c.serviceId = static_cast<uint8_t>(id);
    if (!password.empty()) {
      std::string why;
      c.password = w::Md5Password::make(password, &why);
      if (!c.password) {
        std::fprintf(stderr, "bh-wccp-router: %s\n", why.c_str());
        return 2;
      }
    }
    c.forwarding = forwarding;
    c.assignment = assignment;
    c.returns = returns;
    c.omitCapabilities = omitCapabilities;
    Service s;
    s.id = static_cast<uint8_t>(id);
    s.interface = ifname;
    s.router = std::make_unique<bh::lab::WccpRouter>(c);
    sim.services.push_back(std::move(s));
  }
  signal(SIGTERM, onStop);
  signal(SIGINT, onStop);
  signal(SIGUSR1, onChangeRouterId);
  signal(SIGUSR2, onToggleLoop);

  sockaddr_in me{};
  me.sin_family = AF_INET;
  me.sin_addr.s_addr = htonl(sim.routerId);
  me.sin_port = htons(w::kWccpPort);
  sim.udpFd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (sim.udpFd < 0 || bind(sim.udpFd, reinterpret_cast<sockaddr*>(&me), sizeof(me)) != 0) {
    std::perror("bh-wccp-router: bind UDP 2048");
    return 1;
  }
  // GRE leaves from the router id, as a Cisco router sources it (boxes check the source).
  sim.greFd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_GRE);
  me.sin_port = 0;
  if (sim.greFd < 0 || bind(sim.greFd, reinterpret_cast<sockaddr*>(&me), sizeof(me)) != 0) {
    std::perror("bh-wccp-router: raw GRE socket");
    return 1;
  }
  sim.rawFd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
  sim.packetFd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
  if (sim.rawFd < 0 || sim.packetFd < 0) {
    std::perror("bh-wccp-router: raw IP / packet socket");
    return 1;
  }
  nfq_handle* h = nfq_open();
  if (h == nullptr) {
    std::perror("bh-wccp-router: nfq_open");
    return 1;
  }
  sim.queue = nfq_create_queue(h, static_cast<uint16_t>(queueNum), &onPacket, &sim);
  if (sim.queue == nullptr || nfq_set_mode(sim.queue, NFQNL_COPY_PACKET, 0xffff) < 0 ||
      nfq_set_queue_maxlen(sim.queue, 8192) < 0) {
    std::fprintf(stderr, "bh-wccp-router: cannot bind queue %d: %s\n", queueNum,
                 std::strerror(errno));
    return 1;
  }
  nfnl_rcvbufsiz(nfq_nfnlh(h), 8 * 1024 * 1024);
  const int qfd = nfq_fd(h);
  if (!readyPath.empty()) {
    std::ofstream(readyPath) << getpid() << "\n";
  }
  logLine("router " + dotted(sim.routerId) + " up, queue " + std::to_string(queueNum));

  alignas(16) static uint8_t buf[1 << 16];
  uint64_t nextTick = 0, nextStatus = 0;
  std::map<int, std::string> lastProblems;
  while (!stopRequested) {
    if (routerIdChangeRequested && newRouterId != 0 && newRouterId != sim.routerId) {
      routerIdChangeRequested = 0;
      // GRE leaves from the router id: a new raw socket bound to the new one.
      sockaddr_in id{};
      id.sin_family = AF_INET;
      id.sin_addr.s_addr = htonl(newRouterId);
      const int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_GRE);
      if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&id), sizeof(id)) != 0) {
        std::perror("bh-wccp-router: raw GRE socket for the new router id");
        if (fd >= 0) {
          close(fd);
        }
      } else {
        if (sim.greSendFd >= 0) {
          close(sim.greSendFd);
        }
        sim.greSendFd = fd;
        logLine("router id changed from " + dotted(sim.routerId) + " to " + dotted(newRouterId));
        sim.routerId = newRouterId;
        for (auto& s : sim.services) {
          s.router->changeRouterId(newRouterId);
        }
      }
    }
    const uint64_t now = nowMs();
    if (now >= nextTick) {
      for (size_t i = 0; i < sim.services.size(); ++i) {
        auto& s = sim.services[i];
        sendDatagrams(sim, s.router->tick(now));
        if (s.router->lastProblem() != lastProblems[int(i)]) {
          lastProblems[int(i)] = s.router->lastProblem();
          logLine("service " + std::to_string(s.id) + ": " + s.router->lastProblem());
        }
      }
      nextTick = now + 250;
    }
    if (now >= nextStatus) {
      writeStatus(statusPath, sim);
      nextStatus = now + 500;
    }
    pollfd pfd[3] = {{sim.udpFd, POLLIN, 0}, {qfd, POLLIN, 0}, {sim.greFd, POLLIN, 0}};
    int r = poll(pfd, 3, 100);
    if (r < 0 && errno != EINTR) {
      std::perror("bh-wccp-router: poll");
      return 1;
    }
    if (r <= 0) {
      continue;
    }
    if (pfd[0].revents & POLLIN) {
      for (int i = 0; i < 64; ++i) {
        sockaddr_in from{};
        socklen_t len = sizeof(from);
        ssize_t n =
            recvfrom(sim.udpFd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0) {
          break;
        }
        onWccpDatagram(sim, ntohl(from.sin_addr.s_addr), bh::ByteSpan(buf, static_cast<size_t>(n)));
      }
    }
    if (pfd[1].revents & POLLIN) {
      for (int i = 0; i < 256; ++i) {
        ssize_t n = recv(qfd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n <= 0) {
          break;
        }
        nfq_handle_packet(h, reinterpret_cast<char*>(buf), static_cast<int>(n));
      }
    }
    if (pfd[2].revents & POLLIN) {
      for (int i = 0; i < 256; ++i) {
        ssize_t n = recv(sim.greFd, buf, sizeof(buf), 0);
        if (n <= 0) {
          break;
        }
        onGreFromBox(sim, buf, static_cast<size_t>(n));
      }
    }
  }
  writeStatus(statusPath, sim);
  nfq_destroy_queue(sim.queue);
  nfq_close(h);
  return 0;
}
