// One encoding of a published track as the server receives it: a simulcast layer, or the only
// stream of a track without simulcast. Each has its own SSRCs (media and RTX), bound from the
// SDP or learned by rid, and its own receive state: reception statistics for receiver reports,
// losses to NACK, a buffer of recent packets to answer subscribers' NACKs, pending keyframe
// requests (a PLI names this layer's SSRC), the sender's clock, and whether it is arriving at
// all and at what frame size (from its VP8 key frames), which the layer selectors read.
//
// Thread: its track's worker. Owned by its PublishedTrack. Video layers allocate their NACK
// generator and retransmission buffer on their first media packet.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "rtp/nack_generator.h"
#include "rtp/receive_statistics.h"
#include "rtp/rtp_packet.h"
#include "rtp/vp8_descriptor.h"
#include "sfu/media/layer_bitrate.h"
#include "sfu/media/retransmission_history.h"
#include "sfu/media/rtcp/keyframe_request_collapser.h"

namespace sfu {

struct LayerStreamCounters {
  uint64_t packets = 0, bytes = 0, keyframes = 0, keyframe_requests_sent = 0, nacks_sent = 0;
};

class LayerStream {
 public:
  // A layer silent this long no longer counts as sent: subscribers move off it. Chromium stops a
  // layer when its bandwidth estimate drops; a 5 fps screen share still sends every 200 ms.
  static constexpr uint64_t kIdleMs = 1500;
  // A layer arriving this long is settled: the publisher's encodings have had time to start
  // together. Until one layer of a track is settled, a subscriber waits for the best layer it
  // wants rather than start at the first one that arrives and climb (a publisher starting up).
  static constexpr uint64_t kSettleMs = 300;

  LayerStream(std::string rid, uint32_t ssrc, uint32_t rtx_ssrc, uint32_t clock_rate, bool video);

  const std::string& rid() const { return rid_; }
  uint32_t ssrc() const { return ssrc_; }
  uint32_t rtx_ssrc() const { return rtx_ssrc_; }
  void learn_ssrc(uint32_t ssrc) { ssrc_ = ssrc; }
  void learn_rtx_ssrc(uint32_t ssrc) { rtx_ssrc_ = ssrc; }
  bool owns(uint32_t ssrc) const { return ssrc != 0 && (ssrc == ssrc_ || ssrc == rtx_ssrc_); }

  // Packet path: one media packet (restored from RTX when it came as RTX). True when the layer
  // started arriving, or its frame size changed (selectors re-evaluate).
  bool on_packet(const rtp::RtpPacket& packet, uint64_t now_ms, bool read_frame_size);
  // Whether the packet with this sequence number arrived already (video: the retransmission
  // buffer holds it). A repair of it is redundant.
  bool already_received(uint16_t seq) const { return history_.holds(seq); }
  // Timer: grows the retransmission buffer; true when the layer just went idle or settled.
  bool on_timer(uint64_t now_ms);
  bool arriving() const { return arriving_; }
  // What the layer costs on a subscriber's link (layer_bitrate.h), measured by on_timer(); 0
  // until a window has passed.
  uint32_t bitrate_bps() const { return bitrate_.bps(); }
  bool settled() const { return settled_; }
  // Of its latest key frame (VP8); nullopt until one was seen.
  const std::optional<rtp::FrameSize>& frame_size() const { return frame_size_; }

  std::optional<ByteSpan> stored_packet(uint16_t seq, uint64_t now_ms) { return history_.get(seq, now_ms); }
  bool resent_recently(uint16_t seq, uint64_t now_ms, uint32_t min_interval_ms, uint32_t recipient) const {
    return history_.resent_recently(seq, now_ms, min_interval_ms, recipient);
  }
  bool mark_resent(uint16_t seq, uint64_t now_ms, uint32_t min_interval_ms, uint32_t recipient) {
    return history_.mark_resent(seq, now_ms, min_interval_ms, recipient);
  }
  size_t retransmission_capacity() const { return history_.capacity(); }

  // Key frame requests collapse per layer (KeyframeRequestCollapser). `for_switch`: a subscriber
  // waits for it to change layers (counted apart when the PLI goes out).
  void request_keyframe(bool for_switch = false) {
    keyframe_requests_.request();
    switch_request_ = switch_request_ || for_switch;
  }
  bool keyframe_wanted() const { return keyframe_requests_.pending(); }
  // True when a PLI is to be sent now; `for_switch` tells whether a layer switch asked for it.
  bool take_keyframe_request(uint64_t now_ms, uint64_t interval_ms, bool* for_switch = nullptr);

  rtp::ReceiveStatistics& statistics() { return statistics_; }
  rtp::NackGenerator* nack_generator() { return nack_.get(); }
  // A proxy's layer (a room spanning workers, cross_worker_routes.h): its losses upstream are the
  // publisher's worker's to NACK, so it keeps its retransmission buffer but no NACK state.
  void keep_no_nack_state() { nacks_ = false; }
  LayerStreamCounters& counters() { return counters_; }
  const LayerStreamCounters& counters() const { return counters_; }

  struct SenderClock {
    uint64_t ntp = 0;
    uint32_t rtp_timestamp = 0;
    bool valid = false;
  };
  SenderClock& sender_clock() { return sender_clock_; }

 private:
  std::string rid_;
  uint32_t ssrc_;
  uint32_t rtx_ssrc_;
  bool video_;
  rtp::ReceiveStatistics statistics_;
  RetransmissionHistory history_;             // video only: stays empty for audio
  std::unique_ptr<rtp::NackGenerator> nack_;  // video only, from the first media packet
  bool nacks_ = true;
  KeyframeRequestCollapser keyframe_requests_;
  bool switch_request_ = false;
  SenderClock sender_clock_;
  LayerStreamCounters counters_;
  bool arriving_ = false;
  bool settled_ = false;
  uint64_t arriving_since_ms_ = 0;
  uint64_t last_packet_ms_ = 0;
  std::optional<rtp::FrameSize> frame_size_;
  LayerBitrate bitrate_;
};

}  // namespace sfu
