// A track a participant publishes, as the router receives it: its codecs, its encodings (one
// LayerStream each: a simulcast layer, or the only stream; each with its SSRCs and the state of
// its incoming stream: reception statistics, losses to NACK, recent packets to answer NACKs,
// pending keyframe requests) and the down-tracks it fans out to. The accessors without a layer
// (ssrc(), statistics(), stored_packet(), ...) are layer 0's: all there is without simulcast.
//
// Thread: its room's worker. Owned by its publisher's Participant; the publisher and the feedback
// sink (the publish transport, through which PLIs, NACKs and reports go back to the publisher)
// are passed in and outlive it; the down-tracks are observed, owned by their subscribers. Video
// tracks allocate their NACK generator and retransmission buffer on their first media packet
// (a track published and never sent costs no packet memory), and grow the buffer with the
// packet rate on the room's timer (RetransmissionHistory). Layers are allocated with the track.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rtp/keyframe_detector.h"
#include "rtp/rtp_packet.h"
#include "sfu/media/audio_level_meter.h"
#include "sfu/media/cross_worker_routes.h"
#include "sfu/media/dynacast.h"
#include "sfu/media/extension_ids.h"
#include "sfu/media/layer_stream.h"
#include "sfu/media/media_sink.h"
#include "sfu/media/packet_layers.h"
#include "sfu/sdp/sdp.h"

namespace sfu {

class DownTrack;
struct Participant;

// One simulcast encoding: its rid (rid simulcast) or its SSRCs (a=ssrc-group:SIM, with FID).
struct LayerSpec {
  std::string rid;
  uint32_t ssrc = 0;      // 0 = learn from the first packet naming `rid`
  uint32_t rtx_ssrc = 0;  // 0 = none announced (learned from repaired-rid when rids are used)
  bool operator==(const LayerSpec&) const = default;
};

struct PublishedTrackSpec {
  std::string id;   // the msid track id (unique within its participant)
  std::string mid;  // in the publisher's session
  sdp::MediaKind kind = sdp::MediaKind::kAudio;
  uint32_t ssrc = 0;      // 0 = learn from the first packet carrying this mid (simulcast, no a=ssrc)
  uint32_t rtx_ssrc = 0;  // 0 = none announced
  // The first layer's rid (empty without rids). An unannounced SSRC binds as a layer's media only
  // with its rid, as its RTX only with its repaired-rid.
  std::string rid;
  // Simulcast: every layer, lowest quality first (the announced order); ssrc, rtx_ssrc and rid
  // above then repeat layers[0]. Empty: one layer, from ssrc, rtx_ssrc and rid.
  std::vector<LayerSpec> layers;
  std::vector<sdp::Codec> codecs;  // media codecs, the publisher's payload types, preferred first
  std::array<uint8_t, 128> rtx_payload_type{};  // media pt -> its rtx pt (0 = none)
  // Audio RED (RFC 2198): the publisher's red payload type and the Opus payload type its blocks
  // carry (0 = no RED negotiated). Subscribers without RED get the primary block as that Opus.
  uint8_t red_payload_type = 0;
  uint8_t red_primary_payload_type = 0;
  ExtensionIds extensions;
};

struct PublishedTrackCounters {
  uint64_t packets = 0, bytes = 0, rtx_packets = 0, keyframe_requests_sent = 0, nacks_sent = 0;
};

class PublishedTrack {
 public:
  // The default of media.publisher_keyframe_interval_ms.
  static constexpr uint64_t kKeyframeRequestIntervalMs = KeyframeRequestCollapser::kDefaultIntervalMs;

  PublishedTrack(Participant& publisher, MediaSink& feedback_sink, PublishedTrackSpec spec);

  Participant& publisher() { return publisher_; }
  const Participant& publisher() const { return publisher_; }
  // Where RTCP for the publisher goes (its publish transport).
  MediaSink& feedback_sink() { return feedback_sink_; }
  const PublishedTrackSpec& spec() const { return spec_; }
  const std::string& id() const { return spec_.id; }
  sdp::MediaKind kind() const { return spec_.kind; }
  const sdp::Codec* codec_for(uint8_t payload_type) const;
  rtp::VideoCodec video_codec_for(uint8_t payload_type) const;
  uint32_t clock_rate() const;
  // The media payload type a publisher's RTX payload type repairs (RFC 4588 apt), if any.
  std::optional<uint8_t> media_payload_type_of_rtx(uint8_t rtx_payload_type) const;

  // Layers: one without simulcast.
  size_t layer_count() const { return layers_.size(); }
  bool simulcast() const { return layers_.size() > 1; }
  LayerStream& layer(size_t index) { return *layers_[index]; }
  const LayerStream& layer(size_t index) const { return *layers_[index]; }
  // The layer whose media or RTX SSRC `ssrc` is; -1 when none.
  int layer_of_ssrc(uint32_t ssrc) const;
  // Bit i: layer i is arriving. Changes to it, or to a layer's frame size, raise the generation,
  // so each down-track's selector re-evaluates its target once after a change.
  uint32_t arriving_layers() const { return arriving_layers_; }
  // Simulcast and no layer settled yet (LayerStream::kSettleMs): the publisher may be starting.
  bool layers_settling() const;
  uint32_t layer_generation() const { return layer_generation_; }

