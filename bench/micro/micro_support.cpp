// Shared pieces of the per-stage micro-benchmarks (see micro_support.h).
#include "bench/micro/micro_support.h"

#include <array>

#include "rtp/rtp_packet.h"

namespace sfu::bench {
namespace {
bool g_require_zero_allocations = false;
bool g_failed = false;
}  // namespace

void set_require_zero_allocations(bool require) { g_require_zero_allocations = require; }

void fail(benchmark::State& state, const char* message) {
  g_failed = true;
  state.SkipWithError(message);
}

bool any_failed() { return g_failed; }

void report_allocations(benchmark::State& state, uint64_t allocations, AllocationPolicy policy) {
  state.counters["allocs_per_op"] =
      benchmark::Counter(static_cast<double>(allocations), benchmark::Counter::kAvgIterations);
  if (allocations > 0 && policy == AllocationPolicy::kMustNotAllocate && g_require_zero_allocations) {
    fail(state, "allocated on a path that must not allocate per packet");
  }
}

std::vector<uint8_t> build_packet(const PacketShape& shape, uint16_t sequence_number) {
  const std::array<uint8_t, 1> audio_level = {0x80 | 40};  // voice, -40 dBov
  const std::array<uint8_t, 3> abs_send_time = {0x12, 0x34, 0x56};
  const std::array<uint8_t, 2> transport_cc = {0x00, 0x07};
  const std::array<uint8_t, 1> mid = {'0'};
  std::vector<rtp::HeaderExtension> extensions;
  if (shape.extensions) {
    if (shape.payload_type == kOpusPayloadType) extensions.push_back({kAudioLevelId, audio_level});
    extensions.push_back({kAbsSendTimeId, abs_send_time});
    extensions.push_back({kTransportCcId, transport_cc});
    extensions.push_back({kMidId, mid});
  }
  rtp::RtpHeaderFields fields;
  fields.payload_type = shape.payload_type;
  fields.sequence_number = sequence_number;
  fields.timestamp = 90000;
  fields.ssrc = kPublisherSsrc;
  const std::vector<uint8_t> payload(shape.payload_size, 0x55);
  std::vector<uint8_t> packet(shape.payload_size + 64);
  packet.resize(rtp::build_rtp_packet(fields, extensions, payload, 0, packet));
  return packet;
}

}  // namespace sfu::bench
