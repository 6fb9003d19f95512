#include "sfu/media/proxy_uplink.h"

#include <array>

#include "rtp/rtcp_parser.h"

namespace sfu {

size_t ProxyUplink::layer_of(uint32_t ssrc) const {
  int layer = proxy_ ? proxy_->layer_of_ssrc(ssrc) : -1;
  return layer < 0 ? 0 : static_cast<size_t>(layer);
}

bool ProxyUplink::send_rtcp(ByteSpan packet) {
  bool crossed = false;
  rtp::RtcpCompoundIterator packets(packet);
  rtp::RtcpHeader header;
  while (packets.next(header)) {
    switch (rtp::classify_rtcp(header)) {
      case rtp::RtcpMessageKind::kPli:
        if (auto pli = rtp::parse_pli(header))
          crossed = link_.push_keyframe_request(track_, layer_of(pli->media_ssrc)) || crossed;
        break;
      case rtp::RtcpMessageKind::kFir:
        if (auto fir = rtp::parse_fir(header))
          for (const rtp::FirEntry entry : fir->entries)
            crossed = link_.push_keyframe_request(track_, layer_of(entry.ssrc)) || crossed;
        break;
      case rtp::RtcpMessageKind::kGenericNack: {
        auto nack = rtp::parse_generic_nack(header);
        if (!nack) break;
        std::array<uint16_t, CrossWorkerPacket::kMaxNackItems> lost;
        size_t count = 0;
        nack->for_each_lost([&](uint16_t seq) {
          if (count < lost.size()) lost[count++] = seq;
        });
        crossed = link_.push_nack(track_, layer_of(nack->media_ssrc),
                                  std::span<const uint16_t>(lost.data(), count)) ||
                  crossed;
        break;
      }
      default:
        break;  // receiver reports, transport-cc: terminated per hop
    }
  }
  return crossed;
}

}  // namespace sfu