  // Layer 0 (everything without simulcast).
  uint32_t ssrc() const { return layers_.front()->ssrc(); }
  uint32_t rtx_ssrc() const { return layers_.front()->rtx_ssrc(); }
  void learn_ssrc(uint32_t ssrc) { layers_.front()->learn_ssrc(ssrc); }
  void learn_rtx_ssrc(uint32_t ssrc) { layers_.front()->learn_rtx_ssrc(ssrc); }

  // Packet path: account for one media packet of `layer` (already restored from RTX when it came
  // as RTX).
  void on_packet(size_t layer, const rtp::RtpPacket& packet, uint64_t now_ms);
  void on_packet(const rtp::RtpPacket& packet, uint64_t now_ms) { on_packet(0, packet, now_ms); }
  // Timer (the room's, every ~20 ms): sizes the retransmission buffers by the packet rate, and
  // notices layers that stopped arriving.
  void on_timer(uint64_t now_ms);

  // Layer 0's retransmission buffer (video only; empty until the first media packet).
  std::optional<ByteSpan> stored_packet(uint16_t seq, uint64_t now_ms) {
    return layers_.front()->stored_packet(seq, now_ms);
  }
  bool resent_recently(uint16_t seq, uint64_t now_ms, uint32_t min_interval_ms, uint32_t recipient) const {
    return layers_.front()->resent_recently(seq, now_ms, min_interval_ms, recipient);
  }
  bool mark_resent(uint16_t seq, uint64_t now_ms, uint32_t min_interval_ms, uint32_t recipient) {
    return layers_.front()->mark_resent(seq, now_ms, min_interval_ms, recipient);
  }
  size_t retransmission_capacity() const { return layers_.front()->retransmission_capacity(); }

  // Keyframe requests from any number of subscribers collapse into one per `interval_ms` per
  // layer (KeyframeRequestCollapser); take_keyframe_request() is true when a PLI for layer 0 is
  // to be sent now. request_keyframe() asks every layer a subscriber waits for (layer 0 without
  // simulcast).
  bool take_keyframe_request(uint64_t now_ms, uint64_t interval_ms);
  void request_keyframe();
  bool keyframe_wanted() const { return layers_.front()->keyframe_wanted(); }

  rtp::ReceiveStatistics& statistics() { return layers_.front()->statistics(); }
  rtp::NackGenerator* nack_generator() { return layers_.front()->nack_generator(); }
  // All layers together.
  PublishedTrackCounters& counters() { return counters_; }
  const PublishedTrackCounters& counters() const { return counters_; }

  using SenderClock = LayerStream::SenderClock;
  SenderClock& sender_clock() { return layers_.front()->sender_clock(); }

  std::vector<DownTrack*>& down_tracks() { return down_tracks_; }
  // Video: reads each packet's spatial/temporal layers for the down-tracks' SvcFilters (the
  // track's latest AV1 dependency structure lives in it); nullptr for audio.
  PacketLayerReader* layer_reader() { return layer_reader_.get(); }
  const PacketLayerReader* layer_reader() const { return layer_reader_.get(); }

  // Audio with the RFC 6464 extension negotiated: how loud it is (active speakers).
  bool has_audio_level() const {
    return spec_.kind == sdp::MediaKind::kAudio && spec_.extensions.audio_level != 0;
  }
  AudioLevelMeter& audio_level() { return audio_level_; }
  const AudioLevelMeter& audio_level() const { return audio_level_; }
  // Simulcast video: the layers the publisher is told to send (dynacast.h).
  DynacastLayers& dynacast() { return dynacast_; }

  // A room spanning workers: where else this track goes, or that it is a proxy (room_shard.h).
  CrossWorkerRoutes& remote_routes() { return remote_routes_; }
  const CrossWorkerRoutes& remote_routes() const { return remote_routes_; }

 private:
  // Passed by argument.
  Participant& publisher_;
  MediaSink& feedback_sink_;
  // Allocated by this.
  PublishedTrackSpec spec_;
  std::vector<std::unique_ptr<LayerStream>> layers_;  // at least one
  bool reads_frame_size_ = false;                     // VP8 simulcast: selectors use frame sizes
  uint32_t arriving_layers_ = 0;
  uint32_t layer_generation_ = 0;
  PublishedTrackCounters counters_;
  AudioLevelMeter audio_level_;
  DynacastLayers dynacast_;
  // Observed: owned by their subscribers, unlinked by the room before they are freed.
  std::vector<DownTrack*> down_tracks_;
  std::unique_ptr<PacketLayerReader> layer_reader_;
  CrossWorkerRoutes remote_routes_;
};

}  // namespace sfu
