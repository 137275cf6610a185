// Memory a receiver reads datagrams into (its 64 KB slabs, rx_batch.h), made ready for writing.
#pragma once
#include <cstddef>

namespace mce {

// Makes the pages of new memory present where the OS can do that in one call, instead of one page
// fault per page when the memory is first written. Only a hint: memory it leaves as it was works
// the same, more slowly on its first write.
void PrefaultMemory(unsigned char* bytes, size_t size);

}  // namespace mce
