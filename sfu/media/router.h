// The media path of one room: RTP from a publisher fans out to that track's down-tracks, each
// rewritten for its subscriber and handed to the down-track's MediaSink; RTCP is terminated per
// hop. Publishers get receiver reports, NACKs, transport-cc feedback and keyframe requests
// (collapsed) through their tracks' feedback sink; subscribers get sender reports rewritten into
// their spaces and retransmissions from the server's buffer through their down-tracks' sinks.
// Each RTCP feature is a small class in sfu/media/rtcp/, called directly from here.
//
// A subscriber's feedback is bounded (RouterOptions, from the media.* config): NACK answers are
// de-duplicated per packet and subscriber and limited by a per-subscriber budget (NackResponder),
// and its PLI/FIR for a track are let through at most once per subscriber interval
// (DownTrack::allow_keyframe_request) before the track's own collapsing interval
// (KeyframeRequestCollapser). Every refusal is counted.
//
// Thread: the room's worker. Owned by the Room; the drop and router counters are the worker's,
// passed in. Scratch buffers are members, so nothing here allocates per packet. The router knows
// no transport, only sinks, so it runs in unit tests without sockets.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "base/counter.h"
#include "config/config.h"
#include "rtp/rtcp_parser.h"
#include "sfu/media/drop_reason.h"
#include "sfu/media/layer_counters.h"
#include "sfu/media/participant.h"
#include "sfu/media/rtcp/nack_requester.h"
#include "sfu/media/rtcp/nack_responder.h"
#include "sfu/media/rtcp/receiver_reporter.h"
#include "sfu/media/rtcp/sender_report_rewriter.h"

namespace sfu {

// Shared by all rooms of a worker: written by the worker thread only, read by /metrics.
struct RouterCounters {
  std::atomic<uint64_t> rtp_forwarded{0};
  std::atomic<uint64_t> retransmissions_sent{0};
  std::atomic<uint64_t> retransmissions_missed{0};  // NACKed packets no longer (or never) buffered
  std::atomic<uint64_t> nacks_received{0}, plis_received{0}, firs_received{0};
  std::atomic<uint64_t> plis_sent{0}, nacks_sent{0}, receiver_reports_sent{0}, sender_reports_sent{0};
  std::atomic<uint64_t> transport_cc_sent{0};
  // NACKed packets not resent, besides retransmissions_missed (not buffered): resent to the same
  // subscriber within the resend interval, over the subscriber's budget, or unsendable.
  std::atomic<uint64_t> retransmissions_duplicate{0}, retransmissions_over_budget{0},
      retransmissions_unsendable{0};
  // Subscribers' PLI/FIR entries that asked for no keyframe of their own: within the
  // subscriber's interval for the track (throttled), or joining a request already pending for
  // the track (collapsed).
  std::atomic<uint64_t> keyframe_requests_throttled{0}, keyframe_requests_collapsed{0};
  LayerCounters layers;  // simulcast layer selection
  // audio.forward_loudest: audio packets not sent to a subscriber (one per subscriber) because
  // the track was not among the room's loudest.
  std::atomic<uint64_t> audio_not_forwarded_quiet{0};
};

// The media.* configuration as the router applies it; the defaults are the config's.
struct RouterOptions {
  uint32_t retransmissions_per_second = 1000;       // media.retransmissions_per_second
  uint32_t retransmission_min_interval_ms = 100;    // see NackResponder
  uint32_t subscriber_keyframe_interval_ms = 1000;  // media.keyframe_request_interval_ms
  uint32_t publisher_keyframe_interval_ms = 500;    // media.publisher_keyframe_interval_ms

  static RouterOptions from_config(const config::MediaConfig& media);
};

class Router {
 public:
  Router(DropCounters& drops, RouterCounters& counters, RouterOptions options = {});

