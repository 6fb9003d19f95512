#include "sfu/media/down_track.h"

#include <cstring>

#include "base/random.h"
#include "sfu/media/published_track.h"

namespace sfu {

DownTrack::DownTrack(PublishedTrack& source, Participant& subscriber, MediaSink& sink, std::string mid,
                     uint32_t ssrc, uint32_t rtx_ssrc)
    : source_(source),
      subscriber_(subscriber),
      sink_(sink),
      mid_(std::move(mid)),
      ssrc_(ssrc),
      rtx_ssrc_(rtx_ssrc) {
  payload_type_map_.fill(kUnmapped);
  rtx_payload_type_map_.fill(kUnmapped);
  // Random starting points, as RFC 3550 asks of any sender; the offsets are fixed when the first
  // packet goes out.
  sequence_offset_ = random_value<uint16_t>();
  timestamp_offset_ = random_value<uint32_t>();
  rtx_sequence_ = random_value<uint16_t>();
  // Audio needs no keyframe: every Opus packet decodes on its own.
  started_ = source_.kind() == sdp::MediaKind::kAudio;
}

void DownTrack::map_payload_type(uint8_t publisher_pt, uint8_t subscriber_pt, uint8_t subscriber_rtx_pt) {
  if (publisher_pt >= 128 || subscriber_pt >= 128) return;
  payload_type_map_[publisher_pt] = subscriber_pt;
  rtx_payload_type_map_[subscriber_pt] =
      subscriber_rtx_pt < 128 && subscriber_rtx_pt != 0 ? subscriber_rtx_pt : kUnmapped;
}

void DownTrack::map_extension(uint8_t publisher_id, uint8_t subscriber_id) {
  extension_map_[publisher_id] = subscriber_id;
}

size_t DownTrack::rewrite_into(const rtp::RtpPacket& packet, uint8_t payload_type, MutableByteSpan out) {
  size_t size = packet.size();
  if (size > out.size()) return 0;
  std::memcpy(out.data(), packet.bytes().data(), size);
  rtp::RtpPacket copy = packet.view_of_copy(out.data());
  copy.set_ssrc(ssrc_);
  copy.set_sequence_number(static_cast<uint16_t>(packet.sequence_number() + sequence_offset_));
  copy.set_timestamp(packet.timestamp() + timestamp_offset_);
  copy.set_payload_type(payload_type);
  if (copy.has_extension()) copy.remap_extension_ids(extension_map_);
  return size;
}

size_t DownTrack::rewrite(const rtp::RtpPacket& packet, bool is_keyframe_start, MutableByteSpan out) {
  if (!active_) return 0;
  uint8_t payload_type = payload_type_map_[packet.payload_type()];
  if (payload_type == kUnmapped) {
    ++counters_.dropped_unsupported_codec;
    return 0;
  }
  if (!started_) {
    if (!is_keyframe_start) {
      ++counters_.dropped_before_keyframe;
      return 0;
    }
    // First packet: choose offsets so the subscriber's sequence continues from a random start
    // with no artificial gap.
    uint16_t first_seq = sequence_offset_;
    sequence_offset_ = static_cast<uint16_t>(first_seq - packet.sequence_number());
    started_ = true;
  }
  size_t size = rewrite_into(packet, payload_type, out);
  if (size > 0) {
    ++counters_.packets;
    counters_.bytes += size;
    counters_.payload_bytes += packet.payload_size();
  }
  return size;
}

bool DownTrack::allow_keyframe_request(uint64_t now_ms, uint64_t interval_ms) {
  if (keyframe_request_allowed_once_ && now_ms - last_keyframe_request_ms_ < interval_ms) return false;
  keyframe_request_allowed_once_ = true;
  last_keyframe_request_ms_ = now_ms;
  return true;
}

size_t DownTrack::rewrite_retransmission(const rtp::RtpPacket& stored, MutableByteSpan scratch,
                                         MutableByteSpan out) {
  if (!active_ || !started_) return 0;
  uint8_t payload_type = payload_type_map_[stored.payload_type()];
  if (payload_type == kUnmapped) return 0;
  uint8_t rtx_payload_type = rtx_payload_type_map_[payload_type];
  if (rtx_payload_type == kUnmapped || rtx_ssrc_ == 0) {
    // No RTX negotiated: RFC 4585 allows resending the original packet on the media SSRC.
    size_t size = rewrite_into(stored, payload_type, out);
    if (size > 0) ++counters_.retransmitted;
    return size;
  }
  // Rewrite into `scratch`, then wrap as RTX (RFC 4588) into `out`.
  size_t size = rewrite_into(stored, payload_type, scratch);
  if (size == 0) return 0;
  auto rewritten = rtp::RtpPacket::parse(scratch.first(size));
  if (!rewritten) return 0;
  size_t rtx_size = rtp::build_rtx(*rewritten, rtx_payload_type, rtx_ssrc_, rtx_sequence_++, out);
  if (rtx_size > 0) ++counters_.retransmitted;
  return rtx_size;
}

}  // namespace sfu
