// bh-emapi-seal-bench: what eMAPI costs per core (issue 18): a half that passes a sealed response
// on unwraps it (the sender's token checked, the stub decrypted) and seals it again as its own
// next PDU for that sender (MS-RPCE 2.2.2.11; RFC 4121 Wrap for AES, RFC 4757 for arcfour-hmac).
//
// The session is a committed capture's (tests/vectors/emapi: Samba's rpcclient sealing SAMR to the
// lab's DC, with the DC's keytab): its bind legs open a KerberosProtectedAssociation as the core
// opens Exchange's. Its first response's header then carries a stub of the size an Outlook
// RopReadStream answer has, and the loop seals it as the server's next PDU and unwraps that PDU
// again (the two numberings stay in step, so every unwrap checks a fresh token). The baseline, in
// the same run and interleaved with the sealed rounds: memcpy of the same plain PDU.
//
// Usage: bh-emapi-seal-bench VECTOR_DIR [SECONDS] [STUB_BYTES] [OUT.json]
// Figures are MB/s (10^6 bytes) of plain stub per core and their ratio to memcpy; no pass/fail.
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "secure/emapi/dce_seal.h"
#include "secure/emapi/kerberos_protected_association.h"
#include "secure/emapi/krb5_crypto.h"
#include "secure/encryption_service/keytab_keys.h"

using namespace bh;
using namespace bh::secure::emapi;
using bh::mapi::dcerpc::Sender;
namespace encryption_service = bh::secure::encryption_service;

namespace {

/// This thread's CPU time: the figures are per core, and this machine is shared (wall time
/// would count the other processes' slices as ours).
double cpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Pdu {
  Sender from = Sender::Client;
  Bytes bytes;
};

/// The first connection of a capture as extract_vectors.py wrote it ("c"/"s" lines: hex PDUs).
bool loadFirstConnection(const std::string& path, std::vector<Pdu>& out) {
  std::ifstream in(path);
  std::string line;
  int connections = 0;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    std::string word;
    std::string hex;
    s >> word >> hex;
    if (word == "connection" && ++connections > 1) {
      break;
    }
    if (word == "c" || word == "s") {
      Pdu p;
      p.from = word == "c" ? Sender::Client : Sender::Server;
      if (!fromHex(hex, p.bytes)) {
        return false;
      }
      out.push_back(std::move(p));
    }
  }
  return !out.empty();
}

bool isBindLeg(const Bytes& pdu) {
  return pdu.size() > 2 && pdu[2] >= 11 && pdu[2] <= 16;
}

void put16(Bytes& b, size_t at, size_t v) {
  b[at] = static_cast<uint8_t>(v);
  b[at + 1] = static_cast<uint8_t>(v >> 8);
}

struct Totals {
  uint64_t iterations = 0;
  uint64_t stubBytes = 0;
  double unwrapSeconds = 0;
  double sealSeconds = 0;
  double seconds() const { return unwrapSeconds + sealSeconds; }
};

/// One sealed case: the association keyed from the capture's bind, and the plain PDU it seals.
struct SealCase {
  std::string name;
  std::string describe;
  std::unique_ptr<KerberosProtectedAssociation> assoc;
  Bytes plain;
  size_t stubLen = 0;
  size_t sealedLen = 0;
  Totals t;
  bool failed = false;
};

