#include "redirect/route_netlink.h"

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bh::redirect {

namespace {

constexpr size_t kMessageBytes = 1024;

uint8_t family(const IpAddress& a) {
  return a.isV4() ? AF_INET : AF_INET6;
}
size_t addressBytes(const IpAddress& a) {
  return a.isV4() ? 4 : 16;
}

std::optional<IpAddress> addressFrom(uint8_t fam, const void* data, uint16_t len) {
  if (fam == AF_INET && len == 4) {
    std::array<uint8_t, 4> b{};
    std::memcpy(b.data(), data, 4);
    return IpAddress::v4(b);
  }
  if (fam == AF_INET6 && len == 16) {
    std::array<uint8_t, 16> b{};
    std::memcpy(b.data(), data, 16);
    return IpAddress::v6(b);
  }
  return std::nullopt;
}

/// The header of a route message for a host route to `destination` in `table`.
rtmsg* putRouteHeader(nlmsghdr* nlh, const IpAddress& destination, uint32_t table) {
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = family(destination);
  rtm->rtm_dst_len = static_cast<uint8_t>(destination.bitLength());
  // rtm_table is 8 bits: larger table ids travel in RTA_TABLE (rtnetlink(7)).
  rtm->rtm_table = static_cast<uint8_t>(table < 256 ? table : uint32_t{RT_TABLE_UNSPEC});
  mnl_attr_put(nlh, RTA_DST, addressBytes(destination), destination.bytes().data());
  mnl_attr_put_u32(nlh, RTA_TABLE, table);
  return rtm;
}

Bytes finish(const char* buf, const nlmsghdr* nlh) {
  return Bytes(reinterpret_cast<const uint8_t*>(buf),
               reinterpret_cast<const uint8_t*>(buf) + nlh->nlmsg_len);
}

}  // namespace

Bytes buildGetRoute(const IpAddress& destination, uint32_t seq) {
  alignas(nlmsghdr) char buf[kMessageBytes];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_GETROUTE;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  nlh->nlmsg_seq = seq;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = family(destination);
  rtm->rtm_dst_len = static_cast<uint8_t>(destination.bitLength());
  mnl_attr_put(nlh, RTA_DST, addressBytes(destination), destination.bytes().data());
  return finish(buf, nlh);
}

Bytes buildReplaceRoute(const PeerHostRoute& route, uint32_t seq) {
  alignas(nlmsghdr) char buf[kMessageBytes];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWROUTE;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
  nlh->nlmsg_seq = seq;
  rtmsg* rtm = putRouteHeader(nlh, route.via.destination, route.table);
  rtm->rtm_protocol = RTPROT_STATIC;
  rtm->rtm_type = RTN_UNICAST;
  rtm->rtm_scope = route.via.gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  if (route.via.gateway) {
    mnl_attr_put(nlh, RTA_GATEWAY, addressBytes(*route.via.gateway),
                 route.via.gateway->bytes().data());
  }
  mnl_attr_put_u32(nlh, RTA_OIF, route.via.outputInterface);
  nlattr* metrics = mnl_attr_nest_start(nlh, RTA_METRICS);
  if (route.via.mtu != 0) {
    mnl_attr_put_u32(nlh, RTAX_MTU, route.via.mtu);
  }
  if (route.via.advmss != 0) {
    mnl_attr_put_u32(nlh, RTAX_ADVMSS, route.via.advmss);
  }
  mnl_attr_put_u32(nlh, RTAX_INITCWND, route.initialWindowSegments);
  mnl_attr_nest_end(nlh, metrics);
  return finish(buf, nlh);
}

Bytes buildDeleteRoute(uint32_t table, const IpAddress& destination, uint32_t seq) {
  alignas(nlmsghdr) char buf[kMessageBytes];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_DELROUTE;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  nlh->nlmsg_seq = seq;
  rtmsg* rtm = putRouteHeader(nlh, destination, table);
  rtm->rtm_scope = RT_SCOPE_NOWHERE;
  return finish(buf, nlh);
}

RouteAnswer parseRouteAnswer(ByteSpan message, ResolvedRoute& out, int* errorCode) {
  // Copied so the netlink structures are read from aligned memory whatever the caller holds.
  if (message.size() < sizeof(nlmsghdr) || message.size() > (1u << 20)) {
    return RouteAnswer::Malformed;
  }
  std::vector<uint32_t> aligned((message.size() + 3) / 4);
  std::memcpy(aligned.data(), message.data(), message.size());
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(aligned.data());
  // Compared unsigned: mnl_nlmsg_ok compares as int, so a length of 2^31 or more passes it.
  if (nlh->nlmsg_len < sizeof(nlmsghdr) || nlh->nlmsg_len > message.size()) {
    return RouteAnswer::Malformed;
  }
  if (nlh->nlmsg_type == NLMSG_ERROR) {
    if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(nlmsgerr))) {
      return RouteAnswer::Malformed;
    }
    const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
    if (errorCode != nullptr) {
      *errorCode = err->error;
    }
    return RouteAnswer::Error;
  }
  if (nlh->nlmsg_type != RTM_NEWROUTE || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(rtmsg))) {
    return RouteAnswer::Error;
  }
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6) {
    return RouteAnswer::Malformed;
  }
  struct Seen {
    const nlattr* dst = nullptr;
    const nlattr* gateway = nullptr;
    const nlattr* oif = nullptr;
    const nlattr* metrics = nullptr;
    bool via = false;
    bool multipath = false;
  } seen;
  const nlattr* attr = nullptr;
  int remaining = static_cast<int>(nlh->nlmsg_len - mnl_nlmsg_size(sizeof(rtmsg)));
  const auto* first = reinterpret_cast<const nlattr*>(
      static_cast<const char*>(mnl_nlmsg_get_payload(nlh)) + MNL_ALIGN(sizeof(rtmsg)));
  for (attr = first; mnl_attr_ok(attr, remaining); attr = mnl_attr_next(attr)) {
    remaining -= static_cast<int>(MNL_ALIGN(attr->nla_len));
    switch (mnl_attr_get_type(attr)) {
      case RTA_DST:
        seen.dst = attr;
        break;
      case RTA_GATEWAY:
        seen.gateway = attr;
        break;
      case RTA_OIF:
        seen.oif = attr;
        break;
      case RTA_METRICS:
        seen.metrics = attr;
        break;
      case RTA_VIA:
        seen.via = true;
        break;
      case RTA_MULTIPATH:
        seen.multipath = true;
        break;
      default:
        break;
    }
  }
  if (remaining != 0 && remaining >= static_cast<int>(sizeof(nlattr))) {
    return RouteAnswer::Malformed;
  }
  if (rtm->rtm_type != RTN_UNICAST) {
    return RouteAnswer::NotUnicast;
  }
  if (seen.via || seen.multipath) {
    return RouteAnswer::Unsupported;
  }
  if (seen.dst == nullptr || seen.oif == nullptr || mnl_attr_validate(seen.oif, MNL_TYPE_U32) < 0) {
    return RouteAnswer::Malformed;
  }
  auto dst = addressFrom(rtm->rtm_family, mnl_attr_get_payload(seen.dst),
                         mnl_attr_get_payload_len(seen.dst));
  if (!dst) {
    return RouteAnswer::Malformed;
  }
  ResolvedRoute r;
  r.destination = *dst;
  r.outputInterface = mnl_attr_get_u32(seen.oif);
  if (seen.gateway != nullptr) {
    r.gateway = addressFrom(rtm->rtm_family, mnl_attr_get_payload(seen.gateway),
                            mnl_attr_get_payload_len(seen.gateway));
    if (!r.gateway) {
      return RouteAnswer::Malformed;
    }
  }
  if (seen.metrics != nullptr) {
    int left = static_cast<int>(mnl_attr_get_payload_len(seen.metrics));
    for (const auto* m = static_cast<const nlattr*>(mnl_attr_get_payload(seen.metrics));
         mnl_attr_ok(m, left); m = mnl_attr_next(m)) {
      left -= static_cast<int>(MNL_ALIGN(m->nla_len));
      if (mnl_attr_validate(m, MNL_TYPE_U32) < 0) {
        return RouteAnswer::Malformed;
      }
      if (mnl_attr_get_type(m) == RTAX_MTU) {
        r.mtu = mnl_attr_get_u32(m);
      } else if (mnl_attr_get_type(m) == RTAX_ADVMSS) {
        r.advmss = mnl_attr_get_u32(m);
      }
    }
  }
  out = r;
  return RouteAnswer::Ok;
}

