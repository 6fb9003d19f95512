#include "bench/media_source.h"

#include <algorithm>
#include <cstring>

#include "bench/packet_stamp.h"
#include "rtp/rtcp_packet.h"
#include "rtp/rtcp_parser.h"
#include "rtp/rtp_packet.h"

namespace sfu::bench {
namespace {

constexpr uint16_t kVideoWidth = 1280;
constexpr uint16_t kVideoHeight = 720;

uint64_t max_backlog(uint64_t per_second, uint32_t backlog_ms) {
  return std::max<uint64_t>(1, per_second * backlog_ms / 1000);
}

}  // namespace

SyntheticMediaSource::SyntheticMediaSource(const MediaSourceConfig& config) : config_(config) {
  if (config_.video_fps == 0) config_.video_fps = 30;
  if (config_.audio_interval_ms == 0) config_.audio_interval_ms = 20;
  packets_per_frame_ = std::max<uint32_t>(1, (config_.video_pps + config_.video_fps / 2) / config_.video_fps);
  config_.video_packet_size = std::max(config_.video_packet_size, kMinVideoPacketSize);
  if (config_.simulcast_layers > 0 && config_.video_pps > 0) {
    config_.simulcast_layers = kSimulcastLayers;
    config_.video_packet_size = std::max(config_.video_packet_size, kMinSimulcastPacketSize);
    simulcast_.emplace(kSimulcastLayers, client::SimulcastVideo::ExtensionIds{
                                             config_.ext_abs_send_time, config_.ext_transport_cc,
                                             config_.ext_mid, config_.ext_rid});
    for (uint32_t layer = 0; layer < kSimulcastLayers; ++layer)
      layer_packets_per_frame_[layer] = std::max<uint32_t>(
          1, (simulcast_layer_pps(config_.video_pps, layer) + config_.video_fps / 2) / config_.video_fps);
  }
}

void SyntheticMediaSource::start(uint64_t now_ns) {
  started_ = true;
  start_ns_ = now_ns;
  audio_due_ = video_due_ = 0;
  layer_due_.fill(0);
  frame_packet_ = 0;
  keyframe_requested_ = true;
}

SyntheticMediaSource::Kind SyntheticMediaSource::next_due(uint64_t now_ns) {
  if (!started_ || now_ns < start_ns_) return Kind::kNone;
  uint64_t elapsed = now_ns - start_ns_;
  if (config_.audio) {
    uint64_t target = elapsed / (uint64_t{config_.audio_interval_ms} * 1'000'000) + 1;
    uint64_t limit = max_backlog(1000 / config_.audio_interval_ms, config_.max_backlog_ms);
    if (target > audio_due_ + limit) {
      skipped_ += target - limit - audio_due_;
      audio_due_ = target - limit;
    }
    if (audio_due_ < target) {
      ++audio_due_;
      return Kind::kAudio;
    }
  }
  if (simulcast_) return layer_due(elapsed) ? Kind::kVideo : Kind::kNone;
  if (config_.video_pps > 0) {
    // elapsed * pps may exceed 64 bits only after ~58 years at 10 Mpps.
    uint64_t target = elapsed * config_.video_pps / 1'000'000'000ull + 1;
    uint64_t limit = max_backlog(config_.video_pps, config_.max_backlog_ms);
    if (target > video_due_ + limit) {
      skipped_ += target - limit - video_due_;
      video_due_ = target - limit;
    }
    if (video_due_ < target) {
      ++video_due_;
      return Kind::kVideo;
    }
  }
  return Kind::kNone;
}

// The first simulcast layer with a packet due (lowest first), in due_layer_; each layer paced and
// its backlog skipped as the single video stream's is.
bool SyntheticMediaSource::layer_due(uint64_t elapsed_ns) {
  for (uint32_t layer = 0; layer < kSimulcastLayers; ++layer) {
    uint32_t pps = simulcast_layer_pps(config_.video_pps, layer);
    uint64_t target = elapsed_ns * pps / 1'000'000'000ull + 1;
    uint64_t limit = max_backlog(pps, config_.max_backlog_ms);
    uint64_t& due = layer_due_[layer];
    if (target > due + limit) {
      skipped_ += target - limit - due;
      due = target - limit;
    }
    if (due < target) {
      ++due;
      due_layer_ = layer;
      return true;
    }
  }
  return false;
}

size_t SyntheticMediaSource::build(Kind kind, uint64_t now_ns, const MeasurementWindow* window,
                                   MutableByteSpan out) {
  bool in_window = window && window->contains(now_ns);
  if (kind == Kind::kVideo && simulcast_) {
    uint32_t layer = due_layer_;
    uint32_t sequence = layer_sequence_[layer];
    size_t size = build_layer(layer, now_ns, out);
    if (size > 0) {
      ++video_sequence_;
      if (in_window && layer_window_[layer].count++ == 0) layer_window_[layer].first = sequence;
    }
    return size;
  }
  if (kind == Kind::kAudio) {
    uint32_t sequence = audio_sequence_;
    size_t size = build_audio(now_ns, out);
    if (size > 0 && in_window) {
      if (audio_window_.count++ == 0) audio_window_.first = sequence;
    }
    return size;
  }
  if (kind == Kind::kVideo) {
    uint32_t sequence = video_sequence_;
    size_t size = build_video(now_ns, out);
    if (size > 0 && in_window) {
      if (video_window_.count++ == 0) video_window_.first = sequence;
    }
    return size;
  }
  return 0;
}

size_t SyntheticMediaSource::build_audio(uint64_t now_ns, MutableByteSpan out) {
  const uint8_t level = 0x80 | 30;  // voice, -30 dBov (RFC 6464)
  const uint8_t mid[] = {'0'};
  rtp::HeaderExtension extensions[2];
  size_t count = 0;
  if (config_.ext_audio_level) extensions[count++] = {config_.ext_audio_level, ByteSpan(&level, 1)};
  if (config_.ext_mid) extensions[count++] = {config_.ext_mid, ByteSpan(mid, 1)};
  rtp::RtpHeaderFields fields;
  fields.payload_type = config_.audio_payload_type;
  fields.sequence_number = audio_rtp_sequence_;
  fields.timestamp = audio_timestamp_base_ + static_cast<uint32_t>((now_ns - start_ns_) * 48 / 1'000'000);
  fields.ssrc = config_.audio_ssrc;
  size_t header = rtp::write_rtp_header(fields, std::span(extensions, count), out);
  size_t payload = std::max(config_.audio_payload_size, kStampSize + 1);
  if (header == 0 || header + payload > out.size()) return 0;
  std::memset(out.data() + header, 0, payload);
  out[header] = 0x78;  // an Opus TOC byte: CELT fullband 20 ms, one frame
  write_stamp({audio_stream_of(config_.publisher_index), audio_sequence_, now_ns},
              out.subspan(header, payload));
  ++audio_sequence_;
  ++audio_rtp_sequence_;
  return header + payload;
}

size_t SyntheticMediaSource::build_video(uint64_t now_ns, MutableByteSpan out) {
  bool first_of_frame = frame_packet_ == 0;
  if (first_of_frame) {
    frame_is_keyframe_ = keyframe_requested_ ||
                         now_ns - last_keyframe_ns_ >= uint64_t{config_.keyframe_interval_ms} * 1'000'000;
    frame_timestamp_ = video_timestamp_base_ + static_cast<uint32_t>((now_ns - start_ns_) * 9 / 100'000);
  }
  bool last_of_frame = frame_packet_ + 1 >= packets_per_frame_;

  // abs-send-time: 6.18 fixed-point seconds, 24 bits.
  uint32_t abs_send_time = static_cast<uint32_t>(((now_ns / 1000) << 18) / 1'000'000) & 0xFFFFFF;
  uint8_t abs[3] = {static_cast<uint8_t>(abs_send_time >> 16), static_cast<uint8_t>(abs_send_time >> 8),
                    static_cast<uint8_t>(abs_send_time)};
  uint8_t transport_cc[2] = {static_cast<uint8_t>(transport_sequence_ >> 8),
                             static_cast<uint8_t>(transport_sequence_)};
  const uint8_t mid[] = {'1'};
  rtp::HeaderExtension extensions[3];
  size_t count = 0;
  if (config_.ext_abs_send_time) extensions[count++] = {config_.ext_abs_send_time, ByteSpan(abs, 3)};
  if (config_.ext_transport_cc) extensions[count++] = {config_.ext_transport_cc, ByteSpan(transport_cc, 2)};
  if (config_.ext_mid) extensions[count++] = {config_.ext_mid, ByteSpan(mid, 1)};
  rtp::RtpHeaderFields fields;
  fields.marker = last_of_frame;
  fields.payload_type = config_.video_payload_type;
  fields.sequence_number = video_rtp_sequence_;
  fields.timestamp = frame_timestamp_;
  fields.ssrc = config_.video_ssrc;
  size_t header = rtp::write_rtp_header(fields, std::span(extensions, count), out);
  if (header == 0 || config_.video_packet_size > out.size() ||
      header + kStampSize + 11 > config_.video_packet_size)
    return 0;
  size_t payload = config_.video_packet_size - header;
  uint8_t* p = out.data() + header;
  std::memset(p, 0, payload);
  // VP8 payload descriptor (RFC 7741): S=1 on the first packet of a frame, partition 0.
  size_t offset = 0;
  p[offset++] = first_of_frame ? 0x10 : 0x00;
  if (first_of_frame) {
    // VP8 frame tag (RFC 6386 9.1): P=0 for a keyframe, show_frame=1, first partition size.
    constexpr uint32_t kFirstPartitionSize = 900;
    p[offset++] =
        static_cast<uint8_t>(((kFirstPartitionSize & 0x7) << 5) | 0x10 | (frame_is_keyframe_ ? 0 : 1));
    p[offset++] = static_cast<uint8_t>((kFirstPartitionSize >> 3) & 0xFF);
    p[offset++] = static_cast<uint8_t>((kFirstPartitionSize >> 11) & 0xFF);
    if (frame_is_keyframe_) {
      const uint8_t start_code[] = {
          0x9D, 0x01, 0x2A, kVideoWidth & 0xFF, kVideoWidth >> 8, kVideoHeight & 0xFF, kVideoHeight >> 8};
      std::memcpy(p + offset, start_code, sizeof(start_code));
    }
  }
  write_stamp({video_stream_of(config_.publisher_index), video_sequence_, now_ns},
              MutableByteSpan(p, payload));

  if (first_of_frame && frame_is_keyframe_) {
    ++keyframes_;
    keyframe_requested_ = false;
    last_keyframe_ns_ = now_ns;
  }
  frame_packet_ = last_of_frame ? 0 : frame_packet_ + 1;
  ++video_sequence_;
  ++video_rtp_sequence_;
  ++transport_sequence_;
  return header + payload;
}

size_t SyntheticMediaSource::build_layer(uint32_t layer, uint64_t now_ns, MutableByteSpan out) {
  // The RTP header with abs-send-time, transport-cc, mid and rid (one-byte form, padded to 4).
  constexpr size_t kHeaderSize = 12 + 4 + (1 + 3) + (1 + 2) + (1 + 1) + (1 + 1) + 1;
  size_t payload_size = config_.video_packet_size - kHeaderSize;
  auto built = simulcast_->build_next(layer, layer_packets_per_frame_[layer], payload_size,
                                      now_ns / 1'000'000, transport_sequence_, out);
  if (built.size == 0) return 0;
  // The stamp goes just before SimulcastVideo's layer tag (read_stamp_or_tagged()).
  write_stamp({stamp_stream(video_stream_of(config_.publisher_index), layer), layer_sequence_[layer], now_ns},
              out.subspan(built.payload_offset, built.payload_size - client::SimulcastVideo::kLayerTagSize));
  if (built.keyframe_start) ++keyframes_;
  ++layer_sequence_[layer];
  ++transport_sequence_;
  return built.size;
}

void SyntheticMediaSource::on_feedback(ByteSpan rtcp) {
  rtp::RtcpCompoundIterator packets(rtcp);
  rtp::RtcpHeader header;
  while (packets.next(header)) {
    switch (rtp::classify_rtcp(header)) {
      case rtp::RtcpMessageKind::kPli:
        if (auto pli = rtp::parse_pli(header); pli && pli->media_ssrc == config_.video_ssrc)
          request_keyframe();
        else if (pli && simulcast_)
          simulcast_->on_keyframe_request(pli->media_ssrc);
        break;
      case rtp::RtcpMessageKind::kFir:
        if (auto fir = rtp::parse_fir(header)) {
          for (const rtp::FirEntry entry : fir->entries)
            if (entry.ssrc == config_.video_ssrc)
              request_keyframe();
            else if (simulcast_)
              simulcast_->on_keyframe_request(entry.ssrc);
        }
        break;
      default:
        break;
    }
  }
}

}  // namespace sfu::bench
