#include "sfu/media/rtcp/retransmission_budget.h"

#include <algorithm>

namespace sfu {

bool RetransmissionBudget::try_spend(uint64_t now_ms, uint32_t per_second) {
  const uint64_t capacity = uint64_t{per_second} * kUnit;
  if (!started_) {
    started_ = true;
    tokens_ = capacity;
    last_refill_ms_ = now_ms;
  } else if (now_ms > last_refill_ms_) {
    tokens_ = std::min(capacity, tokens_ + (now_ms - last_refill_ms_) * per_second);
    last_refill_ms_ = now_ms;
  }
  if (tokens_ < kUnit) return false;
  tokens_ -= kUnit;
  return true;
}

}  // namespace sfu
