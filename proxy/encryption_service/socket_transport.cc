#include "proxy/encryption_service/socket_transport.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bh::proxy {

int SocketTransport::remainingMs() const {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

bool SocketTransport::wait(short events, std::string& why) {
  for (;;) {
    int ms = remainingMs();
    if (ms == 0) {
      why = "timed out (encryption_service.timeout_ms)";
      return false;
    }
    pollfd p{fd_, events, 0};
    int r = ::poll(&p, 1, ms);
    if (r > 0) {
      return true;
    }
    if (r < 0 && errno != EINTR) {
      why = std::string("poll: ") + std::strerror(errno);
      return false;
    }
  }
}

bool SocketTransport::connect(const std::string& address, uint16_t port, std::string& why) {
  close();
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  if (int e = ::getaddrinfo(address.c_str(), service.c_str(), &hints, &res); e != 0) {
    why = "cannot resolve " + address + ": " + gai_strerror(e);
    return false;
  }
  std::string last = "no address";
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    fd_ = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd_ < 0) {
      last = std::strerror(errno);
      continue;
    }
    if (::connect(fd_, ai->ai_addr, ai->ai_addrlen) == 0) {
      ::freeaddrinfo(res);
      return true;
    }
    if (errno == EINPROGRESS && wait(POLLOUT, last)) {
      int err = 0;
      socklen_t len = sizeof(err);
      ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == 0) {
        ::freeaddrinfo(res);
        return true;
      }
      last = std::strerror(err);
    } else if (errno != EINPROGRESS) {
      last = std::strerror(errno);
    }
    close();
  }
  ::freeaddrinfo(res);
  why = "cannot connect to " + address + ":" + service + ": " + last;
  return false;
}

bool SocketTransport::send(ByteSpan bytes, std::string& why) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (!wait(POLLOUT, why)) {
        return false;
      }
    } else {
      why = std::string("send: ") + std::strerror(errno);
      return false;
    }
  }
  return true;
}

bool SocketTransport::receive(size_t n, Bytes& out, std::string& why) {
  size_t start = out.size();
  out.resize(start + n);
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::recv(fd_, out.data() + start + got, n - got, 0);
    if (r > 0) {
      got += static_cast<size_t>(r);
    } else if (r == 0) {
      why = "the domain controller closed the connection";
      return false;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      if (!wait(POLLIN, why)) {
        return false;
      }
    } else {
      why = std::string("recv: ") + std::strerror(errno);
      return false;
    }
  }
  return true;
}

void SocketTransport::close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

}  // namespace bh::proxy
