// One published track as one subscriber receives it: the subscriber's SSRCs, payload types and
// header-extension ids, and the offsets that move sequence numbers and timestamps into a space of
// the subscriber's own. A video down-track starts forwarding at a keyframe, so the decoder never
// sees a delta frame without its reference.
//
// Simulcast: a LayerSelector picks the one layer forwarded (the subscriber's preferences, set
// with track_settings, cap it) and switches only at a key frame of the target layer. At a switch
// the offsets are recomputed so the subscriber's sequence numbers continue from the last one
// sent, its timestamps advance by the time elapsed, and (VP8) its picture ids and TL0PICIDX
// continue too (rtp::Vp8PictureIdRewriter); packets of the new layer from before its key frame
// are dropped, as they would land in the subscriber's past.
//
// Scalable video (VP8 temporal layers, VP9 SVC, AV1 with the Dependency Descriptor): an
// SvcFilter drops the layers above the subscriber's caps (max_temporal_layer, and max_layer as
// the spatial layer of a stream without simulcast). Every dropped packet moves the sequence
// number offset back by one (and every dropped VP8 picture the picture id offset), so what the
// subscriber receives has no gaps it would take for losses; a ForwardedPacketMap keeps what each
// recent packet was sent as, so NACKs are still answered exactly.
//
// Audio RED (RFC 2198): a subscriber that accepted red gets the publisher's RED packets (the
// blocks' payload types rewritten when its Opus payload type differs); one that accepted only
// Opus gets the primary block, moved in place to the start of the payload of its copy, as a plain
// Opus packet. A RED packet that does not parse, or whose primary is not the Opus the publisher's
// red fmtp names, is dropped (Outcome::kMalformedRed).
//
// Thread: its room's worker. Owned by its subscriber's Participant; the source track, the
// subscriber and the sink (the subscriber's subscribe transport, through which its RTP and RTCP
// go) are passed in and outlive it. Allocates nothing after construction.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "rtp/picture_id_rewriter.h"
#include "rtp/red_payload.h"
#include "rtp/rtp_packet.h"
#include "sfu/media/allocation_state.h"
#include "sfu/media/down_track_counters.h"
#include "sfu/media/extension_ids.h"
#include "sfu/media/forwarded_packet_map.h"
#include "sfu/media/layer_selector.h"
#include "sfu/media/media_sink.h"
#include "sfu/media/packet_layers.h"
#include "sfu/media/svc_filter.h"
#include "sfu/media/track_preferences.h"

namespace sfu {

class PublishedTrack;
struct Participant;

class DownTrack {
 public:
  // What rewrite() did with the last packet (the router counts it).
  enum class Outcome : uint8_t {
    kSent,
    kStarted,  // sent: the first packet (or the first after a pause)
    kSwitchedUp,
    kSwitchedDown,
    kInactive,
    kUnsupportedCodec,
    kOtherLayer,
    kWaitingKeyframe,
    kPaused,
    kBeforeSwitch,
    kTemporalLayer,  // a temporal layer above the subscriber's target (SvcFilter)
    kSpatialLayer,   // a spatial layer (or AV1 decode target) above it
    kMalformedRed,   // an audio RED packet to unwrap or rewrite that does not parse
  };

  DownTrack(PublishedTrack& source, Participant& subscriber, MediaSink& sink, std::string mid, uint32_t ssrc,
            uint32_t rtx_ssrc);

  PublishedTrack& source() { return source_; }
  const PublishedTrack& source() const { return source_; }
  Participant& subscriber() { return subscriber_; }
  const Participant& subscriber() const { return subscriber_; }
  // Where this track's RTP and RTCP for the subscriber go.
  MediaSink& sink() { return sink_; }
  const std::string& mid() const { return mid_; }
  uint32_t ssrc() const { return ssrc_; }
  uint32_t rtx_ssrc() const { return rtx_ssrc_; }

  // What the subscriber's answer accepted: publisher pt -> subscriber pt (and its rtx pt).
  void map_payload_type(uint8_t publisher_pt, uint8_t subscriber_pt, uint8_t subscriber_rtx_pt);
  void map_extension(uint8_t publisher_id, uint8_t subscriber_id);
  // Until the subscriber's answer arrives (or when it rejected everything) nothing is sent.
  void set_active(bool active) { active_ = active; }
  bool active() const { return active_; }

  // Packet path. Copies `packet` (of simulcast layer `layer`) into `out` rewritten for this
  // subscriber; returns the size, or 0 when the packet is not to be sent (inactive, codec not
  // accepted, another layer, waiting for a keyframe, paused): outcome() says which.
  // `layers`: the packet's scalability (PacketLayerReader); nullptr forwards every layer.
  size_t rewrite(const rtp::RtpPacket& packet, uint8_t layer, bool is_keyframe_start, uint64_t now_ms,
                 MutableByteSpan out, const PacketLayers* layers = nullptr);
  size_t rewrite(const rtp::RtpPacket& packet, bool is_keyframe_start, MutableByteSpan out) {
    return rewrite(packet, 0, is_keyframe_start, 0, out);
  }
  Outcome outcome() const { return outcome_; }

