#include "proxy/encryption_service/dc_locator.h"

#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace bh::proxy {

namespace es = secure::encryption_service;

namespace {

struct Srv {
  uint16_t priority = 0;
  uint16_t weight = 0;
  std::string target;
};

/// The SRV records of `name` (RFC 2782), or none (why says so).
std::vector<Srv> srvRecords(const std::string& name, std::string& why) {
  std::vector<Srv> out;
  struct __res_state st {};
  if (res_ninit(&st) != 0) {
    why = "the resolver cannot start";
    return out;
  }
  unsigned char answer[8192];
  int len = res_nquery(&st, name.c_str(), ns_c_in, ns_t_srv, answer, sizeof(answer));
  if (len < 0) {
    why = "no SRV record " + name;
    res_nclose(&st);
    return out;
  }
  ns_msg msg;
  if (ns_initparse(answer, len, &msg) != 0) {
    why = "a DNS answer for " + name + " that does not parse";
    res_nclose(&st);
    return out;
  }
  for (int i = 0; i < ns_msg_count(msg, ns_s_an) && out.size() < 16; ++i) {
    ns_rr rr;
    if (ns_parserr(&msg, ns_s_an, i, &rr) != 0 || ns_rr_type(rr) != ns_t_srv ||
        ns_rr_rdlen(rr) < 7) {
      continue;
    }
    const unsigned char* rd = ns_rr_rdata(rr);
    Srv s;
    s.priority = static_cast<uint16_t>((rd[0] << 8) | rd[1]);
    s.weight = static_cast<uint16_t>((rd[2] << 8) | rd[3]);
    char target[NS_MAXDNAME];
    if (dn_expand(ns_msg_base(msg), ns_msg_end(msg), rd + 6, target, sizeof(target)) < 0) {
      continue;
    }
    s.target = target;
    out.push_back(std::move(s));
  }
  res_nclose(&st);
  std::stable_sort(out.begin(), out.end(), [](const Srv& a, const Srv& b) {
    return a.priority != b.priority ? a.priority < b.priority : a.weight > b.weight;
  });
  if (out.empty()) {
    why = "no SRV record " + name;
  }
  return out;
}

/// The FQDN of a configured DC given as an address: its PTR name, or the address itself.
std::string nameOf(const std::string& dc) {
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo* res = nullptr;
  if (::getaddrinfo(dc.c_str(), nullptr, &hints, &res) != 0) {
    return dc;  // a name already
  }
  char host[NI_MAXHOST];
  std::string name = dc;
  if (::getnameinfo(res->ai_addr, res->ai_addrlen, host, sizeof(host), nullptr, 0, NI_NAMEREQD) ==
      0) {
    name = host;
  }
  ::freeaddrinfo(res);
  return name;
}

}  // namespace

std::vector<es::DomainController> DnsDcLocator::locate(const std::string& domain,
                                                       const std::vector<std::string>& configured,
                                                       std::string& why) {
  std::vector<es::DomainController> out;
  if (!configured.empty()) {
    for (const auto& dc : configured) {
      out.push_back({nameOf(dc), dc});
    }
    return out;
  }
  for (const auto& s : srvRecords("_ldap._tcp.dc._msdcs." + domain, why)) {
    out.push_back({s.target, s.target});
  }
  return out;
}

}  // namespace bh::proxy
