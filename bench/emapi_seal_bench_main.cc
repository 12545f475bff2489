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

/// One sealed case: the association keyed from the capture's bind, and the plain PDUs of one
/// response it seals: the whole stub in one PDU, or fragments of at most `maxFrag` bytes sealed
/// (MS-RPCE 2.2.2.10: max_xmit_frag; Windows answers 5840 on ncacn_ip_tcp).
struct SealCase {
  std::string name;
  std::string describe;
  std::unique_ptr<KerberosProtectedAssociation> assoc;
  Bytes plain;  ///< the response in one PDU
  std::vector<Bytes> pdus;
  size_t maxFrag = 0;  ///< 0: one PDU
  size_t stubLen = 0;
  size_t sealedLen = 0;  ///< of one response, every fragment
  Totals t;
  bool failed = false;
};

/// The response's plain PDU(s): a header like `header`'s (MS-RPCE 2.2.2.10: 24 bytes; pfc flags,
/// frag_length and alloc_hint set) over `stub`, in fragments of at most `maxStub` stub bytes.
std::vector<Bytes> responsePdus(const Bytes& header, const Bytes& stub, size_t maxStub) {
  std::vector<Bytes> out;
  for (size_t at = 0; at < stub.size(); at += maxStub) {
    const size_t n = std::min(maxStub, stub.size() - at);
    Bytes p(header.begin(), header.begin() + 24);
    p[3] = static_cast<uint8_t>((p[3] & ~0x03) | (at == 0 ? 0x01 : 0) |
                                (at + n == stub.size() ? 0x02 : 0));  // PFC_FIRST/LAST_FRAG
    p.insert(p.end(), stub.begin() + static_cast<ptrdiff_t>(at),
             stub.begin() + static_cast<ptrdiff_t>(at + n));
    put16(p, 8, p.size());  // frag_length
    const size_t hint = stub.size() - at;
    put16(p, 16, hint);  // alloc_hint: what remains
    put16(p, 18, hint >> 16);
    out.push_back(std::move(p));
  }
  return out;
}

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
  // A ReadStream-sized stub of pseudo-random bytes (the cipher's cost does not depend on them).
  Bytes stub;
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < stubLen; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    stub.push_back(static_cast<uint8_t>(x));
  }
  c.plain = responsePdus(c.plain, stub, stub.size()).front();
  c.pdus = {c.plain};
  if (c.maxFrag != 0) {
    // What the sealing adds to a 16-aligned stub (sec_trailer and token), from one sealed PDU
    // (opened again so the numberings stay in step); the fragments' stubs are 16-aligned.
    Bytes sealed;
    Bytes opened;
    if (!c.assoc->seal(Sender::Server, c.plain, sealed) ||
        !c.assoc->unwrap(Sender::Server, sealed, opened).ok()) {
      why = name + ": cannot seal and open a response";
      return false;
    }
    const size_t added = sealed.size() - c.plain.size();
    if (c.maxFrag < 24 + added + 16) {
      why = name + ": fragments too small";
      return false;
    }
    c.pdus = responsePdus(c.plain, stub, (c.maxFrag - 24 - added) / 16 * 16);
  }
  return true;
}

/// Seals the response's plain PDUs as the server's next and unwraps each again, for `seconds`.
void runSealed(SealCase& c, double seconds) {
  Bytes sealed;
  Bytes opened;
  const double end = cpuSeconds() + seconds;
  bool check = true;  // the first and the last response are compared with what was sealed
  while (!c.failed) {
    const bool last = cpuSeconds() >= end;
    if (last && !check) {
      check = true;
    }
    size_t sealedLen = 0;
    for (const Bytes& plain : c.pdus) {
      const double t0 = cpuSeconds();
      if (!c.assoc->seal(Sender::Server, plain, sealed)) {
        std::fprintf(stderr, "%s: seal failed\n", c.name.c_str());
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
      if (check && opened != plain) {
        std::fprintf(stderr, "%s: an unwrapped PDU differs from the sealed one\n", c.name.c_str());
        c.failed = true;
        break;
      }
      sealedLen += sealed.size();
      c.t.sealSeconds += t1 - t0;
      c.t.unwrapSeconds += t2 - t1;
    }
    if (c.failed) {
      break;
    }
    check = false;
    c.sealedLen = sealedLen;
    c.t.iterations++;
    c.t.stubBytes += c.stubLen;
    if (last) {
      break;
    }
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
  // AES and RC4, each with the response in one PDU and in fragments of Windows' 5840 bytes.
  std::vector<SealCase> cases(4);
  const char* names[] = {"aes_krb5", "aes_krb5", "rc4_krb5", "rc4_krb5"};
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string why;
    cases[i].maxFrag = i % 2 == 1 ? 5840 : 0;
    if (!openCase(crypto, keys, dir, names[i], stubLen, cases[i], why)) {
      std::fprintf(stderr, "%s\n", why.c_str());
      return 1;
    }
  }
  // Interleaved rounds: a slow spell of this shared machine falls on every figure alike.
  constexpr int kRounds = 6;
  const double slice = seconds / kRounds / static_cast<double>(cases.size() + 1);
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
      << "\", \"max_frag\": " << c.maxFrag << ", \"pdus_per_response\": " << c.pdus.size()
      << ", \"ok\": " << (c.failed ? "false" : "true") << ", \"iterations\": " << c.t.iterations
      << ", \"sealed_bytes_per_response\": " << c.sealedLen << ", \"unwrap_reseal_mbps\": " << both
      << ", \"unwrap_mbps\": " << mbps(c.t.stubBytes, c.t.unwrapSeconds)
      << ", \"seal_mbps\": " << mbps(c.t.stubBytes, c.t.sealSeconds)
      << ", \"ratio_to_memcpy\": " << (copyMbps > 0 ? both / copyMbps : 0)
      << ", \"usec_per_response\": "
      << (c.t.iterations ? c.t.seconds() * 1e6 / static_cast<double>(c.t.iterations) : 0) << "}";
  }
  j << "\n  ],\n  \"memcpy_sink\": " << (sink & 1) << "\n}";
  std::printf("%s\n", j.str().c_str());
  if (argc > 4) {
    std::ofstream(argv[4]) << j.str() << "\n";
  }
  return failed ? 1 : 0;
}
