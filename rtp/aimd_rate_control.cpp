#include "rtp/aimd_rate_control.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sfu::rtp {
namespace {

constexpr double kMultiplicativeIncreasePerSecond = 1.08;
constexpr double kMinMultiplicativeIncreaseBps = 1000;
constexpr double kMinAdditiveIncreaseBpsPerSecond = 4000;
// The over-use detector's own delay, added to the RTT for the time a change takes to show.
constexpr int64_t kDetectorResponseUs = 100'000;
constexpr double kFrameIntervalS = 1.0 / 30;
constexpr double kPacketSizeBytes = 1200;
constexpr int64_t kMinReductionIntervalUs = 10'000;
constexpr int64_t kMaxReductionIntervalUs = 200'000;
constexpr int64_t kInitialReductionIntervalUs = 200'000;

}  // namespace

double LinkCapacityEstimator::upper_bound_bps() const {
  if (!estimate_kbps_) return std::numeric_limits<double>::infinity();
  return (*estimate_kbps_ + 3 * deviation_kbps()) * 1000;
}

double LinkCapacityEstimator::lower_bound_bps() const {
  if (!estimate_kbps_) return 0;
  return std::max(0.0, *estimate_kbps_ - 3 * deviation_kbps()) * 1000;
}

void LinkCapacityEstimator::update(double sample_bps, double alpha) {
  const double sample_kbps = sample_bps / 1000;
  estimate_kbps_ = estimate_kbps_ ? (1 - alpha) * *estimate_kbps_ + alpha * sample_kbps : sample_kbps;
  // The variance is normalised by the estimate, so it is comparable across rates.
  const double norm = std::max(*estimate_kbps_, 1.0);
  const double error_kbps = *estimate_kbps_ - sample_kbps;
  deviation_ = std::clamp((1 - alpha) * deviation_ + alpha * error_kbps * error_kbps / norm, 0.4, 2.5);
}

double LinkCapacityEstimator::deviation_kbps() const {
  return std::sqrt(deviation_ * estimate_kbps_.value_or(0));
}

AimdRateControl::AimdRateControl(Options options) : options_(options), current_bps_(options.start_bps) {}

double AimdRateControl::update(BandwidthUsage usage, std::optional<double> acknowledged_bps, int64_t now_us) {
  if (acknowledged_bps) latest_acknowledged_bps_ = *acknowledged_bps;
  const double acknowledged = latest_acknowledged_bps_;
  change_state(usage, now_us);
  double next = current_bps_;
  switch (state_) {
    case State::kHold:
      break;
    case State::kIncrease: {
      if (acknowledged > link_capacity_.upper_bound_bps()) link_capacity_.reset();
      const double limit = 1.5 * acknowledged + 10'000;
      if (current_bps_ < limit) {
        const double increased =
            current_bps_ +
            (link_capacity_.has_estimate() ? additive_increase(now_us) : multiplicative_increase(now_us));
        next = std::min(increased, limit);
      }
      last_change_us_ = now_us;
      break;
    }
    case State::kDecrease: {
      double decreased = acknowledged * options_.beta;
      // Never below what the capacity estimate says is there, when the acknowledged rate reads
      // higher than the estimate (it lags the estimate after an increase).
      if (decreased > current_bps_ && link_capacity_.has_estimate())
        decreased = options_.beta * link_capacity_.estimate_bps();
      if (decreased < current_bps_) next = decreased;
      if (acknowledged < link_capacity_.lower_bound_bps()) link_capacity_.reset();
      link_capacity_.on_overuse(acknowledged);
      state_ = State::kHold;
      last_change_us_ = now_us;
      last_decrease_us_ = now_us;
      break;
    }
  }
  current_bps_ = clamp(next);
  return current_bps_;
}

void AimdRateControl::set_estimate(double bps, int64_t now_us) {
  const bool decrease = bps < current_bps_;
  current_bps_ = clamp(bps);
  last_change_us_ = now_us;
  if (decrease) last_decrease_us_ = now_us;
}

bool AimdRateControl::time_to_reduce_further(int64_t now_us, double acknowledged_bps) const {
  const int64_t interval = std::clamp(rtt_us_, kMinReductionIntervalUs, kMaxReductionIntervalUs);
  if (last_change_us_ < 0 || now_us - last_change_us_ >= interval) return true;
  return acknowledged_bps < 0.5 * current_bps_;
}

bool AimdRateControl::initial_time_to_reduce_further(int64_t now_us) const {
  return last_change_us_ < 0 || now_us - last_change_us_ >= kInitialReductionIntervalUs;
}

BweTrend AimdRateControl::trend() const {
  if (state_ == State::kIncrease) return BweTrend::kIncreasing;
  return BweTrend::kHolding;
}

void AimdRateControl::change_state(BandwidthUsage usage, int64_t now_us) {
  switch (usage) {
    case BandwidthUsage::kNormal:
      if (state_ == State::kHold) {
        last_change_us_ = now_us;
        state_ = State::kIncrease;
      }
      break;
    case BandwidthUsage::kOverusing:
      state_ = State::kDecrease;
      break;
    case BandwidthUsage::kUnderusing:
      state_ = State::kHold;
      break;
  }
}

double AimdRateControl::multiplicative_increase(int64_t now_us) const {
  double alpha = kMultiplicativeIncreasePerSecond;
  if (last_change_us_ >= 0) {
    const double seconds = std::min(static_cast<double>(now_us - last_change_us_) / 1e6, 1.0);
    alpha = std::pow(alpha, std::max(seconds, 0.0));
  }
  return std::max(current_bps_ * (alpha - 1), kMinMultiplicativeIncreaseBps);
}

double AimdRateControl::additive_increase(int64_t now_us) const {
  if (last_change_us_ < 0) return 0;
  const double seconds = std::max(static_cast<double>(now_us - last_change_us_) / 1e6, 0.0);
  return near_max_increase_per_second() * seconds;
}

double AimdRateControl::near_max_increase_per_second() const {
  // About one average packet per response time: a frame at the current rate, split into packets
  // of at most 1200 bytes, and the time for a change to show in the feedback (RTT + the
  // detector's 100 ms), doubled.
  const double frame_bytes = current_bps_ * kFrameIntervalS / 8;
  const double packets_per_frame = std::ceil(frame_bytes / kPacketSizeBytes);
  const double packet_bytes = frame_bytes / std::max(packets_per_frame, 1.0);
  const double response_s = 2 * static_cast<double>(rtt_us_ + kDetectorResponseUs) / 1e6;
  return std::max(kMinAdditiveIncreaseBpsPerSecond, packet_bytes * 8 / response_s);
}

double AimdRateControl::clamp(double bps) const {
  return std::clamp(bps, options_.min_bps, options_.max_bps);
}

}  // namespace sfu::rtp
