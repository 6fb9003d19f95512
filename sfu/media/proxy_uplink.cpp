#include "sfu/media/proxy_uplink.h"

#include <array>

#include "rtp/rtcp_parser.h"

namespace sfu {

bool ProxyUplink::send_rtcp(ByteSpan packet) {
  bool crossed = false;
  rtp::RtcpCompoundIterator packets(packet);
  rtp::RtcpHeader header;
  while (packets.next(header)) {
    switch (rtp::classify_rtcp(header)) {
      case rtp::RtcpMessageKind::kPli:
      case rtp::RtcpMessageKind::kFir:
        crossed = link_.push_keyframe_request(track_) || crossed;
        break;
      case rtp::RtcpMessageKind::kGenericNack: {
        auto nack = rtp::parse_generic_nack(header);
        if (!nack) break;
        std::array<uint16_t, CrossWorkerPacket::kMaxNackItems> lost;
        size_t count = 0;
        nack->for_each_lost([&](uint16_t seq) {
          if (count < lost.size()) lost[count++] = seq;
        });
        crossed = link_.push_nack(track_, std::span<const uint16_t>(lost.data(), count)) || crossed;
        break;
      }
      default:
        break;  // receiver reports, transport-cc: terminated per hop
    }
  }
  return crossed;
}

}  // namespace sfu
