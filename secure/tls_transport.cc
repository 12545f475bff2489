#include "secure/tls_transport.h"

#include <algorithm>
#include <cstring>
#include <mutex>

namespace bh::secure {

namespace {

TlsTransport& transportOf(BIO* b) {
  return *static_cast<TlsTransport*>(BIO_get_data(b));
}

int transportRead(BIO* b, char* out, int outl) {
  BIO_clear_retry_flags(b);
  TlsTransport& t = transportOf(b);
  size_t want = outl > 0 ? static_cast<size_t>(outl) : 0;
  size_t n = 0;
  if (t.keptOff < t.kept.size()) {
    size_t k = std::min(want, t.kept.size() - t.keptOff);
    std::memcpy(out, t.kept.data() + t.keptOff, k);
    t.keptOff += k;
    n += k;
  }
  if (n < want && !t.lent.empty()) {
    size_t k = std::min(want - n, t.lent.size());
    std::memcpy(out + n, t.lent.data(), k);
    t.lent = t.lent.subspan(k);
    n += k;
  }
  if (n > 0) {
    return static_cast<int>(n);
  }
  if (t.eof) {
    return 0;
  }
  BIO_set_retry_read(b);  // more of the peer's bytes will come
  return -1;
}

int transportWrite(BIO* b, const char* in, int inl) {
  BIO_clear_retry_flags(b);
  TlsTransport& t = transportOf(b);
  if (inl <= 0) {
    return 0;
  }
  t.out.insert(t.out.end(), reinterpret_cast<const uint8_t*>(in),
               reinterpret_cast<const uint8_t*>(in) + inl);
  return inl;
}

long transportCtrl(BIO* b, int cmd, long num, void* ptr) {
  (void)num, (void)ptr;
  TlsTransport& t = transportOf(b);
  switch (cmd) {
    case BIO_CTRL_PENDING:
      return static_cast<long>(t.unread());
    case BIO_CTRL_WPENDING:
      return static_cast<long>(t.out.size());
    case BIO_CTRL_EOF:
      return t.eof && t.unread() == 0 ? 1 : 0;
    case BIO_CTRL_FLUSH:
      return 1;  // every write is already in `out`
    default:
      return 0;
  }
}

int transportCreate(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

BIO_METHOD* transportMethod() {
  static BIO_METHOD* method = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "bh-tls-transport");
    if (m != nullptr && BIO_meth_set_read(m, transportRead) == 1 &&
        BIO_meth_set_write(m, transportWrite) == 1 && BIO_meth_set_ctrl(m, transportCtrl) == 1 &&
        BIO_meth_set_create(m, transportCreate) == 1) {
      method = m;
    } else {
      BIO_meth_free(m);
    }
  });
  return method;
}

}  // namespace

void TlsTransport::keepLent() {
  if (keptOff == kept.size()) {
    kept.clear();
    keptOff = 0;
  } else if (keptOff > 0 && !lent.empty()) {
    // Only when TLS stopped reading (no plaintext room) with bytes of an earlier call unread:
    // then at most maxCiphertextIn bytes move, and only once per call.
    kept.erase(kept.begin(), kept.begin() + static_cast<ptrdiff_t>(keptOff));
    keptOff = 0;
  }
  kept.insert(kept.end(), lent.begin(), lent.end());
  lent = {};
}

BIO* newTransportBio(TlsTransport& transport) {
  BIO_METHOD* m = transportMethod();
  BIO* b = m != nullptr ? BIO_new(m) : nullptr;
  if (b != nullptr) {
    BIO_set_data(b, &transport);
  }
  return b;
}

}  // namespace bh::secure
