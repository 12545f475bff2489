#pragma once

#include <uv.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace bh::proxy {

/// Relays two connected TCP sockets into each other with splice(2) through a pipe per
/// direction: the bytes never enter userspace. Used for pass-through flows (both legs raw, no
/// accelerator watching the bytes).
///
/// Same guarantees as the copying relay in Flow: a direction's EOF becomes shutdown(SHUT_WR)
/// towards the other socket once its pipe has drained; any error is reported to the owner
/// (which resets both ends); a full pipe stops reading the source (back-pressure), so a flow
/// never holds more than two pipes' worth of bytes (bufferedBytes()).
///
/// Pipes come from a per-thread pool and are held only while bytes are in them: an idle flow
/// holds none. Each socket is watched through a dup()ed descriptor with a uv_poll handle; the
/// owner keeps its own descriptors (and its libuv handles, which must stay idle: no reads, no
/// writes) and closes them after close().
class SpliceRelay {
 public:
  /// Pipe size asked for with F_SETPIPE_SZ; the kernel may give less (per-user pipe limits
  /// for an unprivileged daemon), and the relay works with whatever it gets.
  static constexpr size_t kPipeBytes = 1024 * 1024;
  /// Empty pipes the per-thread pool keeps for the next flow.
  static constexpr size_t kPoolMax = 8;

  class Owner {
   public:
    virtual ~Owner() = default;
    /// Leg `leg` failed (libuv error code): the owner resets the flow (and calls close()).
    virtual void onSpliceFailed(int leg, int uvErr) = 0;
    /// Both directions ended (EOF read and carried as a shutdown) with every byte delivered.
    virtual void onSpliceFinished() = 0;
  };

  /// Where each socket stands when the relay takes over.
  struct LegState {
    bool eofIn = false;        ///< its far end finished sending
    bool shutdownOut = false;  ///< we already shut down writing towards it
  };

  /// Starts relaying between fds[0] and fds[1]. Returns nullptr with `why` set when it cannot
  /// (e.g. out of descriptors): the caller then relays the copying way. `bytesRead` and
  /// `bytesWritten` are incremented as bytes come in from either socket and go out to either.
  static std::unique_ptr<SpliceRelay> start(uv_loop_t* loop, std::array<int, 2> fds,
                                            std::array<LegState, 2> state, Owner& owner,
                                            uint64_t& bytesRead, uint64_t& bytesWritten,
                                            std::string& why);

  SpliceRelay(const SpliceRelay&) = delete;
  SpliceRelay& operator=(const SpliceRelay&) = delete;
  ~SpliceRelay();

  /// Stops polling and releases the pipes (bytes still in one are dropped with it) and the
  /// duplicate descriptors. No owner callback follows. Idempotent.
  void close();
  /// Bytes in the pipes now (at most 2 x the pipe capacity).
  size_t bufferedBytes() const { return dirs_[0].inPipe + dirs_[1].inPipe; }
  /// Pipes created and not yet closed by this thread's relays (in use or pooled).
  static size_t pipesOpen();
  /// The pipe capacity the kernel gave the last pipe this thread created (0: none yet).
  static size_t lastPipeCapacity();

 private:
  struct Pipe {
    int rd = -1;
    int wr = -1;
    size_t capacity = 0;
    bool valid() const { return rd >= 0; }
  };
  /// Bytes from leg `from` to leg `to`.
  struct Dir {
    int from = 0;
    int to = 1;
    Pipe pipe;
    size_t inPipe = 0;
    bool srcEof = false;
    bool dstShut = false;
    bool wantsRead() const { return !srcEof && inPipe == 0; }
    bool done() const { return srcEof && dstShut && inPipe == 0; }
  };
  struct Poller;  // a uv_poll_t that outlives the relay until its close callback

  SpliceRelay(Owner& owner, uint64_t& bytesRead, uint64_t& bytesWritten)
      : owner_(owner), bytesRead_(bytesRead), bytesWritten_(bytesWritten) {}
  static void onPoll(uv_poll_t* h, int status, int events);
  void onEvents(int leg, int status, int events);
  /// Moves what it can in one direction; false when the relay failed (owner told) or closed.
  bool pump(Dir& d);
  bool failed(int leg, int uvErr);
  /// Polls each socket for exactly what its directions wait for.
  void updatePolling();

  Owner& owner_;
  uint64_t& bytesRead_;
  uint64_t& bytesWritten_;
  std::array<int, 2> dupFds_{-1, -1};
  std::array<Poller*, 2> pollers_{nullptr, nullptr};
  std::array<Dir, 2> dirs_;  ///< dirs_[i] reads leg i
  bool closed_ = false;
  bool stopped_ = false;  ///< finished or failed: nothing is polled any more
};

}  // namespace bh::proxy
