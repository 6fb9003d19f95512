// Faults (a) and (b): a subscriber in the bystanders' room that floods the server with RTCP
// feedback for the publisher's video on its subscribe connection (real ICE, DTLS and SRTCP), each
// packet a receiver report followed by
//   kNack: a generic NACK naming every one of the last `nack_span` sequence numbers up to the
//          highest it has received (the whole of the server's retransmission buffer), or
//   kPli:  a PLI,
// every `interval_ms`. It publishes nothing.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "bench/client/participant_client.h"
#include "bench/soak/fault_driver.h"

namespace sfu::soak {

class FeedbackFlooder : public FaultDriver {
 public:
  enum class Kind { kNack, kPli };

  FeedbackFlooder(uv_loop_t* loop, const FaultTarget& target, Kind kind, uint64_t interval_ms,
                  uint16_t nack_span = 1024);

  bool start(std::string* error) override;
  bool active() const override;
  std::string failure() const override;
  void tick(uint64_t now_ns) override;
  void stop() override;
  bool stopped() const override { return client_.signaling_closed(); }
  std::vector<FaultFigure> figures() const override;

  uint64_t feedback_sent() const { return feedback_sent_; }
  uint64_t sequence_numbers_nacked() const { return sequence_numbers_nacked_; }

 private:
  void on_rtp(uint8_t* data, size_t size);
  void send_feedback();

  Kind kind_;
  uint64_t interval_ns_;
  uint16_t nack_span_;
  client::ParticipantClient client_;
  uint32_t video_ssrc_ = 0, rtx_ssrc_ = 0;
  bool seen_video_ = false;
  uint16_t highest_seq_ = 0;
  bool flooding_ = false;
  uint64_t next_send_ns_ = 0;
  uint64_t feedback_sent_ = 0, sequence_numbers_nacked_ = 0;
  uint64_t media_received_ = 0, repairs_received_ = 0;  // during the flood
  uint64_t flood_start_ns_ = 0, flood_end_ns_ = 0;
  std::vector<uint16_t> lost_;
  std::array<uint8_t, 1500> packet_{};
};

}  // namespace sfu::soak