  // Packet path, from the participant's transports.
  // `arrival_us`: when the kernel received it (monotonic microseconds; 0: now), the arrival time
  // transport-cc feedback reports.
  void on_publisher_rtp(Participant& publisher, uint8_t* data, size_t size, uint64_t now_ms,
                        int64_t arrival_us = 0);
  void on_publisher_rtcp(Participant& publisher, uint8_t* data, size_t size, uint64_t now_ms);
  void on_subscriber_rtcp(Participant& subscriber, uint8_t* data, size_t size, uint64_t now_ms);

  // Timers: transport-cc feedback (every 50 ms), NACK retries and pending keyframe requests
  // (every ~20 ms), receiver reports (~1 s).
  void on_fast_timer(Participant& publisher, uint64_t now_ms);
  void send_receiver_reports(Participant& publisher, uint64_t now_ms);

  // Asks the publisher of `track` for a keyframe now, unless one was asked for very recently.
  void request_keyframe(PublishedTrack& track, uint64_t now_ms);

  // The same for one layer (a keyframe request another worker collapsed for it).
  void request_keyframe(PublishedTrack& track, size_t layer, uint64_t now_ms);

  // A room spanning workers (cross_worker_tables.h): a packet of a proxy track's `layer`, handed
  // over by its publisher's worker (plain RTP, `arrival_ms` on that worker), fanned out like local
  // media; and the publisher's sender report of that layer, relayed to this worker's subscribers.
  void on_remote_rtp(PublishedTrack& proxy, size_t layer, uint8_t* data, size_t size, uint64_t arrival_ms,
                     uint64_t now_ms);
  void on_remote_sender_report(PublishedTrack& proxy, size_t layer, uint64_t ntp, uint32_t rtp_timestamp,
                               uint64_t now_ms);

 private:
  void on_media(PublishedTrack& track, size_t layer, const rtp::RtpPacket& packet, uint64_t now_ms);
  void on_rtx(PublishedTrack& track, size_t layer, const rtp::RtpPacket& rtx, uint64_t now_ms);
  void forward(PublishedTrack& track, size_t layer, const rtp::RtpPacket& packet, uint64_t now_ms);
  void send_pending_keyframe_request(PublishedTrack& track, uint64_t now_ms);
  void count_outcome(DownTrack::Outcome outcome);
  void send_transport_cc(Participant& publisher, uint64_t now_ms);
  void send_nacks(PublishedTrack& track, size_t layer, uint64_t now_ms);
  void on_subscriber_nack(Participant& subscriber, const rtp::RtcpHeader& header, uint64_t now_ms);
  // What a subscriber NACKed for a proxy track and this worker's buffer lacks: asked of the
  // publisher's worker through the proxy's feedback sink (ProxyUplink).
  void ask_publisher_worker(DownTrack& down, const rtp::GenericNack& nack, uint64_t now_ms);
  void on_subscriber_keyframe_request(Participant& subscriber, const rtp::RtcpHeader& header,
                                      rtp::RtcpMessageKind kind, uint64_t now_ms);
  // One PLI or FIR entry of `down`'s subscriber, through both intervals.
  void subscriber_asks_keyframe(DownTrack& down, uint64_t now_ms);
  // The track (and its layer) an unannounced SSRC binds to, if any.
  PublishedTrack* learn_track(Participant& publisher, const rtp::RtpPacket& packet, size_t& layer);

  // Passed by argument.
  DropCounters& drops_;
  RouterCounters& counters_;
  const RouterOptions options_;
  // Allocated by this: the per-hop RTCP features that keep scratch state.
  NackResponder nack_responder_;
  NackRequester nack_requester_;
  SenderReportRewriter sender_reports_;
  ReceiverReporter receiver_reports_;
  // Scratch space for RTX unwrapping and RTCP building (one packet at a time).
  std::array<uint8_t, 2048> scratch_a_{};
  std::array<uint8_t, 2048> scratch_b_{};
  std::array<uint16_t, 512> missing_{};  // ask_publisher_worker()
};

}  // namespace sfu