  // Simulcast layer choice. set_preferences() takes effect at the next packet or sync_target().
  void set_preferences(const TrackPreferences& preferences);
  // Re-evaluates the target layer when the source's layers or the preferences changed.
  void sync_target();
  const LayerSelector& selector() const { return selector_; }
  // The bandwidth allocator's decision (bandwidth_allocator.h): a cap below the subscriber's own,
  // or paused. apply_allocation() makes a changed allocation().layer take effect.
  AllocationState& allocation() { return allocation_; }
  void apply_allocation();
  bool paused_for_bandwidth() const { return allocation_.layer == AllocationState::kPaused; }
  bool paused_by_subscriber() const { return *preferences_.paused; }
  // The subscriber's rank for this track when its downlink cannot carry everything (track_settings).
  uint8_t priority() const { return *preferences_.priority; }
  // The highest layer the subscriber's preferences allow (before the allocator's cap).
  uint8_t preferred_layer() const;
  // Bandwidth probes: padding-only packets on the RTX stream (its next sequence number), when the
  // subscriber negotiated RTX (0 otherwise).
  uint8_t probe_payload_type() const { return probe_payload_type_; }
  uint16_t take_rtx_sequence() { return rtx_sequence_++; }
  uint32_t last_timestamp() const { return last_timestamp_; }
  // Whether any packet went to the subscriber (its RTX stream may then carry probe padding, even
  // while the track is paused).
  bool sent_any() const { return sent_any_; }
  const SvcFilter& svc_filter() const { return svc_; }
  // A higher SVC spatial layer (or AV1 decode target) is wanted that only a key frame can start.
  bool svc_wants_keyframe() const { return active_ && started() && svc_.wants_keyframe(); }
  // The layer forwarded now; 0 before the first (retransmissions and reports follow it).
  uint8_t current_layer() const {
    return selector_.current() < 0 ? 0 : static_cast<uint8_t>(selector_.current());
  }
  // Whether a packet of the current layer with this source sequence number belongs to what the
  // subscriber received (not from before the layer started): only those may be resent. Only
  // asked while the layer is young (kLayerStartGuard packets): a 16-bit comparison with the start
  // turns negative 32,768 packets later, and by then nothing from before the start is still
  // reordered in flight or held by the 1,024-packet retransmission history.
  bool in_current_layer(uint16_t source_seq) const {
    return !guarding_layer_start_ || static_cast<int16_t>(source_seq - layer_start_seq_) >= 0;
  }
  static constexpr uint16_t kLayerStartGuard = 8192;
  // A retransmission of a stored packet: plain, or as RTX when the subscriber negotiated it
  // (`scratch` holds the intermediate rewritten packet).
  size_t rewrite_retransmission(const rtp::RtpPacket& stored, MutableByteSpan scratch, MutableByteSpan out);
  // Maps a sequence number the subscriber NACKed back to the publisher's.
  uint16_t to_source_sequence(uint16_t subscriber_seq) const {
    const auto guess = static_cast<uint16_t>(subscriber_seq - sequence_offset_);
    if (!filtered_ || !forwarded_) return guess;
    return forwarded_->source_of(subscriber_seq, guess).value_or(guess);
  }
  uint32_t to_subscriber_timestamp(uint32_t source_timestamp) const {
    return source_timestamp + timestamp_offset_;
  }
  bool started() const { return selector_.current() != LayerSelector::kNoLayer; }
  bool needs_keyframe() const { return active_ && !started(); }

  // The subscriber's PLI/FIR for this track: true (and the interval restarts) when none was let
  // through in the last `interval_ms` (media.keyframe_request_interval_ms; 0: no limit). One
  // subscriber thus asks a publisher for at most one keyframe per interval per track, however
  // often it sends PLIs, and however many FIR entries it repeats.
  bool allow_keyframe_request(uint64_t now_ms, uint64_t interval_ms);

  const DownTrackCounters& counters() const { return counters_; }
  // The sender report's octet count: payload octets sent on the media SSRC, modulo 2^32.
  uint32_t octets_sent() const { return static_cast<uint32_t>(counters_.payload_bytes); }

