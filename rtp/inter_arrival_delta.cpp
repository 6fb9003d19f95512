#include "rtp/inter_arrival_delta.h"

#include <algorithm>

namespace sfu::rtp {

bool InterArrivalDelta::on_packet(int64_t send_us, int64_t arrival_us, int64_t local_us, uint32_t size,
                                  Deltas& out) {
  bool completed = false;
  if (current_.empty()) {
    current_.first_send_us = current_.send_us = send_us;
    current_.first_arrival_us = arrival_us;
  } else if (send_us < current_.first_send_us) {
    return false;  // sent before the group started: reordered, useless for the gradient
  } else if (new_group(arrival_us, send_us)) {
    if (!previous_.empty()) {
      out.send_delta_us = current_.send_us - previous_.send_us;
      out.arrival_delta_us = current_.complete_us - previous_.complete_us;
      const int64_t local_delta_us = current_.last_local_us - previous_.last_local_us;
      if (out.arrival_delta_us - local_delta_us >= kArrivalTimeOffsetThresholdUs) {
        reset();
        return false;
      }
      if (out.arrival_delta_us < 0) {
        // The group arrived before the previous one: reordered on the path.
        if (++reordered_in_a_row_ >= kReorderedResetThreshold) reset();
        return false;
      }
      reordered_in_a_row_ = 0;
      out.size_delta = current_.size - previous_.size;
      completed = true;
    }
    previous_ = current_;
    current_ = Group{};
    current_.first_send_us = current_.send_us = send_us;
    current_.first_arrival_us = arrival_us;
  } else {
    current_.send_us = std::max(current_.send_us, send_us);
  }
  current_.size += size;
  current_.complete_us = arrival_us;
  current_.last_local_us = local_us;
  return completed;
}

bool InterArrivalDelta::new_group(int64_t arrival_us, int64_t send_us) const {
  if (current_.empty() || belongs_to_burst(arrival_us, send_us)) return false;
  return send_us - current_.first_send_us > kSendTimeGroupLengthUs;
}

bool InterArrivalDelta::belongs_to_burst(int64_t arrival_us, int64_t send_us) const {
  const int64_t arrival_delta = arrival_us - current_.complete_us;
  const int64_t send_delta = send_us - current_.send_us;
  if (send_delta == 0) return true;
  const int64_t propagation_delta = arrival_delta - send_delta;
  return propagation_delta < 0 && arrival_delta <= kBurstDeltaThresholdUs &&
         arrival_us - current_.first_arrival_us < kMaxBurstDurationUs;
}

}  // namespace sfu::rtp
