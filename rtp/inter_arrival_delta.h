// Packet groups for the delay-based estimator (draft-ietf-rmcat-gcc-02 section 5.2, as libwebrtc's
// goog_cc InterArrivalDelta does it): packets sent within 5 ms of a group's first one form a group
// (a video frame, a burst the pacer sent together), and so do packets that arrive in a burst
// sooner than they were sent apart (a queue draining). When a group completes, the difference of
// its send time and arrival time from the previous group's gives one inter-group delay variation
// sample: arrival delta - send delta, positive when the path's queue grew.
//
// Plain value type; times in microseconds on any clock (only differences count), the send times
// on the sender's clock and the arrival times on the receiver's.
#pragma once

#include <cstdint>

namespace sfu::rtp {

class InterArrivalDelta {
 public:
  static constexpr int64_t kSendTimeGroupLengthUs = 5'000;
  static constexpr int64_t kBurstDeltaThresholdUs = 5'000;
  static constexpr int64_t kMaxBurstDurationUs = 100'000;
  // An arrival clock that jumps further than the local one did means the receiver's clock (or the
  // feedback's reference time) changed: start over.
  static constexpr int64_t kArrivalTimeOffsetThresholdUs = 3'000'000;
  static constexpr int kReorderedResetThreshold = 3;

  struct Deltas {
    int64_t send_delta_us = 0;
    int64_t arrival_delta_us = 0;
    int64_t size_delta = 0;
  };

  // One received packet, in the order the feedback lists them. `local_us` is when the feedback
  // arrived here. Returns true (and fills `out`) when this packet completed the previous group.
  bool on_packet(int64_t send_us, int64_t arrival_us, int64_t local_us, uint32_t size, Deltas& out);
  void reset() { *this = InterArrivalDelta(); }

 private:
  struct Group {
    int64_t size = 0;
    int64_t first_send_us = -1;  // -1: no packet yet
    int64_t send_us = -1;        // the latest send time in the group
    int64_t first_arrival_us = -1;
    int64_t complete_us = -1;  // arrival of its last packet
    int64_t last_local_us = -1;
    bool empty() const { return complete_us < 0; }
  };

  bool new_group(int64_t arrival_us, int64_t send_us) const;
  bool belongs_to_burst(int64_t arrival_us, int64_t send_us) const;

  Group current_;
  Group previous_;
  int reordered_in_a_row_ = 0;
};

}  // namespace sfu::rtp