 private:
  // `resend`: how a resent packet was first sent (after layers were dropped); nullptr: by the
  // offsets in force.
  size_t rewrite_into(const rtp::RtpPacket& packet, uint8_t payload_type, MutableByteSpan out, bool fresh,
                      const ForwardedPacketMap::Entry* resend = nullptr);
  // What a RED packet needs for this subscriber.
  enum class RedForm : uint8_t { kAsIs, kUnwrap, kRewriteBlocks };
  // The payload type `packet` goes out with (kUnmapped: not accepted) and what its RED needs.
  uint8_t outgoing_payload_type(uint8_t publisher_pt, RedForm& red) const;
  // Whether `packet` is RED this down-track can read: it parses and its primary is the Opus.
  bool parse_red(const rtp::RtpPacket& packet, rtp::RedPayload& parsed) const;
  // In `out` (the rewritten copy of `packet`, `size` bytes): the primary block alone (kUnwrap) or
  // the blocks' payload types rewritten (kRewriteBlocks). Returns the new size.
  size_t rewrite_red(const rtp::RtpPacket& packet, const rtp::RedPayload& parsed, RedForm red,
                     MutableByteSpan out, size_t size);
  // A packet the SvcFilter refused: the offsets move so the next one forwarded closes the gap.
  size_t drop_layer(const rtp::RtpPacket& packet, const PacketLayers& layers, SvcFilter::Verdict verdict);
  // Rewrites the marker of the packet just written to `out` as the SvcFilter says.
  void fix_marker(MutableByteSpan out, const PacketLayers& layers, bool original_marker) const;
  // The first packet of a layer (a key frame): offsets that continue what was sent.
  void begin_layer(const rtp::RtpPacket& packet, uint64_t now_ms);
  // Stops guarding the layer's start once `source_seq` (forwarded) is far enough past it.
  void end_layer_start_guard(uint16_t source_seq);
  // The highest layer the preferences allow, given the layers' frame sizes.
  uint8_t wanted_layer() const;
  size_t drop(Outcome outcome, uint64_t& counter) {
    outcome_ = outcome;
    ++counter;
    return 0;
  }

  // Passed by argument.
  PublishedTrack& source_;
  Participant& subscriber_;
  MediaSink& sink_;
  // Allocated by this.
  std::string mid_;
  uint32_t ssrc_;
  uint32_t rtx_ssrc_;
  bool active_ = false;
  LayerSelector selector_;
  TrackPreferences preferences_;  // every field set (defaults: best layer, no size, not paused)
  bool target_dirty_ = true;
  AllocationState allocation_;
  uint8_t probe_payload_type_ = 0;
  uint32_t synced_generation_ = 0;
  uint32_t synced_sizes_generation_ = 0;  // of the source's SVC spatial layer sizes
  Outcome outcome_ = Outcome::kInactive;
  uint16_t initial_sequence_ = 0;  // the first subscriber sequence number
  // Whether packets from before the current layer's first one are still refused (audio starts
  // without a first packet; the guard ends kLayerStartGuard packets into the layer).
  bool guarding_layer_start_ = false;
  uint16_t layer_start_seq_ = 0;  // source sequence number of the current layer's first packet
  // The newest packet sent: where the next layer continues.
  bool sent_any_ = false;
  uint16_t last_sequence_ = 0;
  uint32_t last_timestamp_ = 0;
  uint64_t last_sent_ms_ = 0;
  // VP8 picture id and TL0PICIDX continuity across layers (simulcast VP8 sources only).
  std::array<bool, 128> vp8_payload_type_{};
  bool rewrites_vp8_ = false;
  rtp::Vp8PictureIdRewriter picture_ids_;
  SvcFilter svc_;
  // Once a packet was dropped by the SvcFilter, resends follow forwarded_ (allocated then: packets
  // forwarded before the first drop are not resent after it).
  bool filtered_ = false;
  std::unique_ptr<ForwardedPacketMap> forwarded_;
  // The newest source sequence number forwarded or dropped by the filter in the current layer.
  uint16_t newest_source_seq_ = 0;
  bool skipped_picture_ = false;
  uint16_t last_skipped_picture_id_ = 0;
  uint16_t sequence_offset_ = 0;
  uint32_t timestamp_offset_ = 0;
  uint16_t rtx_sequence_ = 0;
  bool keyframe_request_allowed_once_ = false;
  uint64_t last_keyframe_request_ms_ = 0;
  static constexpr uint8_t kUnmapped = 0xFF;
  std::array<uint8_t, 128> payload_type_map_;
  std::array<uint8_t, 128> rtx_payload_type_map_;  // by subscriber media pt
  // The publisher's red payload type and the Opus one it wraps (kUnmapped: no RED).
  uint8_t red_payload_type_ = kUnmapped;
  uint8_t red_primary_payload_type_ = kUnmapped;
  std::array<uint8_t, 256> extension_map_{};
  bool extensions_identity_ = false;
  DownTrackCounters counters_;
};

}  // namespace sfu
