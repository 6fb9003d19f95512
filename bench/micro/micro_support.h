// Shared pieces of the per-stage micro-benchmarks: the timed loop with its allocation accounting,
// failure reporting, and the RTP packets every stage works on (shaped like Chrome's: Opus audio and
// 1,200-byte video, with the header extensions a browser sends).
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bench/micro/allocation_counter.h"

namespace sfu::bench {

// The server's own stages must not allocate per packet; libraries' stages are only reported.
enum class AllocationPolicy { kMustNotAllocate, kReportOnly };

// With --require_zero_allocs, a kMustNotAllocate benchmark that allocates fails (the ctest uses it).
void set_require_zero_allocations(bool require);

// Marks the benchmark as failed (reported as an error, and bench_micro exits with 1).
void fail(benchmark::State& state, const char* message);
bool any_failed();

// Sets the allocs_per_op counter from the allocations made during the timed loop, and applies the
// policy.
void report_allocations(benchmark::State& state, uint64_t allocations, AllocationPolicy policy);

// The timed loop: runs `op` once per iteration. `op` returns the size of what it produced (bytes
// parsed or written); 0 means it failed, which fails the benchmark with `what`.
template <typename Op>
void run_op(benchmark::State& state, AllocationPolicy policy, const char* what, Op&& op) {
  const uint64_t start = allocation_count();
  for (auto _ : state) {
    size_t size = op();
    benchmark::DoNotOptimize(size);
    benchmark::ClobberMemory();
    if (size == 0) {
      fail(state, what);
      return;
    }
  }
  report_allocations(state, allocation_count() - start, policy);
}

// Header-extension ids of the publisher's session, as Chrome numbers them by default.
inline constexpr uint8_t kAudioLevelId = 1;
inline constexpr uint8_t kAbsSendTimeId = 2;
inline constexpr uint8_t kTransportCcId = 3;
inline constexpr uint8_t kMidId = 4;

inline constexpr uint8_t kOpusPayloadType = 111;
inline constexpr uint8_t kVp8PayloadType = 96;
inline constexpr uint32_t kPublisherSsrc = 0x11111111;

struct PacketShape {
  uint8_t payload_type = kVp8PayloadType;
  size_t payload_size = 1200;
  // abs-send-time, transport-cc and mid, plus audio level for Opus.
  bool extensions = true;
};

inline constexpr PacketShape kAudioPacket = {kOpusPayloadType, 100, true};
inline constexpr PacketShape kVideoPacket = {kVp8PayloadType, 1200, true};

// One RTP packet of that shape with the given sequence number, exactly as long as the packet.
std::vector<uint8_t> build_packet(const PacketShape& shape, uint16_t sequence_number = 1000);

}  // namespace sfu::bench
