#include "sfu/media/published_track.h"

namespace sfu {

PublishedTrack::PublishedTrack(Participant& publisher, MediaSink& feedback_sink, PublishedTrackSpec spec)
    : publisher_(publisher),
      feedback_sink_(feedback_sink),
      spec_(std::move(spec)),
      statistics_(spec_.codecs.empty() ? 90000 : spec_.codecs.front().clock_rate) {}

const sdp::Codec* PublishedTrack::codec_for(uint8_t payload_type) const {
  for (const auto& codec : spec_.codecs)
    if (codec.payload_type == payload_type) return &codec;
  return nullptr;
}

rtp::VideoCodec PublishedTrack::video_codec_for(uint8_t payload_type) const {
  const sdp::Codec* codec = codec_for(payload_type);
  return codec ? rtp::video_codec_from_name(codec->name) : rtp::VideoCodec::Unknown;
}

std::optional<uint8_t> PublishedTrack::media_payload_type_of_rtx(uint8_t rtx_payload_type) const {
  if (rtx_payload_type == 0) return std::nullopt;  // 0 in the table means "no RTX"
  for (const auto& codec : spec_.codecs)
    if (codec.payload_type < 128 && spec_.rtx_payload_type[codec.payload_type] == rtx_payload_type)
      return codec.payload_type;
  return std::nullopt;
}

uint32_t PublishedTrack::clock_rate() const {
  return spec_.codecs.empty() ? 90000 : spec_.codecs.front().clock_rate;
}

void PublishedTrack::on_packet(const rtp::RtpPacket& packet, uint64_t now_ms) {
  ++counters_.packets;
  counters_.bytes += packet.size();
  statistics_.on_packet(packet.sequence_number(), packet.timestamp(), now_ms, packet.size());
  // Audio is repaired by Opus FEC, not NACK: it keeps no history and no NACK state.
  if (spec_.kind != sdp::MediaKind::kVideo) return;
  history_.store(packet.bytes(), packet.sequence_number(), now_ms);
  // A proxy's losses upstream are its publisher's worker's to repair (cross_worker_routes.h).
  if (remote_routes_.proxied) return;
  if (!nack_) nack_ = std::make_unique<rtp::NackGenerator>();  // once, on the first packet
  nack_->on_packet(packet.sequence_number(), now_ms);
  if (nack_->keyframe_needed()) {
    // Too much was lost to repair packet by packet: ask for a fresh keyframe instead.
    nack_->clear_keyframe_needed();
    keyframe_requests_.request();
  }
}

bool PublishedTrack::take_keyframe_request(uint64_t now_ms, uint64_t interval_ms) {
  if (!keyframe_requests_.take(now_ms, interval_ms)) return false;
  ++counters_.keyframe_requests_sent;
  return true;
}

}  // namespace sfu
