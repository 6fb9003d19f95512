// A track a participant publishes, as the router receives it: its SSRCs and codecs, the state
// of the incoming stream (reception statistics for receiver reports, losses to NACK, a buffer of
// recent packets to answer subscribers' NACKs, pending keyframe requests) and the down-tracks it
// fans out to.
//
// Thread: its room's worker. Owned by its publisher's Participant; the publisher and the feedback
// sink (the publish transport, through which PLIs, NACKs and reports go back to the publisher)
// are passed in and outlive it; the down-tracks are observed, owned by their subscribers. Video
// tracks allocate their NACK generator and retransmission buffer on their first media packet
// (a track published and never sent costs no packet memory), and grow the buffer with the
// packet rate on the room's timer (RetransmissionHistory).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rtp/keyframe_detector.h"
#include "rtp/nack_generator.h"
#include "rtp/receive_statistics.h"
#include "rtp/rtp_packet.h"
#include "sfu/media/cross_worker_routes.h"
#include "sfu/media/extension_ids.h"
#include "sfu/media/media_sink.h"
#include "sfu/media/retransmission_history.h"
#include "sfu/media/rtcp/keyframe_request_collapser.h"
#include "sfu/sdp/sdp.h"

namespace sfu {

class DownTrack;
struct Participant;

struct PublishedTrackSpec {
  std::string id;   // the msid track id (unique within its participant)
  std::string mid;  // in the publisher's session
  sdp::MediaKind kind = sdp::MediaKind::kAudio;
  uint32_t ssrc = 0;      // 0 = learn from the first packet carrying this mid (simulcast, no a=ssrc)
  uint32_t rtx_ssrc = 0;  // 0 = none announced
  // Rid simulcast: the rid of the layer forwarded (empty without rids). An unannounced SSRC binds
  // as this track's media only with this rid, as its RTX only with this repaired-rid.
  std::string rid;
  std::vector<sdp::Codec> codecs;  // media codecs, the publisher's payload types, preferred first
  std::array<uint8_t, 128> rtx_payload_type{};  // media pt -> its rtx pt (0 = none)
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
  // Where RTCP for the publisher goes (its publish transport).
  MediaSink& feedback_sink() { return feedback_sink_; }
  const PublishedTrackSpec& spec() const { return spec_; }
  const std::string& id() const { return spec_.id; }
  sdp::MediaKind kind() const { return spec_.kind; }
  uint32_t ssrc() const { return spec_.ssrc; }
  uint32_t rtx_ssrc() const { return spec_.rtx_ssrc; }
  void learn_ssrc(uint32_t ssrc) { spec_.ssrc = ssrc; }
  void learn_rtx_ssrc(uint32_t ssrc) { spec_.rtx_ssrc = ssrc; }
  const sdp::Codec* codec_for(uint8_t payload_type) const;
  rtp::VideoCodec video_codec_for(uint8_t payload_type) const;
  uint32_t clock_rate() const;
  // The media payload type a publisher's RTX payload type repairs (RFC 4588 apt), if any.
  std::optional<uint8_t> media_payload_type_of_rtx(uint8_t rtx_payload_type) const;

  // Packet path: account for one media packet (already restored from RTX when it came as RTX).
  void on_packet(const rtp::RtpPacket& packet, uint64_t now_ms);
  // Timer (the room's, every ~20 ms): sizes the retransmission buffer by the packet rate.
  void on_timer(uint64_t now_ms) { history_.on_timer(now_ms); }

  // The retransmission buffer (video only; empty until the first media packet).
  std::optional<ByteSpan> stored_packet(uint16_t seq, uint64_t now_ms) { return history_.get(seq, now_ms); }
  bool resent_recently(uint16_t seq, uint64_t now_ms, uint32_t min_interval_ms, uint32_t recipient) const {
    return history_.resent_recently(seq, now_ms, min_interval_ms, recipient);
  }
  bool mark_resent(uint16_t seq, uint64_t now_ms, uint32_t min_interval_ms, uint32_t recipient) {
    return history_.mark_resent(seq, now_ms, min_interval_ms, recipient);
  }
  size_t retransmission_capacity() const { return history_.capacity(); }

  // Keyframe requests from any number of subscribers collapse into one per `interval_ms`
  // (KeyframeRequestCollapser); take_keyframe_request() is true when a PLI is to be sent now.
  bool take_keyframe_request(uint64_t now_ms, uint64_t interval_ms);
  void request_keyframe() { keyframe_requests_.request(); }
  bool keyframe_wanted() const { return keyframe_requests_.pending(); }

  rtp::ReceiveStatistics& statistics() { return statistics_; }
  rtp::NackGenerator* nack_generator() { return nack_.get(); }
  PublishedTrackCounters& counters() { return counters_; }
  const PublishedTrackCounters& counters() const { return counters_; }

  // The last sender report of this stream: subscribers get it rewritten into their own spaces.
  struct SenderClock {
    uint64_t ntp = 0;
    uint32_t rtp_timestamp = 0;
    bool valid = false;
  };
  SenderClock& sender_clock() { return sender_clock_; }

  std::vector<DownTrack*>& down_tracks() { return down_tracks_; }

  // A room spanning workers: where else this track goes, or that it is a proxy (room_shard.h).
  CrossWorkerRoutes& remote_routes() { return remote_routes_; }
  const CrossWorkerRoutes& remote_routes() const { return remote_routes_; }

 private:
  // Passed by argument.
  Participant& publisher_;
  MediaSink& feedback_sink_;
  // Allocated by this.
  PublishedTrackSpec spec_;
  rtp::ReceiveStatistics statistics_;
  RetransmissionHistory history_;             // video only: stays empty for audio
  std::unique_ptr<rtp::NackGenerator> nack_;  // video only, from the first media packet
  PublishedTrackCounters counters_;
  SenderClock sender_clock_;
  KeyframeRequestCollapser keyframe_requests_;
  // Observed: owned by their subscribers, unlinked by the room before they are freed.
  std::vector<DownTrack*> down_tracks_;
  CrossWorkerRoutes remote_routes_;
};

}  // namespace sfu
