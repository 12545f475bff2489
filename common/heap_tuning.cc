#include "common/heap_tuning.h"

#include <malloc.h>

namespace bh {

void keepFreedHeap() {
  // Setting any of these turns glibc's dynamic threshold off, so the mode no longer depends on
  // the history of frees (common/heap_tuning.h).
  ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
  ::mallopt(M_TRIM_THRESHOLD, static_cast<int>(kKeepFreedBytes));
  ::mallopt(M_TOP_PAD, 1 << 20);
}

}  // namespace bh
