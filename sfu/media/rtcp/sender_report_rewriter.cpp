#include "sfu/media/rtcp/sender_report_rewriter.h"

#include "rtp/rtcp_builder.h"
#include "sfu/media/down_track.h"
#include "sfu/media/participant.h"
#include "sfu/media/published_track.h"

namespace sfu {

size_t SenderReportRewriter::build(const DownTrack& down, uint64_t ntp, uint32_t source_rtp_timestamp,
                                   MutableByteSpan out) {
  if (!down.started()) return 0;
  rtp::SenderInfo info;
  info.ssrc = down.ssrc();
  info.ntp_timestamp = ntp;
  info.rtp_timestamp = down.to_subscriber_timestamp(source_rtp_timestamp);
  // RFC 3550 6.4.1: counts of what this sender (the server, on this SSRC) sent, not the publisher.
  info.packet_count = static_cast<uint32_t>(down.counters().packets);
  info.octet_count = down.octets_sent();
  size_t size = rtp::build_sender_report(info, {}, out);
  if (size == 0) return 0;
  size_t sdes = rtp::build_sdes_cname(down.ssrc(), down.subscriber().cname, out.subspan(size));
  return sdes == 0 ? 0 : size + sdes;
}

size_t SenderReportRewriter::relay(PublishedTrack& track, size_t layer, uint64_t ntp, uint32_t rtp_timestamp,
                                   uint64_t now_ms) {
  track.layer(layer).statistics().on_sender_report(ntp, now_ms);
  track.layer(layer).sender_clock() = {ntp, rtp_timestamp, true};
  size_t sent = 0;
  for (DownTrack* down : track.down_tracks()) {
    // Timestamps map through the offsets of the layer the subscriber receives.
    if (down->current_layer() != layer) continue;
    size_t size = build(*down, ntp, rtp_timestamp, scratch_);
    if (size > 0 && down->sink().send_rtcp(ByteSpan(scratch_.data(), size))) ++sent;
  }
  return sent;
}

}  // namespace sfu
