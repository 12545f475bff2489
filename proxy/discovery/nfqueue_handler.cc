#include "proxy/discovery/nfqueue_handler.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

extern "C" {
#include <libnetfilter_queue/libnetfilter_queue.h>
}

#include "proxy/codec/syn_rewrite.h"
#include "proxy/codec/tcp_packet.h"
#include "redirect/interception.h"

namespace bh::proxy {

namespace {

struct PacketTuple {
  policy::FlowKey flow;  ///< as the packet travels: src -> dst
  uint8_t tcpFlags = 0;
};

bool tupleOf(ByteSpan pkt, const codec::TcpPacketLayout& l, PacketTuple& out) {
  size_t t = l.tcpOffset();
  if (pkt.size() < t + 20) {
    return false;
  }
  if (l.ipVersion == 4) {
    std::array<uint8_t, 4> s{}, d{};
    std::memcpy(s.data(), &pkt[12], 4);
    std::memcpy(d.data(), &pkt[16], 4);
    out.flow.src = IpAddress::v4(s);
    out.flow.dst = IpAddress::v4(d);
  } else {
    std::array<uint8_t, 16> s{}, d{};
    std::memcpy(s.data(), &pkt[8], 16);
    std::memcpy(d.data(), &pkt[24], 16);
    out.flow.src = IpAddress::v6(s);
    out.flow.dst = IpAddress::v6(d);
  }
  out.flow.srcPort = static_cast<uint16_t>(pkt[t] << 8 | pkt[t + 1]);
  out.flow.dstPort = static_cast<uint16_t>(pkt[t + 2] << 8 | pkt[t + 3]);
  out.tcpFlags = pkt[t + 13];
  return true;
}

constexpr uint8_t kSyn = 0x02;
constexpr uint8_t kAck = 0x10;
constexpr uint8_t kRst = 0x04;

}  // namespace

NfqueueHandler::NfqueueHandler(uv_loop_t* loop, Settings settings, DiscoveryTable& edgeTable,
                               DiscoveryTable& coreTable, CorePolicyFn corePolicy)
    : loop_(loop),
      settings_(settings),
      edgeTable_(edgeTable),
      coreTable_(coreTable),
      corePolicy_(std::move(corePolicy)) {}

NfqueueHandler::~NfqueueHandler() {
  stop();
}

int NfqueueHandler::start() {
  handle_ = nfq_open();
  if (handle_ == nullptr) {
    return -errno;
  }
  queue_ = nfq_create_queue(handle_, settings_.queueNum, &NfqueueHandler::onPacketThunk, this);
  if (queue_ == nullptr) {
    int e = errno;
    nfq_close(handle_);
    handle_ = nullptr;
    return -(e ? e : EBUSY);
  }
  // Whole packets (SYNs are small); no GSO flag, so the kernel completes checksums first.
  nfq_set_mode(queue_, NFQNL_COPY_PACKET, 0xffff);
  // No NFQA_CFG_F_FAIL_OPEN: a handshake packet that finds the queue (or our socket) full is
  // dropped and retransmitted by its sender, never let through unhandled. Letting it through
  // splits one connection in two at a core that is behind: its first SYN waits here for the
  // TPROXY mark while the retransmitted one, let through, reaches the server, which answers
  // too; if the edge completes with the server, the core's pending handshake for the same
  // 4-tuple takes the edge's next packets (`socket transparent`) and resets them
  // (docs/ARCHITECTURE.md "Auto-discovery under load"). --queue-bypass still lets traffic
  // through when no daemon is bound to the queue.
  nfq_set_queue_maxlen(queue_, kQueueMaxLen);
  int fd = nfq_fd(handle_);
  int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
  // Room for a full queue of SYNs in our socket (each message is the packet plus netlink
  // attributes, about 1 KiB of socket memory): a burst waits here instead of being dropped.
  // SO_RCVBUFFORCE passes net.core.rmem_max with CAP_NET_ADMIN, which the daemon keeps.
  int bytes = static_cast<int>(kQueueMaxLen * 2048);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
  }
  poll_ = new uv_poll_t;
  poll_->data = this;
  uv_poll_init(loop_, poll_, fd);
  uv_poll_start(poll_, UV_READABLE, [](uv_poll_t* p, int status, int) {
    if (status == 0) {
      static_cast<NfqueueHandler*>(p->data)->onReadable();
    }
  });
  return 0;
}

