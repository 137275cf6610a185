// Prefaulting new slab memory on macOS (see slab_memory.h): nothing. macOS has no call that makes
// anonymous memory present in advance; its pages fault in when first written, as on any OS.
#include "slab_memory.h"

namespace mce {

void PrefaultMemory(unsigned char*, size_t) {}

}  // namespace mce
