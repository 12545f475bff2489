#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>

#include "proxy/codec/discovery_option.h"
#include "proxy/discovery/discovery_table.h"

struct nfq_handle;
struct nfq_q_handle;
struct nfq_data;
struct nfgenmsg;

namespace bh::proxy {

/// Counters for `show statistics auto-discovery`-like troubleshooting.
struct DiscoveryCounters {
  uint64_t synsSeen = 0;
  uint64_t optionsAdded = 0;      ///< edge: our SYN carried the option
  uint64_t optionNoRoom = 0;      ///< edge: no room in the SYN (flow will pass through)
  uint64_t peerSynsSeen = 0;      ///< core: SYNs carrying an edge's option
  uint64_t peerSynsRepeated = 0;  ///< core: of those, a retransmission of a SYN already answered
  uint64_t synsWithoutFlow = 0;   ///< edge: our SYN whose flow we no longer know (sent plain)
  uint64_t answersAdded = 0;      ///< core: SYN-ACKs answered
  uint64_t answersSeen = 0;       ///< edge: SYN-ACKs carrying a core's answer
  uint64_t malformedOptions = 0;  ///< forged/truncated options, left untouched
  /// edge: our own SYN came back in (its option names this box): a router redirected the
  /// box's traffic back to it (a redirect loop); dropped, its flow reset by the owner
  uint64_t ownSynsLooped = 0;
  uint64_t notHandled = 0;
};

/// The SYN / SYN-ACK handler on NFQUEUE (libnetfilter_queue, driven by the libuv loop). Only
/// handshake packets reach it (redirect/ queues nothing else), each gets its verdict at once,
/// and the queue is bypassed when no daemon is bound to it (--queue-bypass). A full queue drops
/// (the sender retransmits) rather than failing open: see start().
class NfqueueHandler {
 public:
  /// Handshake packets waiting for a verdict, at most (a SYN burst of this size is held, not
  /// dropped).
  static constexpr unsigned kQueueMaxLen = 4096;
  struct Settings {
    uint16_t queueNum = 0;
    bool edge = false;
    bool core = false;
    codec::DeviceId deviceId;
    codec::OptionFormat format;
  };
  /// Core: classifies the edge's flow (into `entry.decision`) and returns the policy bits to
  /// answer its SYN with.
  using CorePolicyFn =
      std::function<uint8_t(const policy::FlowKey&, uint8_t requested, DiscoveryEntry& entry)>;

  /// Edge: our own SYN of `flow` (as the client opened it) came back in.
  using LoopFn = std::function<void(const policy::FlowKey& flow)>;

  NfqueueHandler(uv_loop_t* loop, Settings settings, DiscoveryTable& edgeTable,
                 DiscoveryTable& coreTable, CorePolicyFn corePolicy);
  void setLoopHandler(LoopFn onLoop) { onLoop_ = std::move(onLoop); }
  ~NfqueueHandler();

  /// Binds the queue; returns 0 or -errno.
  int start();
  void stop();
  const DiscoveryCounters& counters() const { return counters_; }

 private:
  static int onPacketThunk(nfq_q_handle* qh, nfgenmsg* msg, nfq_data* nfa, void* data);
  int onPacket(nfq_q_handle* qh, nfq_data* nfa);
  void onReadable();

  uv_loop_t* loop_;
  Settings settings_;
  DiscoveryTable& edgeTable_;
  DiscoveryTable& coreTable_;
  CorePolicyFn corePolicy_;
  LoopFn onLoop_;
  nfq_handle* handle_ = nullptr;
  nfq_q_handle* queue_ = nullptr;
  uv_poll_t* poll_ = nullptr;
  DiscoveryCounters counters_;
};

}  // namespace bh::proxy
