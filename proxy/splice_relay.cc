#include "proxy/splice_relay.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace bh::proxy {

namespace {

/// Rounds of (fill, drain) one event may run per direction before the loop serves others.
constexpr int kMaxRounds = 8;
constexpr unsigned kSpliceFlags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;

int uvError(int err) {
  return uv_translate_sys_error(err);
}

}  // namespace

/// The per-thread pool of empty pipes (libuv runs a loop on one thread).
class PipePool {
 public:
  ~PipePool() {
    for (auto& p : free_) {
      destroy(p.rd, p.wr);
    }
  }
  /// An empty pipe, from the pool or new; false with errno set when none can be had.
  bool take(int& rd, int& wr, size_t& capacity) {
    if (!free_.empty()) {
      Entry e = free_.back();
      free_.pop_back();
      rd = e.rd, wr = e.wr, capacity = e.capacity;
      return true;
    }
    int fds[2];
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
      return false;
    }
    // An unprivileged daemon past its per-user pipe budget keeps the default size (or less):
    // slower, still correct.
    fcntl(fds[1], F_SETPIPE_SZ, static_cast<int>(SpliceRelay::kPipeBytes));
    int got = fcntl(fds[1], F_GETPIPE_SZ);
    rd = fds[0], wr = fds[1];
    capacity = got > 0 ? static_cast<size_t>(got) : 4096;
    lastCapacity_ = capacity;
    ++open_;
    return true;
  }
  /// Takes back an empty pipe; closes it if the pool is full.
  void give(int rd, int wr, size_t capacity) {
    if (free_.size() < SpliceRelay::kPoolMax) {
      free_.push_back({rd, wr, capacity});
    } else {
      destroy(rd, wr);
    }
  }
  /// A pipe that may still hold bytes never goes back to the pool.
  void destroy(int rd, int wr) {
    ::close(rd);
    ::close(wr);
    --open_;
  }
  size_t open() const { return open_; }
  size_t lastCapacity() const { return lastCapacity_; }

 private:
  struct Entry {
    int rd, wr;
    size_t capacity;
  };
  std::vector<Entry> free_;
  size_t open_ = 0;
  size_t lastCapacity_ = 0;
};

namespace {
PipePool& pool() {
  thread_local PipePool p;
  return p;
}
}  // namespace

size_t SpliceRelay::pipesOpen() {
  return pool().open();
}
size_t SpliceRelay::lastPipeCapacity() {
  return pool().lastCapacity();
}

struct SpliceRelay::Poller {
  uv_poll_t handle{};
  SpliceRelay* relay = nullptr;  ///< null once the relay closed it
  int leg = 0;
  int events = 0;  ///< what it is started for now (0: stopped)
};

std::unique_ptr<SpliceRelay> SpliceRelay::start(uv_loop_t* loop, std::array<int, 2> fds,
                                                std::array<LegState, 2> state, Owner& owner,
                                                uint64_t& bytesRead, uint64_t& bytesWritten,
                                                std::string& why) {
  std::unique_ptr<SpliceRelay> r(new SpliceRelay(owner, bytesRead, bytesWritten));
  for (int i = 0; i < 2; ++i) {
    r->dirs_[i].from = i;
    r->dirs_[i].to = 1 - i;
    r->dirs_[i].srcEof = state[i].eofIn;
    r->dirs_[i].dstShut = state[1 - i].shutdownOut;
    // A finished source whose shutdown is not carried yet is the copying relay's to finish.
    if (r->dirs_[i].srcEof && !r->dirs_[i].dstShut) {
      why = "a half-close is still in flight";
      return nullptr;
    }
  }
  for (int i = 0; i < 2; ++i) {
    // The socket is watched through a duplicate: libuv allows one watcher per descriptor, and
    // the owner's uv_tcp_t keeps the original.
    int fd = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
      why = std::string("dup: ") + std::strerror(errno);
      r->close();
      return nullptr;
    }
    r->dupFds_[i] = fd;
    auto* p = new Poller;
    p->leg = i;
    if (int e = uv_poll_init_socket(loop, &p->handle, fd); e != 0) {
      delete p;
      why = std::string("uv_poll_init: ") + uv_strerror(e);
      r->close();
      return nullptr;
    }
    p->relay = r.get();
    p->handle.data = p;
    r->pollers_[i] = p;
  }
  r->updatePolling();
  return r;
}

SpliceRelay::~SpliceRelay() {
  close();
}

void SpliceRelay::close() {
  if (closed_) {
    return;
  }
  closed_ = true;
  for (Poller*& p : pollers_) {
    if (p != nullptr) {
      p->relay = nullptr;
      // Closing removes the descriptor from epoll at once; the memory goes in the callback.
      uv_close(reinterpret_cast<uv_handle_t*>(&p->handle),
               [](uv_handle_t* h) { delete static_cast<Poller*>(h->data); });
      p = nullptr;
    }
  }
  for (int& fd : dupFds_) {
    if (fd >= 0) {
      ::close(fd);
      fd = -1;
    }
  }
  for (Dir& d : dirs_) {
    if (d.pipe.valid()) {
      if (d.inPipe == 0) {
        pool().give(d.pipe.rd, d.pipe.wr, d.pipe.capacity);
      } else {
        pool().destroy(d.pipe.rd, d.pipe.wr);
      }
      d.pipe = Pipe{};
      d.inPipe = 0;
    }
  }
}

