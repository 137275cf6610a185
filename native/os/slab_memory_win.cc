// Prefaulting new slab memory on Windows (see slab_memory.h): nothing. Windows has no call that makes
// heap memory present in advance (PrefetchVirtualMemory reads in mapped files' pages, not new
// ones); its pages fault in when first written, as on any OS.
#include "slab_memory.h"

namespace mce {

void PrefaultMemory(unsigned char*, size_t) {}

}  // namespace mce
