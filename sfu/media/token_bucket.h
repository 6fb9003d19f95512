// A token bucket over bytes: `rate` bytes per second, holding at most `burst` bytes. Used for a
// publisher's inbound data (data_channels.bytes_per_second_per_participant, burst_bytes): the
// relay takes every message it read (take_with_debt) and stops reading while the bucket is in
// debt. Integer arithmetic in thousandths of a byte, so slow rates refill exactly; no allocation.
#pragma once

#include <algorithm>
#include <cstdint>

namespace sfu {

class TokenBucket {
 public:
  // rate 0: no limit.
  TokenBucket(uint64_t rate_bytes_per_second, uint64_t burst_bytes, uint64_t now_ms)
      : rate_(rate_bytes_per_second),
        capacity_milli_(static_cast<int64_t>(burst_bytes) * 1000),
        tokens_milli_(capacity_milli_),
        last_ms_(now_ms) {}

  // Takes `bytes` if the bucket holds them; false (nothing taken) otherwise.
  bool take(uint64_t bytes, uint64_t now_ms) {
    if (rate_ == 0) return true;
    refill(now_ms);
    auto wanted = static_cast<int64_t>(bytes) * 1000;
    if (wanted > tokens_milli_) return false;
    tokens_milli_ -= wanted;
    return true;
  }

  // Takes `bytes` whatever the bucket holds, going into debt if need be (the refill repays it
  // before the bucket holds tokens again). False when the bucket is in debt afterwards.
  bool take_with_debt(uint64_t bytes, uint64_t now_ms) {
    if (rate_ == 0) return true;
    refill(now_ms);
    tokens_milli_ -= static_cast<int64_t>(bytes) * 1000;
    return tokens_milli_ >= 0;
  }

  // True while more was taken than has refilled by `now_ms`.
  bool in_debt(uint64_t now_ms) {
    if (rate_ == 0) return false;
    refill(now_ms);
    return tokens_milli_ < 0;
  }

 private:
  // A pause longer than this refills the bucket whatever the rate; the cap keeps the product
  // below 2^63 for any rate the config allows (2^30 B/s).
  static constexpr uint64_t kMaxElapsedMs = 1'000'000;

  void refill(uint64_t now_ms) {
    if (now_ms <= last_ms_) return;
    uint64_t elapsed = std::min(now_ms - last_ms_, kMaxElapsedMs);
    last_ms_ = now_ms;
    tokens_milli_ = std::min(capacity_milli_, tokens_milli_ + static_cast<int64_t>(elapsed * rate_));
  }

  uint64_t rate_;
  int64_t capacity_milli_;
  int64_t tokens_milli_;  // below 0: in debt
  uint64_t last_ms_;
};

}  // namespace sfu