bool openCase(const Krb5Crypto& crypto, const std::vector<encryption_service::ServiceKey>& keys,
              const std::string& dir, const std::string& name, size_t stubLen, SealCase& c,
              std::string& why) {
  c.name = name;
  c.stubLen = stubLen;
  std::vector<Pdu> conn;
  if (!loadFirstConnection(dir + "/" + name + ".txt", conn)) {
    why = "cannot read " + dir + "/" + name + ".txt";
    return false;
  }
  c.assoc = std::make_unique<KerberosProtectedAssociation>(crypto, keys);
  const Pdu* response = nullptr;
  for (const Pdu& p : conn) {
    if (isBindLeg(p.bytes)) {
      ParseResult r = c.assoc->observeBindLeg(p.from, p.bytes);
      if (!r.ok()) {
        why = name + ": bind leg: " + r.error;
        return false;
      }
    } else if (!response && p.from == Sender::Server && c.assoc->established()) {
      response = &p;
    }
  }
  if (!c.assoc->established() || !response) {
    why = name + ": no established session with a response";
    return false;
  }
  c.describe = c.assoc->describe();
  // The capture's numbering up to its first response, so the association is where a session
  // that just answered its first call is.
  for (const Pdu& p : conn) {
    if (!isBindLeg(p.bytes)) {
      Bytes plain;
      ParseResult r = c.assoc->unwrap(p.from, p.bytes, plain);
      if (!r.ok()) {
        why = name + ": unwrap: " + r.error;
        return false;
      }
      Bytes resealed;
      if (!c.assoc->seal(p.from, plain, resealed)) {
        why = name + ": seal failed";
        return false;
      }
      if (&p == response) {
        c.plain = std::move(plain);
        break;
      }
    }
  }
  // The response's header (MS-RPCE 2.2.2.10: 24 bytes) with a ReadStream-sized stub of
  // pseudo-random bytes (the cipher's cost does not depend on them).
  c.plain.resize(24);
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < stubLen; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c.plain.push_back(static_cast<uint8_t>(x));
  }
  put16(c.plain, 8, c.plain.size());  // frag_length
  put16(c.plain, 16, stubLen);        // alloc_hint
  put16(c.plain, 18, stubLen >> 16);
  return true;
}

/// Seals the plain PDU as the server's next and unwraps it again, for `seconds`.
void runSealed(SealCase& c, double seconds) {
  Bytes sealed;
  Bytes opened;
  const double end = cpuSeconds() + seconds;
  bool first = true;
  while (cpuSeconds() < end && !c.failed) {
    const double t0 = cpuSeconds();
    if (!c.assoc->seal(Sender::Server, c.plain, sealed)) {
      c.failed = true;
      break;
    }
    const double t1 = cpuSeconds();
    ParseResult r = c.assoc->unwrap(Sender::Server, sealed, opened);
    const double t2 = cpuSeconds();
    if (!r.ok()) {
      std::fprintf(stderr, "%s: unwrap: %s\n", c.name.c_str(), r.error.c_str());
      c.failed = true;
      break;
    }
    if (first && opened != c.plain) {
      std::fprintf(stderr, "%s: the unwrapped PDU differs from the sealed one\n", c.name.c_str());
      c.failed = true;
      break;
    }
    first = false;
    c.sealedLen = sealed.size();
    c.t.sealSeconds += t1 - t0;
    c.t.unwrapSeconds += t2 - t1;
    c.t.iterations++;
    c.t.stubBytes += c.stubLen;
  }
  if (!c.failed && opened != c.plain) {
    std::fprintf(stderr, "%s: the last unwrapped PDU differs from the sealed one\n",
                 c.name.c_str());
    c.failed = true;
  }
}

/// The baseline: memcpy of the same plain PDU, for `seconds`.
void runMemcpy(const Bytes& plain, size_t stubLen, double seconds, Totals& t, uint64_t& sink) {
  Bytes dst(plain.size());
  const double start = cpuSeconds();
  const double end = start + seconds;
  uint64_t n = 0;
  while (cpuSeconds() < end) {
    for (int i = 0; i < 64; ++i) {
      std::memcpy(dst.data(), plain.data(), plain.size());
      sink += dst[n++ % dst.size()];
    }
    t.iterations += 64;
    t.stubBytes += 64 * stubLen;
  }
  t.sealSeconds += cpuSeconds() - start;
}

