// Prefaulting new slab memory on Linux (see slab_memory.h).
//
// A slab's 16 pages would fault one by one when it is first written (zeroed, then filled by
// recvmmsg), and on a virtual machine a fault costs more than reading a datagram: a new 64 KiB
// block took 207 us to zero, fault by fault, and 112 us made present first by one
// madvise(MADV_POPULATE_WRITE) (Linux 5.14), on the 2-vCPU VM of docs/performance.md. Older kernels
// refuse it (EINVAL), and it costs little on memory that is present already: either way the memory
// works as it is, so its result is not needed.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

#include "slab_memory.h"

namespace mce {

void PrefaultMemory(unsigned char* bytes, size_t size) {
#ifndef MADV_POPULATE_WRITE
  constexpr int MADV_POPULATE_WRITE = 23;
#endif
  static const long kPageSize = sysconf(_SC_PAGESIZE);
  if (kPageSize <= 0) return;
  const uintptr_t page = static_cast<uintptr_t>(kPageSize);
  // Whole pages only: the first page boundary at or after `bytes`, the last at or before the end.
  uintptr_t first = (reinterpret_cast<uintptr_t>(bytes) + page - 1) & ~(page - 1);
  uintptr_t end = (reinterpret_cast<uintptr_t>(bytes) + size) & ~(page - 1);
  if (end > first) (void)madvise(reinterpret_cast<void*>(first), end - first, MADV_POPULATE_WRITE);
}

}  // namespace mce
