// The rate controller of the delay-based estimator (draft-ietf-rmcat-gcc-02 section 5.5, with
// libwebrtc goog_cc's AimdRateControl refinements). Driven by the over-use detector's hypothesis:
//   - over-use: decrease to 0.85 x the acknowledged rate (what the receiver actually got), at once,
//     and remember that rate as a sample of the link's capacity;
//   - normal: increase, multiplicatively (8 % a second) while the rate is far from the capacity
//     seen at the last over-use (or none was seen), additively (about one packet per response
//     time) near it, never above 1.5 x the acknowledged rate + 10 kbit/s (the estimate must not
//     run away from what is actually sent);
//   - under-use: hold (the queue drains; increasing now would refill it).
//
// Plain value type; times in microseconds, rates in bits per second.
#pragma once

#include <cstdint>
#include <optional>

#include "rtp/bwe_types.h"

namespace sfu::rtp {

// The link capacity as estimated from the acknowledged rates at over-use (goog_cc's
// LinkCapacityEstimator): a mean and a normalised variance, so "near the capacity" has a width.
class LinkCapacityEstimator {
 public:
  bool has_estimate() const { return estimate_kbps_.has_value(); }
  double estimate_bps() const { return estimate_kbps_.value_or(0) * 1000; }
  double upper_bound_bps() const;  // infinite without an estimate
  double lower_bound_bps() const;  // 0 without an estimate
  void on_overuse(double acknowledged_bps) { update(acknowledged_bps, 0.05); }
  void reset() { estimate_kbps_.reset(); }

 private:
  void update(double sample_bps, double alpha);
  double deviation_kbps() const;

  std::optional<double> estimate_kbps_;
  double deviation_ = 0.4;  // normalised variance, kbit/s
};

class AimdRateControl {
 public:
  struct Options {
    double start_bps = 1'000'000;
    double min_bps = 30'000;
    double max_bps = 50'000'000;
    double beta = 0.85;
  };

  AimdRateControl() : AimdRateControl(Options{}) {}
  explicit AimdRateControl(Options options);

  // One detector hypothesis with the acknowledged rate at the time (nullopt before the first);
  // returns the new estimate.
  double update(BandwidthUsage usage, std::optional<double> acknowledged_bps, int64_t now_us);
  // Sets the estimate directly (a halving before any acknowledged rate exists, a probe's result).
  void set_estimate(double bps, int64_t now_us);
  void set_rtt(int64_t rtt_us) { rtt_us_ = rtt_us; }

  double estimate_bps() const { return current_bps_; }
  // Over-use again soon after a decrease: decrease again once per RTT (10-200 ms), or at once
  // when the acknowledged rate has fallen under half the estimate.
  bool time_to_reduce_further(int64_t now_us, double acknowledged_bps) const;
  // Before any acknowledged rate: another halving at most every 200 ms.
  bool initial_time_to_reduce_further(int64_t now_us) const;
  BweTrend trend() const;
  int64_t last_decrease_us() const { return last_decrease_us_; }  // -1 before the first
  const LinkCapacityEstimator& link_capacity() const { return link_capacity_; }

 private:
  enum class State : uint8_t { kHold, kIncrease, kDecrease };

  void change_state(BandwidthUsage usage, int64_t now_us);
  double multiplicative_increase(int64_t now_us) const;
  double additive_increase(int64_t now_us) const;
  double near_max_increase_per_second() const;
  double clamp(double bps) const;

  Options options_;
  double current_bps_;
  double latest_acknowledged_bps_ = 0;
  State state_ = State::kHold;
  int64_t last_change_us_ = -1;  // of the estimate (any direction)
  int64_t last_decrease_us_ = -1;
  int64_t rtt_us_ = 200'000;
  LinkCapacityEstimator link_capacity_;
};

}  // namespace sfu::rtp
