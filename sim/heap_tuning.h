#pragma once

// The simulators' heap: freed memory stays with the process.
//
// exchange-sim and outlook-sim serve each connection on a thread of its own, so glibc gives them
// per-thread arenas. Every call allocates and frees a few 32-256 KiB buffers (a ReadStream
// answer, its LZ77 tables, the sealed PDU). With glibc's defaults each free at the top of an
// arena gives the pages back (madvise(MADV_DONTNEED), or munmap above the mmap threshold), the
// next call faults them in again, and on a multi-threaded process each give-back is a TLB
// shootdown on every CPU. A profile of a sealed open-attachment 10 MiB through the lab had a
// third of exchange-sim's CPU there (bench/README.md, eMAPI). Real Outlook and Exchange run on
// machines of their own; the lab's simulators share two cores with the boxes they test, so they
// keep what they freed.

namespace bh::sim {

/// Raises glibc's trim and mmap thresholds (mallopt) so that freed memory is reused rather than
/// returned to the kernel after every call. Call once, first thing in main().
void keepFreedHeap();

}  // namespace bh::sim
