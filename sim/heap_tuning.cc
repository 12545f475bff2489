#include "sim/heap_tuning.h"

#include <malloc.h>

namespace bh::sim {

void keepFreedHeap() {
  // Well above one call's buffers (a 256 KiB rgbOut, its copies and tables), far below the
  // machine's memory: the heap settles at its high-water mark after the first calls.
  constexpr int kKeep = 64 << 20;
  ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
  ::mallopt(M_TRIM_THRESHOLD, kKeep);
  ::mallopt(M_TOP_PAD, 1 << 20);
}

}  // namespace bh::sim
