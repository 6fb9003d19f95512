// A token bucket over bytes: `rate` bytes per second, holding at most `burst` bytes. Used for a
// publisher's inbound data (data_channels.bytes_per_second_per_participant, burst_bytes). Integer
// arithmetic in thousandths of a byte, so slow rates refill exactly; no allocation.
#pragma once

#include <algorithm>
#include <cstdint>

namespace sfu {

class TokenBucket {
 public:
  // rate 0: no limit.
  TokenBucket(uint64_t rate_bytes_per_second, uint64_t burst_bytes, uint64_t now_ms)
      : rate_(rate_bytes_per_second),
        capacity_milli_(burst_bytes * 1000),
        tokens_milli_(capacity_milli_),
        last_ms_(now_ms) {}

  // Takes `bytes` if the bucket holds them; false (nothing taken) otherwise.
  bool take(uint64_t bytes, uint64_t now_ms) {
    if (rate_ == 0) return true;
    refill(now_ms);
    uint64_t wanted = bytes * 1000;
    if (wanted > tokens_milli_) return false;
    tokens_milli_ -= wanted;
    return true;
  }

 private:
  // A pause longer than this refills the bucket whatever the rate; the cap keeps the product
  // below 2^64 for any rate the config allows.
  static constexpr uint64_t kMaxElapsedMs = 1'000'000;

  void refill(uint64_t now_ms) {
    if (now_ms <= last_ms_) return;
    uint64_t elapsed = std::min(now_ms - last_ms_, kMaxElapsedMs);
    last_ms_ = now_ms;
    tokens_milli_ = std::min(capacity_milli_, tokens_milli_ + elapsed * rate_);
  }

  uint64_t rate_;
  uint64_t capacity_milli_;
  uint64_t tokens_milli_;
  uint64_t last_ms_;
};

}  // namespace sfu
