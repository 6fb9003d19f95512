// Counters written by one thread (a worker) and read by others (metrics). A relaxed load and
// store is enough with a single writer, and unlike fetch_add it compiles to plain moves: no
// locked instruction on the packet path.
#pragma once

#include <atomic>
#include <cstdint>

namespace sfu {

inline void bump(std::atomic<uint64_t>& counter, uint64_t by = 1) {
  counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

}  // namespace sfu