void SpliceRelay::onPoll(uv_poll_t* h, int status, int events) {
  auto* p = static_cast<Poller*>(h->data);
  if (p->relay != nullptr) {
    p->relay->onEvents(p->leg, status, events);
  }
}

void SpliceRelay::onEvents(int leg, int status, int events) {
  if (status < 0) {
    // POLLERR (libuv has stopped the handle): the socket's own error says what happened.
    pollers_[leg]->events = 0;
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(dupFds_[leg], SOL_SOCKET, SO_ERROR, &err, &len);
    failed(leg, err != 0 ? uvError(err) : status);
    return;
  }
  // Readable: bytes (or EOF) to take from this leg. Writable: room for the other direction.
  if ((events & UV_READABLE) != 0 && !pump(dirs_[leg])) {
    return;
  }
  if ((events & UV_WRITABLE) != 0 && !pump(dirs_[1 - leg])) {
    return;
  }
  if (dirs_[0].done() && dirs_[1].done()) {
    stopped_ = true;
    updatePolling();
    owner_.onSpliceFinished();
    return;
  }
  updatePolling();
}

bool SpliceRelay::pump(Dir& d) {
  const int src = dupFds_[d.from];
  const int dst = dupFds_[d.to];
  for (int round = 0; round < kMaxRounds; ++round) {
    bool moved = false;
    bool sourceDry = false;
    if (!d.srcEof && (!d.pipe.valid() || d.inPipe < d.pipe.capacity)) {
      if (!d.pipe.valid() && !pool().take(d.pipe.rd, d.pipe.wr, d.pipe.capacity)) {
        return failed(d.from, uvError(errno));
      }
      ssize_t n =
          splice(src, nullptr, d.pipe.wr, nullptr, d.pipe.capacity - d.inPipe, kSpliceFlags);
      if (n > 0) {
        d.inPipe += static_cast<size_t>(n);
        bytesRead_ += static_cast<uint64_t>(n);
        moved = true;
      } else if (n == 0) {
        d.srcEof = true;
      } else if (errno == EAGAIN) {
        // The socket is empty, or the pipe is out of slots (it may hold fewer bytes than its
        // capacity when the socket's pages are small): the drain below tells which.
        sourceDry = true;
      } else if (errno != EINTR) {
        return failed(d.from, uvError(errno));
      }
    }
    if (d.inPipe > 0) {
      ssize_t n = splice(d.pipe.rd, nullptr, dst, nullptr, d.inPipe, kSpliceFlags);
      if (n > 0) {
        d.inPipe -= static_cast<size_t>(n);
        bytesWritten_ += static_cast<uint64_t>(n);
        moved = true;
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        return failed(d.to, uvError(errno));
      }
    }
    // Nothing moved, or everything read went out and the socket had no more: done for now
    // (if the pipe was full rather than the socket dry, the level-triggered poll fires again).
    if (!moved || (sourceDry && d.inPipe == 0)) {
      break;
    }
  }
  if (d.inPipe == 0 && d.pipe.valid()) {
    // An idle direction holds no pipe.
    pool().give(d.pipe.rd, d.pipe.wr, d.pipe.capacity);
    d.pipe = Pipe{};
  }
  if (d.srcEof && d.inPipe == 0 && !d.dstShut) {
    // Every byte before the EOF is in the destination socket: carry the half-close.
    d.dstShut = true;
    if (::shutdown(dst, SHUT_WR) != 0) {
      return failed(d.to, uvError(errno));
    }
  }
  return true;
}

bool SpliceRelay::failed(int leg, int uvErr) {
  if (!closed_ && !stopped_) {
    stopped_ = true;
    updatePolling();  // nothing fires again; the owner resets the flow and closes us
    owner_.onSpliceFailed(leg, uvErr);
  }
  return false;
}

void SpliceRelay::updatePolling() {
  if (closed_) {
    return;
  }
  for (int leg = 0; leg < 2; ++leg) {
    Poller* p = pollers_[leg];
    int want = 0;
    if (!stopped_) {
      if (dirs_[leg].wantsRead()) {
        want |= UV_READABLE;
      }
      if (dirs_[1 - leg].inPipe > 0) {
        want |= UV_WRITABLE;
      }
    }
    if (want == p->events) {
      continue;
    }
    if (want == 0) {
      uv_poll_stop(&p->handle);
    } else if (uv_poll_start(&p->handle, want, &SpliceRelay::onPoll) != 0) {
      want = 0;
    }
    p->events = want;
  }
}

}  // namespace bh::proxy
