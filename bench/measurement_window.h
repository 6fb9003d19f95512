// The measured part of a run, shared by the main thread (which sets it) and every client thread
// (which reads it per packet). A packet belongs to the window when its stamped send time does, on
// both the sending and the receiving side, so loss is exact even at the window's edges: what was
// sent inside it and arrived at any time is received, what never arrived is lost.
#pragma once

#include <atomic>
#include <cstdint>

namespace sfu::bench {

struct MeasurementWindow {
  std::atomic<uint64_t> start_ns{UINT64_MAX};
  std::atomic<uint64_t> end_ns{UINT64_MAX};

  bool contains(uint64_t send_ns) const {
    return send_ns >= start_ns.load(std::memory_order_relaxed) &&
           send_ns < end_ns.load(std::memory_order_relaxed);
  }
  void set(uint64_t start, uint64_t end) {
    end_ns.store(end, std::memory_order_relaxed);
    start_ns.store(start, std::memory_order_release);
  }
  void clear() { set(UINT64_MAX, UINT64_MAX); }
  double seconds() const { return static_cast<double>(end_ns.load() - start_ns.load()) / 1e9; }
};

// A counter written by one thread and read by others (the progress line): a relaxed load and
// store, no locked instruction on the packet path.
class LiveCounter {
 public:
  void add(uint64_t n) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

}  // namespace sfu::bench
