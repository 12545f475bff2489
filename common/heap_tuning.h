#pragma once

// The process heap: freed memory stays with the process up to a bound.
//
// With glibc's defaults a free at the top of an arena gives the pages back (madvise(MADV_DONTNEED)
// or sbrk), and a block above the mmap threshold (128 KiB, raised dynamically by the history of
// frees) is munmap'ed; the next allocation faults the pages in again, and on a multi-threaded
// process each give-back is a TLB shootdown on every CPU. Which of the two a buffer gets depends
// on the order of earlier frees, so a process falls into one mode or the other and stays there.
//
// - The simulators (exchange-sim, outlook-sim): every call allocates and frees 32-256 KiB
//   buffers; a profile had a third of exchange-sim's CPU in give-back and fault-in
//   (bench/README.md, eMAPI).
// - The daemon: a DRE decoder writes each block (up to 4 MiB) into a buffer of its own that
//   the flow queues on the socket and frees when the write completes. A core once spent 40 % of
//   its CPU faulting such pages in (the heap grew 4 MiB at a time to 100 MiB and was trimmed
//   back, over and over) and ran bulk DRE traffic at a fifth of the rate of another core with
//   the same binary. The cause was a read of peer frames decoded all at once, now held back by
//   Flow::releaseHeldFrames; this keeps the pages of the buffers that remain (the measurements:
//   proxy/wan_secure/README.md, "Measured").
//
// The bound (kKeepFreedBytes) is small against a box's memory budget and large against one
// flow's buffers: the heap settles at its high-water mark after the first transfers.

#include <cstddef>

namespace bh {

inline constexpr size_t kKeepFreedBytes = 64u << 20;

/// Raises glibc's trim and mmap thresholds (mallopt) so that freed memory is reused rather than
/// returned to the kernel after every transfer. Call once, first thing in main().
void keepFreedHeap();

}  // namespace bh
