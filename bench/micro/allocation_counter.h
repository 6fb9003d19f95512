// Heap allocations made by the calling thread, counted by the replacement allocation functions in
// allocation_counter.cpp. Benchmarks read the count before and after their timed loop to report
// allocations per operation: the packet path is meant to allocate nothing per packet.
#pragma once

#include <cstdint>

namespace sfu::bench {

// Whether C allocations (malloc, calloc, realloc, as libsrtp2 and NSS make them) are counted too.
// Sanitizer builds own malloc, so there only operator new is counted.
bool counts_c_allocations();

// Allocations by this thread since it started.
uint64_t allocation_count();

}  // namespace sfu::bench