void NfqueueHandler::stop() {
  if (poll_ != nullptr) {
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
  }
  if (queue_ != nullptr) {
    nfq_destroy_queue(queue_);
    queue_ = nullptr;
  }
  if (handle_ != nullptr) {
    nfq_close(handle_);
    handle_ = nullptr;
  }
}

void NfqueueHandler::onReadable() {
  alignas(16) static char buf[0x10000 + 4096];
  int fd = nfq_fd(handle_);
  for (int i = 0; i < 256; ++i) {
    ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n <= 0) {
      break;
    }
    nfq_handle_packet(handle_, buf, static_cast<int>(n));
  }
}

int NfqueueHandler::onPacketThunk(nfq_q_handle* qh, nfgenmsg*, nfq_data* nfa, void* data) {
  return static_cast<NfqueueHandler*>(data)->onPacket(qh, nfa);
}

int NfqueueHandler::onPacket(nfq_q_handle* qh, nfq_data* nfa) {
  nfqnl_msg_packet_hdr* ph = nfq_get_msg_packet_hdr(nfa);
  if (ph == nullptr) {
    return 0;
  }
  uint32_t id = ntohl(ph->packet_id);
  unsigned char* payload = nullptr;
  int len = nfq_get_payload(nfa, &payload);
  auto accept = [&]() { return nfq_set_verdict(qh, id, NF_ACCEPT, 0, nullptr); };
  if (len <= 0) {
    return accept();
  }
  ByteSpan pkt(payload, static_cast<size_t>(len));
  codec::PacketParse parse = codec::parseTcpPacket(pkt);
  PacketTuple t;
  if (parse.status != codec::PacketStatus::Ok || !tupleOf(pkt, parse.layout, t)) {
    ++counters_.notHandled;
    return accept();
  }
  const uint64_t now = uv_hrtime();
  const bool syn = (t.tcpFlags & kSyn) != 0;
  const bool ack = (t.tcpFlags & kAck) != 0;
  if (!syn || (t.tcpFlags & kRst) != 0) {
    return accept();
  }
  ++counters_.synsSeen;
  const uint32_t mark = nfq_get_nfmark(nfa);
  const uint8_t hook = ph->hook;

  if (!ack) {
    if (settings_.edge && hook == NF_INET_PRE_ROUTING) {
      // Only our own outbound SYN carries an edge's option naming this box: one that comes in
      // was sent back to us (a WCCP router redirecting the box's own traffic). Taken, it would
      // meet the flow's client-facing socket (the same four addresses, full transparency) and
      // reset it; dropped, the owner resets the flow and names the loop.
      codec::FindResult found = codec::findOption(pkt, settings_.format);
      if (found.status == codec::FindStatus::Found && !found.option.isAnswer() &&
          found.option.role == codec::Role::Edge && found.option.deviceId == settings_.deviceId) {
        ++counters_.ownSynsLooped;
        if (onLoop_) {
          onLoop_(t.flow);
        }
        return nfq_set_verdict(qh, id, NF_DROP, 0, nullptr);
      }
    }
    if (settings_.edge && hook == NF_INET_POST_ROUTING &&
        (mark & redirect::Marks::kMask) == redirect::Marks::kOutDiscover) {
      // Our own outbound leg: ask for a peer.
      DiscoveryEntry* e = edgeTable_.find(t.flow, now);
      if (e == nullptr) {
        // No flow waits for this SYN's answer (it expired or was given up), so nobody could
        // act on one: asking with a policy we do not know would let the core apply another.
        ++counters_.synsWithoutFlow;
        return accept();
      }
      codec::DiscoveryOption opt;
      opt.deviceId = settings_.deviceId;
      opt.role = codec::Role::Edge;
      opt.requestedPolicy = e->requestedPolicy;
      opt.flags = e->secureFlags;
      auto rewritten = codec::insertOption(pkt, opt, settings_.format);
      if (!rewritten) {
        ++counters_.optionNoRoom;
        return accept();
      }
      ++counters_.optionsAdded;
      return nfq_set_verdict(qh, id, NF_ACCEPT, static_cast<uint32_t>(rewritten->size()),
                             rewritten->data());
    }
    if (settings_.core && hook == NF_INET_PRE_ROUTING) {
      codec::FindResult found = codec::findOption(pkt, settings_.format);
      if (found.status == codec::FindStatus::Malformed) {
        ++counters_.malformedOptions;
        return accept();
      }
      if (found.status != codec::FindStatus::Found || found.option.isAnswer() ||
          found.option.role != codec::Role::Edge) {
        return accept();
      }
      ++counters_.peerSynsSeen;
      if (DiscoveryEntry* known = coreTable_.find(t.flow, now); known && known->peerOption) {
        // A retransmission of a SYN we already took (the edge gave up waiting for our SYN-ACK):
        // the answer and the accepted flow keep the first one's classification, so what the
        // edge reads in whichever SYN-ACK reaches it is what this box applies.
        ++counters_.peerSynsRepeated;
      } else {
        DiscoveryEntry entry;
        entry.peerOption = found.option;
        entry.requestedPolicy =
            corePolicy_ ? corePolicy_(t.flow, found.option.requestedPolicy, entry) : 0;
        coreTable_.put(t.flow, entry, now);
      }
      auto stripped = codec::stripOption(pkt, settings_.format);
      // The mark makes the core's TPROXY rule take this SYN (redirect/interception.cc).
      uint32_t newMark = (mark & ~redirect::Marks::kMask) | redirect::Marks::kDiscovered;
      if (stripped) {
        return nfq_set_verdict2(qh, id, NF_ACCEPT, newMark, static_cast<uint32_t>(stripped->size()),
                                stripped->data());
      }
      return nfq_set_verdict2(qh, id, NF_ACCEPT, newMark, 0, nullptr);
    }
    return accept();
  }

  // SYN-ACK: the flow seen from the client is the reverse of this packet's direction.
  policy::FlowKey clientFlow = t.flow.reversed();
  if (settings_.core && hook == NF_INET_LOCAL_OUT) {
    DiscoveryEntry* e = coreTable_.find(clientFlow, now);
    if (e == nullptr || !e->peerOption) {
      return accept();
    }
    codec::DiscoveryOption opt;
    opt.deviceId = settings_.deviceId;
    opt.role = codec::Role::Core;
    // The Answer bit is among them (leg_security.h: an answer to an `auto` edge may omit it).
    opt.flags = e->secureFlags;
    opt.requestedPolicy = e->requestedPolicy;
    auto rewritten = codec::insertOption(pkt, opt, settings_.format);
    if (!rewritten) {
      // The edge will see no answer and pass the flow through; so must we.
      e->peerOption.reset();
      ++counters_.optionNoRoom;
      return accept();
    }
    ++counters_.answersAdded;
    return nfq_set_verdict(qh, id, NF_ACCEPT, static_cast<uint32_t>(rewritten->size()),
                           rewritten->data());
  }
  if (settings_.edge && hook == NF_INET_PRE_ROUTING) {
    codec::FindResult found = codec::findOption(pkt, settings_.format);
    if (found.status == codec::FindStatus::Malformed) {
      ++counters_.malformedOptions;
      return accept();
    }
    if (found.status != codec::FindStatus::Found || !found.option.isAnswer() ||
        found.option.role != codec::Role::Core) {
      return accept();
    }
    DiscoveryEntry* e = edgeTable_.find(clientFlow, now);
    if (e == nullptr) {
      return accept();  // not a flow we asked about
    }
    ++counters_.answersSeen;
    e->peerOption = found.option;
    auto stripped = codec::stripOption(pkt, settings_.format);
    if (stripped) {
      return nfq_set_verdict(qh, id, NF_ACCEPT, static_cast<uint32_t>(stripped->size()),
                             stripped->data());
    }
  }
  return accept();
}

}  // namespace bh::proxy
