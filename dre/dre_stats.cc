#include "dre/dre_stats.h"

#include <cstdio>

namespace bh::dre {

std::string DreStats::reductionPercent() const {
  double pct = reduction() * 100.0;
  if (pct < 0) {
    pct = 0;
  }
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%.1f%%", pct);
  return buf;
}

void DreStats::add(const DreStats& o) {
  originalBytes += o.originalBytes;
  optimizedBytes += o.optimizedBytes;
  blocks += o.blocks;
  lzBlocks += o.lzBlocks;
  literalChunks += o.literalChunks;
  literalBytes += o.literalBytes;
  rawLiteralBytes += o.rawLiteralBytes;
  referenceChunks += o.referenceChunks;
  referenceBytes += o.referenceBytes;
  missingChunks += o.missingChunks;
  resentChunks += o.resentChunks;
}

}  // namespace bh::dre