double mbps(uint64_t bytes, double seconds) {
  return seconds > 0 ? static_cast<double>(bytes) / seconds / 1e6 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s VECTOR_DIR [SECONDS] [STUB_BYTES] [OUT.json]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const double seconds = argc > 2 ? std::strtod(argv[2], nullptr) : 6.0;
  // A 31744-byte RopReadStream answer (outlook-sim's and Outlook's online-mode chunk) in its
  // RopReadStream response (MS-OXCROPS 2.2.9.2.2) and EcDoRpcExt2 framing (MS-OXCRPC 3.1.4.2).
  const size_t stubLen = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 31808;
  if (stubLen < 16 || stubLen > 65000 || seconds <= 0) {
    std::fprintf(stderr, "a stub of 16..65000 bytes and a positive time\n");
    return 2;
  }
  Krb5Crypto crypto;
  if (!crypto.ok()) {
    std::fprintf(stderr, "no krb5 context\n");
    return 1;
  }
  auto entries = encryption_service::readKeytab(dir + "/dc1.keytab");
  if (!entries.ok()) {
    std::fprintf(stderr, "%s\n", entries.error().c_str());
    return 1;
  }
  std::vector<encryption_service::ServiceKey> keys;
  for (const auto& e : entries.value()) {
    keys.push_back(e.key);
  }
  std::vector<SealCase> cases(2);
  const char* names[] = {"aes_krb5", "rc4_krb5"};
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string why;
    if (!openCase(crypto, keys, dir, names[i], stubLen, cases[i], why)) {
      std::fprintf(stderr, "%s\n", why.c_str());
      return 1;
    }
  }
  // Interleaved rounds: a slow spell of this shared machine falls on every figure alike.
  constexpr int kRounds = 6;
  const double slice = seconds / kRounds / 3;
  Totals copy;
  uint64_t sink = 0;
  for (int r = 0; r < kRounds; ++r) {
    runMemcpy(cases[0].plain, stubLen, slice, copy, sink);
    for (SealCase& c : cases) {
      runSealed(c, slice);
    }
  }
  const double copyMbps = mbps(copy.stubBytes, copy.sealSeconds);
  std::ostringstream j;
  j.precision(4);
  j << "{\n  \"bench\": \"emapi_seal\",\n  \"stub_bytes\": " << stubLen
    << ",\n  \"plain_pdu_bytes\": " << cases[0].plain.size() << ",\n  \"seconds\": " << seconds
    << ",\n  \"rounds\": " << kRounds
    << ",\n  \"method\": \"one thread: seal a plain response PDU as the server's next and unwrap "
       "it "
       "again (the session opened from the capture's bind legs with its keytab); MB/s = 10^6 bytes "
       "of plain stub per second of this thread's CPU time in seal+unwrap; baseline memcpy of the "
       "same plain PDU, "
       "interleaved\""
    << ",\n  \"memcpy_mbps\": " << copyMbps << ",\n  \"cases\": [";
  bool failed = false;
  for (size_t i = 0; i < cases.size(); ++i) {
    const SealCase& c = cases[i];
    failed = failed || c.failed;
    const double both = mbps(c.t.stubBytes, c.t.seconds());
    j << (i ? "," : "") << "\n    {\"case\": \"" << c.name << "\", \"session\": \"" << c.describe
      << "\", \"ok\": " << (c.failed ? "false" : "true") << ", \"iterations\": " << c.t.iterations
      << ", \"sealed_pdu_bytes\": " << c.sealedLen << ", \"unwrap_reseal_mbps\": " << both
      << ", \"unwrap_mbps\": " << mbps(c.t.stubBytes, c.t.unwrapSeconds)
      << ", \"seal_mbps\": " << mbps(c.t.stubBytes, c.t.sealSeconds)
      << ", \"ratio_to_memcpy\": " << (copyMbps > 0 ? both / copyMbps : 0) << ", \"usec_per_pdu\": "
      << (c.t.iterations ? c.t.seconds() * 1e6 / static_cast<double>(c.t.iterations) : 0) << "}";
  }
  j << "\n  ],\n  \"memcpy_sink\": " << (sink & 1) << "\n}";
  std::printf("%s\n", j.str().c_str());
  if (argc > 4) {
    std::ofstream(argv[4]) << j.str() << "\n";
  }
  return failed ? 1 : 0;
}
