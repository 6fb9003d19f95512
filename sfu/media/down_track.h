// One published track as one subscriber receives it: the subscriber's SSRCs, payload types and
// header-extension ids, and the offsets that move sequence numbers and timestamps into a space of
// the subscriber's own. A video down-track starts forwarding at a keyframe, so the decoder never
// sees a delta frame without its reference.
//
// Thread: its room's worker. Owned by its subscriber's Participant; the source track, the
// subscriber and the sink (the subscriber's subscribe transport, through which its RTP and RTCP
// go) are passed in and outlive it. Allocates nothing after construction.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "rtp/rtp_packet.h"
#include "sfu/media/extension_ids.h"
#include "sfu/media/media_sink.h"

namespace sfu {

class PublishedTrack;
struct Participant;

struct DownTrackCounters {
  uint64_t packets = 0, bytes = 0, retransmitted = 0, dropped_unsupported_codec = 0,
           dropped_before_keyframe = 0;
  // What the sender report counts (RFC 3550 6.4.1): payload only, no header, CSRCs, extensions
  // or padding.
  uint64_t payload_bytes = 0;
};

class DownTrack {
 public:
  DownTrack(PublishedTrack& source, Participant& subscriber, MediaSink& sink, std::string mid, uint32_t ssrc,
            uint32_t rtx_ssrc);

  PublishedTrack& source() { return source_; }
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

  // Packet path. Copies `packet` into `out` rewritten for this subscriber; returns the size, or 0
  // when the packet is not to be sent (inactive, codec not accepted, waiting for a keyframe).
  size_t rewrite(const rtp::RtpPacket& packet, bool is_keyframe_start, MutableByteSpan out);
  // A retransmission of a stored packet: plain, or as RTX when the subscriber negotiated it
  // (`scratch` holds the intermediate rewritten packet).
  size_t rewrite_retransmission(const rtp::RtpPacket& stored, MutableByteSpan scratch, MutableByteSpan out);
  // Maps a sequence number the subscriber NACKed back to the publisher's.
  uint16_t to_source_sequence(uint16_t subscriber_seq) const {
    return static_cast<uint16_t>(subscriber_seq - sequence_offset_);
  }
  uint32_t to_subscriber_timestamp(uint32_t source_timestamp) const {
    return source_timestamp + timestamp_offset_;
  }
  bool started() const { return started_; }
  bool needs_keyframe() const { return active_ && !started_; }

  // The subscriber's PLI/FIR for this track: true (and the interval restarts) when none was let
  // through in the last `interval_ms` (media.keyframe_request_interval_ms; 0: no limit). One
  // subscriber thus asks a publisher for at most one keyframe per interval per track, however
  // often it sends PLIs, and however many FIR entries it repeats.
  bool allow_keyframe_request(uint64_t now_ms, uint64_t interval_ms);

  const DownTrackCounters& counters() const { return counters_; }
  // The sender report's octet count: payload octets sent on the media SSRC, modulo 2^32.
  uint32_t octets_sent() const { return static_cast<uint32_t>(counters_.payload_bytes); }

 private:
  size_t rewrite_into(const rtp::RtpPacket& packet, uint8_t payload_type, MutableByteSpan out);

  // Passed by argument.
  PublishedTrack& source_;
  Participant& subscriber_;
  MediaSink& sink_;
  // Allocated by this.
  std::string mid_;
  uint32_t ssrc_;
  uint32_t rtx_ssrc_;
  bool active_ = false;
  bool started_ = false;
  uint16_t sequence_offset_ = 0;
  uint32_t timestamp_offset_ = 0;
  uint16_t rtx_sequence_ = 0;
  bool keyframe_request_allowed_once_ = false;
  uint64_t last_keyframe_request_ms_ = 0;
  static constexpr uint8_t kUnmapped = 0xFF;
  std::array<uint8_t, 128> payload_type_map_;
  std::array<uint8_t, 128> rtx_payload_type_map_;  // by subscriber media pt
  std::array<uint8_t, 256> extension_map_{};
  bool extensions_identity_ = false;
  DownTrackCounters counters_;
};

}  // namespace sfu
