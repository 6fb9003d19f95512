#include "sfu/media/layer_stream.h"

namespace sfu {

LayerStream::LayerStream(std::string rid, uint32_t ssrc, uint32_t rtx_ssrc, uint32_t clock_rate, bool video)
    : rid_(std::move(rid)), ssrc_(ssrc), rtx_ssrc_(rtx_ssrc), video_(video), statistics_(clock_rate) {}

bool LayerStream::on_packet(const rtp::RtpPacket& packet, uint64_t now_ms, bool read_frame_size) {
  ++counters_.packets;
  counters_.bytes += packet.size();
  last_packet_ms_ = now_ms;
  bool changed = !arriving_;
  if (changed) arriving_since_ms_ = now_ms;
  arriving_ = true;
  statistics_.on_packet(packet.sequence_number(), packet.timestamp(), now_ms, packet.size());
  // Audio is repaired by Opus FEC, not NACK: it keeps no history and no NACK state.
  if (!video_) return changed;
  if (read_frame_size) {
    if (auto size = rtp::vp8_keyframe_size(packet.payload())) {
      ++counters_.keyframes;
      changed = changed || frame_size_ != size;
      frame_size_ = size;
    }
  }
  history_.store(packet.bytes(), packet.sequence_number(), now_ms);
  if (!nacks_) return changed;
  if (!nack_) nack_ = std::make_unique<rtp::NackGenerator>();  // once, on the first packet
  nack_->on_packet(packet.sequence_number(), now_ms);
  if (nack_->keyframe_needed()) {
    // Too much was lost to repair packet by packet: ask for a fresh keyframe instead.
    nack_->clear_keyframe_needed();
    keyframe_requests_.request();
  }
  return changed;
}

bool LayerStream::on_timer(uint64_t now_ms) {
  history_.on_timer(now_ms);
  bitrate_.on_timer(now_ms, counters_.packets, counters_.bytes);
  if (!arriving_) return false;
  if (now_ms - last_packet_ms_ >= kIdleMs) {
    arriving_ = settled_ = false;
    return true;
  }
  if (settled_ || now_ms - arriving_since_ms_ < kSettleMs) return false;
  settled_ = true;
  return true;
}

bool LayerStream::take_keyframe_request(uint64_t now_ms, uint64_t interval_ms, bool* for_switch) {
  if (!keyframe_requests_.take(now_ms, interval_ms)) return false;
  ++counters_.keyframe_requests_sent;
  if (for_switch) *for_switch = switch_request_;
  switch_request_ = false;
  return true;
}

}  // namespace sfu
