// The receive side of transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc-
// extensions-01): records when each packet with a transport-wide sequence number arrived and
// builds the feedback that lets the sender's bandwidth estimator (Chromium's GoogCC) ramp up
// and back off. One per publish connection: the sequence is shared by all its streams.
#pragma once

#include <array>
#include <cstdint>

#include "base/bytes.h"
#include "rtp/rtcp_parser.h"
#include "rtp/sequence_number.h"

namespace sfu::rtp {

class TransportCcRecorder {
 public:
  // Packets one feedback can cover; a longer silence between feedbacks reports the newest ones.
  static constexpr size_t kMaxPackets = 1024;

  void on_packet(uint16_t transport_sequence, uint64_t arrival_us);
  // One feedback packet for everything recorded since the previous one; 0 when there is nothing
  // new (or `out` is too small).
  size_t build_feedback(uint32_t sender_ssrc, uint32_t media_ssrc, MutableByteSpan out);

  uint64_t feedbacks_built() const { return feedbacks_built_; }

 private:
  static constexpr int64_t kNotReceived = -1;
  int64_t& slot(int64_t extended) { return arrival_us_[static_cast<size_t>(extended) % kMaxPackets]; }

  SequenceNumberUnwrapper unwrapper_;
  std::array<int64_t, kMaxPackets> arrival_us_{};
  int64_t next_to_report_ = -1;  // extended sequence; -1 before the first packet
  int64_t highest_ = -1;
  uint8_t feedback_count_ = 0;
  uint64_t feedbacks_built_ = 0;
  std::array<TransportCcPacketStatus, kMaxPackets> statuses_{};
};

}  // namespace sfu::rtp
