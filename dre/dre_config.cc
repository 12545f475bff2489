#include "dre/dre_config.h"

#include <zstd.h>

#include "dre/block_format.h"

namespace bh::dre {

std::string DreConfig::validate() const {
  if (std::string e = chunker.validate(); !e.empty()) {
    return e;
  }
  // A block holds at least one whole chunk instruction past the target.
  if (blockTargetBytes == 0 || blockTargetBytes + chunker.maxSize + 32 > maxBlockBytes) {
    return "maxBlockBytes must exceed blockTargetBytes + chunker maxSize + 32";
  }
  if (maxBlockBytes > (64u << 20)) {
    return "maxBlockBytes must be <= 64 MiB";
  }
  if (zstdLevel < 0 || zstdLevel > ZSTD_maxCLevel()) {
    return "zstdLevel out of range";
  }
  if (lzMinSavingPercent >= 100) {
    return "lzMinSavingPercent must be < 100";
  }
  if (maxDecoderBacklogBytes < kBlockHeaderBytes + ZSTD_compressBound(maxBlockBytes)) {
    return "maxDecoderBacklogBytes must hold one whole block";
  }
  if (maxRepairStashBytes < chunker.maxSize) {
    return "maxRepairStashBytes must hold one chunk";
  }
  if (blockMaxReferencedBytes == 0 || blockMaxReferencedBytes > maxRepairStashBytes / 2) {
    return "blockMaxReferencedBytes must be 1..maxRepairStashBytes/2";
  }
  return {};
}

}  // namespace bh::dre
