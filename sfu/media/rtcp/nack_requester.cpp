#include "sfu/media/rtcp/nack_requester.h"

#include <span>

#include "rtp/nack_generator.h"
#include "rtp/rtcp_builder.h"
#include "sfu/media/published_track.h"

namespace sfu {

size_t NackRequester::build_due(PublishedTrack& track, uint32_t sender_ssrc, uint64_t now_ms,
                                MutableByteSpan out) {
  return build_due(track.layer(0), sender_ssrc, now_ms, out);
}

size_t NackRequester::build_due(LayerStream& layer, uint32_t sender_ssrc, uint64_t now_ms,
                                MutableByteSpan out) {
  rtp::NackGenerator* generator = layer.nack_generator();
  if (!generator || layer.ssrc() == 0) return 0;
  size_t lost = generator->collect(now_ms, kDefaultRttMs, std::span<uint16_t>(lost_));
  if (lost == 0) return 0;
  return rtp::build_generic_nack(sender_ssrc, layer.ssrc(), std::span<const uint16_t>(lost_.data(), lost),
                                 out);
}

}  // namespace sfu
