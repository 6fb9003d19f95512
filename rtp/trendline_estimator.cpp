#include "rtp/trendline_estimator.h"

#include <algorithm>
#include <cmath>

namespace sfu::rtp {
namespace {

// The scale of the trend grows with the samples seen, up to this many (libwebrtc's kMinNumDeltas):
// the first few slopes, from a half-filled window, weigh less.
constexpr double kMaxSampleScale = 60;
constexpr uint64_t kMaxSampleCount = 1000;
// Over the threshold for this long (and two samples) before over-use is declared.
constexpr double kOverUsingTimeThresholdMs = 10;
// A trend far over the threshold (a sudden spike) does not move it: the threshold adapts to the
// normal range, not to outliers.
constexpr double kMaxAdaptOffsetMs = 15;
constexpr double kMaxThresholdStepMs = 100;
constexpr double kMinThreshold = 6;
constexpr double kMaxThreshold = 600;

}  // namespace

TrendlineEstimator::TrendlineEstimator(Options options)
    : options_(options), threshold_(options.initial_threshold_ms) {
  options_.window_size = std::clamp<size_t>(options_.window_size, 2, kMaxWindowSize);
}

void TrendlineEstimator::reset() { *this = TrendlineEstimator(options_); }

void TrendlineEstimator::update(int64_t arrival_delta_us, int64_t send_delta_us, int64_t arrival_us) {
  const double delta_ms = static_cast<double>(arrival_delta_us - send_delta_us) / 1000.0;
  const double arrival_ms = static_cast<double>(arrival_us) / 1000.0;
  samples_ = std::min(samples_ + 1, kMaxSampleCount);
  if (first_arrival_ms_ < 0) first_arrival_ms_ = arrival_ms;
  accumulated_delay_ms_ += delta_ms;
  smoothed_delay_ms_ =
      options_.smoothing * smoothed_delay_ms_ + (1 - options_.smoothing) * accumulated_delay_ms_;
  window_[window_next_] = Point{arrival_ms - first_arrival_ms_, smoothed_delay_ms_};
  window_next_ = (window_next_ + 1) % options_.window_size;
  window_count_ = std::min(window_count_ + 1, options_.window_size);
  double trend = previous_trend_;
  if (window_count_ == options_.window_size) trend = slope();
  detect(trend, static_cast<double>(send_delta_us) / 1000.0, arrival_ms);
}

double TrendlineEstimator::slope() const {
  double sum_x = 0;
  double sum_y = 0;
  for (size_t i = 0; i < window_count_; ++i) {
    sum_x += window_[i].x;
    sum_y += window_[i].y;
  }
  const double mean_x = sum_x / static_cast<double>(window_count_);
  const double mean_y = sum_y / static_cast<double>(window_count_);
  double numerator = 0;
  double denominator = 0;
  for (size_t i = 0; i < window_count_; ++i) {
    const double dx = window_[i].x - mean_x;
    numerator += dx * (window_[i].y - mean_y);
    denominator += dx * dx;
  }
  return denominator == 0 ? previous_trend_ : numerator / denominator;
}

void TrendlineEstimator::detect(double trend, double send_delta_ms, double now_ms) {
  if (samples_ < 2) {
    hypothesis_ = BandwidthUsage::kNormal;
    return;
  }
  const double modified_trend =
      std::min(static_cast<double>(samples_), kMaxSampleScale) * trend * options_.threshold_gain;
  previous_modified_trend_ = modified_trend;
  if (modified_trend > threshold_) {
    time_over_using_ms_ = time_over_using_ms_ < 0 ? send_delta_ms / 2 : time_over_using_ms_ + send_delta_ms;
    ++overuse_count_;
    if (time_over_using_ms_ > kOverUsingTimeThresholdMs && overuse_count_ > 1 && trend >= previous_trend_) {
      time_over_using_ms_ = 0;
      overuse_count_ = 0;
      hypothesis_ = BandwidthUsage::kOverusing;
    }
  } else if (modified_trend < -threshold_) {
    time_over_using_ms_ = -1;
    overuse_count_ = 0;
    hypothesis_ = BandwidthUsage::kUnderusing;
  } else {
    time_over_using_ms_ = -1;
    overuse_count_ = 0;
    hypothesis_ = BandwidthUsage::kNormal;
  }
  previous_trend_ = trend;
  update_threshold(modified_trend, now_ms);
}

void TrendlineEstimator::update_threshold(double modified_trend, double now_ms) {
  if (last_threshold_update_ms_ < 0) last_threshold_update_ms_ = now_ms;
  const double magnitude = std::fabs(modified_trend);
  if (magnitude > threshold_ + kMaxAdaptOffsetMs) {
    last_threshold_update_ms_ = now_ms;
    return;
  }
  const double k = magnitude < threshold_ ? options_.k_down : options_.k_up;
  const double step_ms = std::min(now_ms - last_threshold_update_ms_, kMaxThresholdStepMs);
  threshold_ = std::clamp(threshold_ + k * (magnitude - threshold_) * step_ms, kMinThreshold, kMaxThreshold);
  last_threshold_update_ms_ = now_ms;
}

}  // namespace sfu::rtp