RouteNetlink::~RouteNetlink() {
  if (socket_ != nullptr) {
    mnl_socket_close(socket_);
  }
}

int RouteNetlink::open() {
  socket_ = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (socket_ == nullptr) {
    return -errno;
  }
  if (mnl_socket_bind(socket_, 0, MNL_SOCKET_AUTOPID) < 0) {
    int e = errno;
    mnl_socket_close(socket_);
    socket_ = nullptr;
    return -e;
  }
  portId_ = mnl_socket_get_portid(socket_);
  return 0;
}

bool RouteNetlink::transact(const Bytes& request, uint32_t seq, Bytes& answer, std::string& error) {
  if (socket_ == nullptr) {
    error = "route netlink socket not open";
    return false;
  }
  if (mnl_socket_sendto(socket_, request.data(), request.size()) < 0) {
    error = std::string("netlink send: ") + std::strerror(errno);
    return false;
  }
  // The answer to this request (a stale one from a request that timed out is skipped).
  alignas(nlmsghdr) char buf[8192];
  for (int tries = 0; tries < 8; ++tries) {
    ssize_t n = mnl_socket_recvfrom(socket_, buf, sizeof(buf));
    if (n < 0) {
      error = std::string("netlink receive: ") + std::strerror(errno);
      return false;
    }
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(buf);
    if (static_cast<size_t>(n) < sizeof(nlmsghdr) || nlh->nlmsg_len < sizeof(nlmsghdr) ||
        nlh->nlmsg_len > static_cast<size_t>(n)) {
      error = "netlink: truncated answer";
      return false;
    }
    if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != portId_) {
      continue;
    }
    answer.assign(reinterpret_cast<const uint8_t*>(buf),
                  reinterpret_cast<const uint8_t*>(buf) + nlh->nlmsg_len);
    return true;
  }
  error = "netlink: no answer to our request";
  return false;
}

