#include "sim/content.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

namespace bh::sim {

namespace {

uint64_t splitmix(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr const char* kWords[] = {
    "the",      "quarterly", "report",  "shows",    "revenue",  "growth",   "in",
    "all",      "regions",   "meeting", "agenda",   "project",  "status",   "please",
    "review",   "attached",  "budget",  "forecast", "customer", "delivery", "schedule",
    "Exchange", "server",    "mailbox", "and",      "of",       "to",       "for",
    "with",     "team",      "update",  "contract", "draft",    "final",    "version",
    "approved", "pending",   "sales",   "margin",   "Q3",       "2026",     "office"};
constexpr size_t kWordCount = sizeof(kWords) / sizeof(kWords[0]);

enum class BlockKind { Text, Random, Repeat };

BlockKind kindOf(uint64_t seed, uint64_t index, uint64_t& repeatOf) {
  uint64_t s = seed * 0x100000001b3ULL ^ (index + 1) * 0xcbf29ce484222325ULL;
  uint64_t r = splitmix(s) % 100;
  if (r < 20 && index >= 4) {
    repeatOf = splitmix(s) % index;
    return BlockKind::Repeat;
  }
  return r < 65 ? BlockKind::Text : BlockKind::Random;
}

/// One block, never of kind Repeat (a repeat copies its source's own content).
void baseBlock(uint64_t seed, uint64_t index, bool text, uint8_t* out) {
  uint64_t s = seed ^ (index * 0x9e3779b97f4a7c15ULL) ^ 0x5bd1e995ULL;
  if (!text) {
    for (size_t i = 0; i < kContentBlock; i += 8) {
      uint64_t v = splitmix(s);
      std::memcpy(out + i, &v, 8);
    }
    return;
  }
  size_t i = 0;
  while (i < kContentBlock) {
    uint64_t v = splitmix(s);
    const char* w = kWords[v % kWordCount];
    size_t n = std::strlen(w);
    for (size_t k = 0; k < n && i < kContentBlock; ++k) {
      out[i++] = static_cast<uint8_t>(w[k]);
    }
    if (i < kContentBlock) {
      out[i++] = (v >> 32) % 13 == 0 ? '\n' : ((v >> 40) % 11 == 0 ? ',' : ' ');
    }
  }
}

void block(uint64_t seed, uint64_t index, uint8_t* out) {
  uint64_t src = 0;
  BlockKind k = kindOf(seed, index, src);
  if (k == BlockKind::Repeat) {
    uint64_t unused = 0;
    BlockKind sk = kindOf(seed, src, unused);
    // A repeat of a repeat copies the text/random content the source would have had.
    baseBlock(seed, src, sk != BlockKind::Random, out);
    return;
  }
  baseBlock(seed, index, k == BlockKind::Text, out);
}

}  // namespace

void fillContent(uint64_t seed, uint64_t offset, std::span<uint8_t> out) {
  uint8_t buf[kContentBlock];
  size_t done = 0;
  while (done < out.size()) {
    uint64_t pos = offset + done;
    uint64_t index = pos / kContentBlock;
    size_t within = pos % kContentBlock;
    block(seed, index, buf);
    size_t n = std::min(kContentBlock - within, out.size() - done);
    std::memcpy(out.data() + done, buf + within, n);
    done += n;
  }
}

Bytes makeContent(uint64_t seed, size_t size) {
  Bytes b(size);
  fillContent(seed, 0, b);
  return b;
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr);
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
}

void Sha256::update(ByteSpan data) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}

std::array<uint8_t, 32> Sha256::finish() {
  std::array<uint8_t, 32> d{};
  unsigned int n = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), d.data(), &n);
  return d;
}

std::array<uint8_t, 32> sha256(ByteSpan data) {
  Sha256 h;
  h.update(data);
  return h.finish();
}

std::array<uint8_t, 32> contentSha256(uint64_t seed, uint64_t size) {
  Sha256 h;
  Bytes buf(1 << 16);
  for (uint64_t off = 0; off < size; off += buf.size()) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - off));
    fillContent(seed, off, std::span<uint8_t>(buf.data(), n));
    h.update(ByteSpan(buf.data(), n));
  }
  return h.finish();
}

std::string hexDigest(const std::array<uint8_t, 32>& d) {
  return toHex(d);
}

uint64_t parseSize(const std::string& text) {
  size_t i = 0;
  uint64_t v = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    v = v * 10 + static_cast<uint64_t>(text[i] - '0');
    if (v > (1ULL << 40)) {
      return 0;
    }
    ++i;
  }
  if (i == 0) {
    return 0;
  }
  std::string unit = text.substr(i);
  if (unit.empty() || unit == "B") {
    return v;
  }
  if (unit == "KiB" || unit == "K") {
    return v << 10;
  }
  if (unit == "MiB" || unit == "M") {
    return v << 20;
  }
  if (unit == "GiB" || unit == "G") {
    return v << 30;
  }
  if (unit == "KB") {
    return v * 1000;
  }
  if (unit == "MB") {
    return v * 1000 * 1000;
  }
  return 0;
}

}  // namespace bh::sim
