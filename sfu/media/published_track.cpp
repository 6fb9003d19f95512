#include "sfu/media/published_track.h"

#include "sfu/media/down_track.h"

namespace sfu {

PublishedTrack::PublishedTrack(Participant& publisher, MediaSink& feedback_sink, PublishedTrackSpec spec)
    : publisher_(publisher), feedback_sink_(feedback_sink), spec_(std::move(spec)) {
  const bool video = spec_.kind == sdp::MediaKind::kVideo;
  if (spec_.layers.empty()) {
    layers_.push_back(
        std::make_unique<LayerStream>(spec_.rid, spec_.ssrc, spec_.rtx_ssrc, clock_rate(), video));
  } else {
    for (const LayerSpec& layer : spec_.layers)
      layers_.push_back(
          std::make_unique<LayerStream>(layer.rid, layer.ssrc, layer.rtx_ssrc, clock_rate(), video));
  }
  for (const auto& codec : spec_.codecs)
    reads_frame_size_ = reads_frame_size_ || rtp::video_codec_from_name(codec.name) == rtp::VideoCodec::VP8;
  reads_frame_size_ = reads_frame_size_ && video && layers_.size() > 1;
  if (video) {
    layer_reader_ = std::make_unique<PacketLayerReader>();
    layer_reader_->set_dependency_descriptor_id(spec_.extensions.dependency_descriptor);
    for (const auto& codec : spec_.codecs)
      layer_reader_->set_codec(codec.payload_type, rtp::video_codec_from_name(codec.name));
  }
}

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

int PublishedTrack::layer_of_ssrc(uint32_t ssrc) const {
  for (size_t i = 0; i < layers_.size(); ++i)
    if (layers_[i]->owns(ssrc)) return static_cast<int>(i);
  return -1;
}

void PublishedTrack::on_packet(size_t layer, const rtp::RtpPacket& packet, uint64_t now_ms) {
  ++counters_.packets;
  counters_.bytes += packet.size();
  if (has_audio_level()) {
    if (auto level = packet.audio_level(spec_.extensions.audio_level)) audio_level_.add(level->level);
  }
  if (layers_[layer]->on_packet(packet, now_ms, reads_frame_size_)) {
    arriving_layers_ |= 1u << layer;
    ++layer_generation_;
  }
}

void PublishedTrack::on_timer(uint64_t now_ms) {
  for (size_t i = 0; i < layers_.size(); ++i) {
    if (!layers_[i]->on_timer(now_ms)) continue;
    if (!layers_[i]->arriving()) arriving_layers_ &= ~(1u << i);
    ++layer_generation_;
  }
}

bool PublishedTrack::layers_settling() const {
  if (layers_.size() < 2) return false;
  for (const auto& layer : layers_)
    if (layer->settled()) return false;
  return true;
}

bool PublishedTrack::take_keyframe_request(uint64_t now_ms, uint64_t interval_ms) {
  if (!layers_.front()->take_keyframe_request(now_ms, interval_ms)) return false;
  ++counters_.keyframe_requests_sent;
  return true;
}

void PublishedTrack::request_keyframe() {
  if (!simulcast()) {
    layers_.front()->request_keyframe();
    return;
  }
  // Simulcast: only the layers someone waits for; none known yet means the subscriber's first
  // target packet asks (the router's forward()).
  for (DownTrack* down : down_tracks_) {
    int8_t target = down->selector().target();
    if (target >= 0 && static_cast<size_t>(target) < layers_.size() &&
        down->selector().waiting_for_keyframe_of(static_cast<uint8_t>(target)))
      layers_[static_cast<size_t>(target)]->request_keyframe(down->selector().current() >= 0);
  }
}

}  // namespace sfu