bool RouteNetlink::expectAck(const Bytes& request, uint32_t seq, std::string& error) {
  Bytes answer;
  if (!transact(request, seq, answer, error)) {
    return false;
  }
  ResolvedRoute ignored;
  int code = 0;
  if (parseRouteAnswer(answer, ignored, &code) != RouteAnswer::Error) {
    error = "netlink: unexpected answer";
    return false;
  }
  if (code != 0) {
    error = std::strerror(-code);
    return false;
  }
  return true;
}

std::optional<ResolvedRoute> RouteNetlink::resolve(const IpAddress& destination,
                                                   std::string& error) {
  uint32_t seq = seq_++;
  Bytes answer;
  if (!transact(buildGetRoute(destination, seq), seq, answer, error)) {
    return std::nullopt;
  }
  ResolvedRoute r;
  int code = 0;
  switch (parseRouteAnswer(answer, r, &code)) {
    case RouteAnswer::Ok:
      return r;
    case RouteAnswer::NotUnicast:
      error = "not a unicast route";
      break;
    case RouteAnswer::Unsupported:
      error = "multipath or cross-family gateway";
      break;
    case RouteAnswer::Error:
      error = code != 0 ? std::strerror(-code) : "not a route";
      break;
    case RouteAnswer::Malformed:
      error = "malformed route answer";
      break;
  }
  return std::nullopt;
}

bool RouteNetlink::replace(const PeerHostRoute& route, std::string& error) {
  uint32_t seq = seq_++;
  return expectAck(buildReplaceRoute(route, seq), seq, error);
}

bool RouteNetlink::remove(uint32_t table, const IpAddress& destination, std::string& error) {
  uint32_t seq = seq_++;
  return expectAck(buildDeleteRoute(table, destination, seq), seq, error);
}

}  // namespace bh::redirect
