// The media path of one room: RTP from a publisher fans out to that track's down-tracks, each
// rewritten and encrypted for its subscriber; RTCP is terminated per hop. Publishers get receiver
// reports and NACKs from the server's own reception, and keyframe requests (throttled);
// subscribers get sender reports rewritten into their spaces and retransmissions from the
// server's buffer. Runs on the room's worker thread; nothing here allocates per packet.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "base/counter.h"
#include "sfu/media/drop_reason.h"
#include "sfu/media/participant.h"

namespace sfu {

// Shared by all rooms of a worker: written by the worker thread only, read by /metrics.
struct RouterCounters {
  std::atomic<uint64_t> rtp_forwarded{0};
  std::atomic<uint64_t> retransmissions_sent{0};
  std::atomic<uint64_t> retransmissions_missed{0};  // NACKed packets no longer (or never) buffered
  std::atomic<uint64_t> nacks_received{0}, plis_received{0}, firs_received{0};
  std::atomic<uint64_t> plis_sent{0}, nacks_sent{0}, receiver_reports_sent{0}, sender_reports_sent{0};
  std::atomic<uint64_t> transport_cc_sent{0};
};

class Router {
 public:
  Router(DropCounters& drops, RouterCounters& counters) : drops_(drops), counters_(counters) {}

  // Packet path, from the participant's transports.
  void on_publisher_rtp(Participant& publisher, uint8_t* data, size_t size, uint64_t now_ms);
  void on_publisher_rtcp(Participant& publisher, uint8_t* data, size_t size, uint64_t now_ms);
  void on_subscriber_rtcp(Participant& subscriber, uint8_t* data, size_t size, uint64_t now_ms);

  // Timers: NACK retries and pending keyframe requests (every ~20 ms), receiver reports (~1 s).
  void on_fast_timer(Participant& publisher, uint64_t now_ms);
  void send_receiver_reports(Participant& publisher, uint64_t now_ms);

  // Asks the publisher of `track` for a keyframe now, unless one was asked for very recently.
  void request_keyframe(PublishedTrack& track, uint64_t now_ms);

 private:
  void forward(PublishedTrack& track, const rtp::RtpPacket& packet, uint64_t now_ms);
  void send_pending_keyframe_request(PublishedTrack& track, uint64_t now_ms);
  void on_sender_report(PublishedTrack& track, uint64_t ntp, uint32_t rtp_timestamp, uint64_t now_ms);
  void answer_nack(DownTrack& down, uint16_t subscriber_seq, uint64_t now_ms);
  PublishedTrack* learn_track(Participant& publisher, const rtp::RtpPacket& packet);

  DropCounters& drops_;
  RouterCounters& counters_;
  // Scratch space for RTX unwrapping, retransmissions and RTCP building (one packet at a time).
  std::array<uint8_t, 2048> scratch_a_{};
  std::array<uint8_t, 2048> scratch_b_{};
  std::array<uint16_t, 256> lost_{};
};

}  // namespace sfu
