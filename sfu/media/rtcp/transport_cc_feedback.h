// Paces transport-wide congestion control feedback to one publisher (draft-holmer-rmcat-
// transport-wide-cc-extensions-01, section 3.1): every packet of the publish connection that
// carries a transport-wide sequence number is recorded with its arrival time, and at most once
// per interval the recorder's new arrivals go back as one feedback packet. The sender's bandwidth
// estimator (Chromium's GoogCC) needs it every 50-100 ms to ramp up and to back off in time, as
// libwebrtc receivers send it; pion/interceptor's pkg/twcc paces the same way.
//
// Thread: its room's worker. One per publish connection (the sequence is shared by all its
// streams), owned by the publisher's Participant. The recorder's arrays are members, so this
// allocates nothing.
#pragma once

#include <cstdint>

#include "base/bytes.h"
#include "rtp/transport_cc_recorder.h"

namespace sfu {

class TransportCcFeedback {
 public:
  static constexpr uint64_t kDefaultIntervalMs = 50;

  explicit TransportCcFeedback(uint64_t interval_ms = kDefaultIntervalMs) : interval_ms_(interval_ms) {}

  // Packet path: one arrival (retransmissions included: every packet counts for the estimate).
  void on_packet(uint16_t transport_sequence, uint64_t arrival_us) {
    recorder_.on_packet(transport_sequence, arrival_us);
  }

  // Timer: the feedback packet due at `now_ms` written into `out` and its size; 0 before the
  // interval has passed since the previous due time, or when nothing arrived meanwhile.
  size_t build_due(uint64_t now_ms, uint32_t sender_ssrc, uint32_t media_ssrc, MutableByteSpan out);

  uint64_t interval_ms() const { return interval_ms_; }
  const rtp::TransportCcRecorder& recorder() const { return recorder_; }

 private:
  rtp::TransportCcRecorder recorder_;
  uint64_t interval_ms_;
  uint64_t last_due_ms_ = 0;
};

}  // namespace sfu
