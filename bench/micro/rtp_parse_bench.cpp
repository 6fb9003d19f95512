// RTP parse: RtpPacket::parse of a 1,200-byte video packet, with no header extensions and with the
// three a browser sends (abs-send-time, transport-cc, mid). Every packet a publisher sends is
// parsed once; parse validates each extension element, so the extensions are the variable cost.
#include "bench/micro/micro_support.h"
#include "rtp/rtp_packet.h"

namespace sfu::bench {
namespace {

void BM_RtpParse(benchmark::State& state, bool extensions) {
  PacketShape shape = kVideoPacket;
  shape.extensions = extensions;
  std::vector<uint8_t> packet = build_packet(shape);
  run_op(state, AllocationPolicy::kMustNotAllocate, "RtpPacket::parse rejected the packet", [&] {
    auto parsed = rtp::RtpPacket::parse(MutableByteSpan(packet));
    return parsed ? parsed->header_size() : 0;
  });
}

BENCHMARK_CAPTURE(BM_RtpParse, no_extensions, false);
BENCHMARK_CAPTURE(BM_RtpParse, extensions, true);

}  // namespace
}  // namespace sfu::bench
