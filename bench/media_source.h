// The synthetic media of one publisher: VP8-shaped video at a configurable packet rate (packets of
// a fixed size, frames of pps/fps packets, the first packet of a frame flagged as a keyframe every
// keyframe interval or on request) and Opus-sized audio every 20 ms. Every packet is a complete
// RTP packet with the header extensions a browser sends and a PacketStamp at the end of its
// payload. Paced from a monotonic clock; a backlog (a stalled thread) is skipped rather than
// burst out, as an encoder would, and skipped packets take no stamp sequence number, so they never
// count as loss.
//
// With simulcast_layers (sfu-bench --simulcast) the video is rid simulcast as Chromium sends it:
// three layers q, h, f built by the test client's SimulcastVideo (own SSRC, sequence numbers,
// picture ids and key frames per layer, the rid header extension), paced one packet at a time: f
// at video_pps, h at half and q at a quarter of it (each step down halves the rate, roughly as
// Chromium's 720p layers do in bitrate), all of video_packet_size. Each layer's packets carry a
// stamp of their own stream (stamp_stream(video stream, layer)) before SimulcastVideo's layer tag.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/bytes.h"
#include "bench/client/simulcast_video.h"
#include "bench/measurement_window.h"

namespace sfu::bench {

inline constexpr uint32_t kSimulcastLayers = 3;
// Packets per second of simulcast layer `layer` (0 = q .. 2 = f) of a publisher at `video_pps`.
inline uint32_t simulcast_layer_pps(uint32_t video_pps, uint32_t layer) {
  uint32_t pps = video_pps >> (kSimulcastLayers - 1 - layer);
  return pps > 0 ? pps : 1;
}
// The smallest --packet-size with simulcast: the RTP header with its four extensions, the VP8
// descriptor and key frame header, the stamp and the layer tag.
inline constexpr size_t kMinSimulcastPacketSize = 100;

struct MediaSourceConfig {
  uint32_t publisher_index = 0;     // room-local: streams 2*i (audio) and 2*i + 1 (video)
  uint32_t video_pps = 1000;        // 0: no video
  size_t video_packet_size = 1200;  // whole RTP packet
  uint32_t video_fps = 30;
  uint32_t keyframe_interval_ms = 1000;
  bool audio = true;
  size_t audio_payload_size = 120;
  uint32_t audio_interval_ms = 20;
  uint32_t audio_ssrc = 0x1111;
  uint32_t video_ssrc = 0x2222;
  uint8_t audio_payload_type = 111;
  uint8_t video_payload_type = 96;
  // RFC 8285 ids as the client's SDP declares them (0: extension not sent).
  uint8_t ext_audio_level = 1, ext_abs_send_time = 2, ext_transport_cc = 3, ext_mid = 4, ext_rid = 5;
  // 0: one video stream; kSimulcastLayers: rid simulcast (see above).
  uint32_t simulcast_layers = 0;
  // Largest backlog sent at once after a stall, in milliseconds of media.
  uint32_t max_backlog_ms = 20;
};

inline uint32_t audio_stream_of(uint32_t publisher_index) { return publisher_index * 2; }
inline uint32_t video_stream_of(uint32_t publisher_index) { return publisher_index * 2 + 1; }

// The stamp sequence numbers of one stream whose send times fell in the measurement window.
struct SentRange {
  uint32_t first = 0;
  uint64_t count = 0;
};

class SyntheticMediaSource {
 public:
  enum class Kind { kNone, kAudio, kVideo };
  static constexpr size_t kMinVideoPacketSize = 64;

  explicit SyntheticMediaSource(const MediaSourceConfig& config);

  // Starts the pacing clock (and the first frame as a keyframe).
  void start(uint64_t now_ns);
  bool started() const { return started_; }
  // The next packet due at now_ns, or kNone. Call build() for it before asking again.
  Kind next_due(uint64_t now_ns);
  // Builds the next packet of `kind` stamped with `now_ns` into `out`; returns its size (0 if it
  // does not fit). Records it in the window's range when `window` contains now_ns.
  size_t build(Kind kind, uint64_t now_ns, const MeasurementWindow* window, MutableByteSpan out);
  void request_keyframe() { keyframe_requested_ = true; }
  // RTCP from the server on the publish connection: a PLI or FIR for our video asks for a keyframe.
  void on_feedback(ByteSpan rtcp);

  const MediaSourceConfig& config() const { return config_; }
  uint64_t audio_sent() const { return audio_sequence_; }
  // Video packets sent (all layers).
  uint64_t video_sent() const { return video_sequence_; }
  uint64_t keyframes_sent() const { return keyframes_; }
  uint64_t skipped() const { return skipped_; }
  const SentRange& audio_window() const { return audio_window_; }
  const SentRange& video_window() const { return video_window_; }
  uint32_t packets_per_frame() const { return packets_per_frame_; }
  // Simulcast: each layer's stamps sent in the window, its packets per frame, and the layers.
  bool simulcast() const { return simulcast_.has_value(); }
  const SentRange& layer_window(uint32_t layer) const { return layer_window_[layer]; }
  uint32_t layer_packets_per_frame(uint32_t layer) const { return layer_packets_per_frame_[layer]; }
  const client::SimulcastVideo* simulcast_video() const { return simulcast_ ? &*simulcast_ : nullptr; }

 private:
  size_t build_audio(uint64_t now_ns, MutableByteSpan out);
  size_t build_video(uint64_t now_ns, MutableByteSpan out);
  size_t build_layer(uint32_t layer, uint64_t now_ns, MutableByteSpan out);
  bool layer_due(uint64_t elapsed_ns);

  MediaSourceConfig config_;
  uint32_t packets_per_frame_ = 1;
  bool started_ = false;
  uint64_t start_ns_ = 0;
  uint64_t audio_due_ = 0, video_due_ = 0;  // packets scheduled so far (sent or skipped)
  uint32_t audio_sequence_ = 0, video_sequence_ = 0;
  uint16_t audio_rtp_sequence_ = 1000, video_rtp_sequence_ = 20000, transport_sequence_ = 0;
  uint32_t audio_timestamp_base_ = 12345, video_timestamp_base_ = 67890;
  uint32_t frame_packet_ = 0;  // index of the next video packet within its frame
  uint32_t frame_timestamp_ = 0;
  bool frame_is_keyframe_ = false;
  bool keyframe_requested_ = true;
  uint64_t last_keyframe_ns_ = 0;
  uint64_t keyframes_ = 0, skipped_ = 0;
  SentRange audio_window_, video_window_;
  // Simulcast.
  std::optional<client::SimulcastVideo> simulcast_;
  std::array<uint64_t, kSimulcastLayers> layer_due_{};
  std::array<uint32_t, kSimulcastLayers> layer_sequence_{};
  std::array<uint32_t, kSimulcastLayers> layer_packets_per_frame_{};
  std::array<SentRange, kSimulcastLayers> layer_window_{};
  uint32_t due_layer_ = 0;  // the layer next_due() found due
};

}  // namespace sfu::bench
