// How many NACK answers one subscriber may still receive (audit row 6): a token bucket refilled
// at media.retransmissions_per_second and holding at most one second's worth, so a subscriber
// that lost a burst (a keyframe on a congested link) is repaired at once, while one that keeps
// NACKing gets no more than the configured rate, whatever its NACKs name. A subscriber starts
// with a full bucket.
//
// Thread: its room's worker. One per subscriber, in its Participant; integer arithmetic on three
// members, no allocation.
#pragma once

#include <cstdint>

namespace sfu {

class RetransmissionBudget {
 public:
  // Spends one retransmission at `now_ms` if the bucket holds one; false (nothing spent) when
  // the budget is used up. `per_second` is the refill rate and the bucket's size.
  bool try_spend(uint64_t now_ms, uint32_t per_second);

 private:
  // Tokens are counted in thousandths, so a refill of per_second / 1000 tokens per millisecond
  // stays an integer.
  static constexpr uint64_t kUnit = 1000;

  uint64_t tokens_ = 0;
  uint64_t last_refill_ms_ = 0;
  bool started_ = false;
};

}  // namespace sfu
