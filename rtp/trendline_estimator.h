// The delay-gradient filter and over-use detector of the delay-based estimator (draft-ietf-rmcat-
// gcc-02 sections 5.3 and 5.4, with libwebrtc goog_cc's trendline filter in place of the draft's
// Kalman filter). Each inter-group delay variation sample is accumulated into a queueing-delay
// curve, smoothed exponentially, and the slope of a least-squares line through the last
// `window_size` points is the trend: positive while the bottleneck's queue builds up. The trend,
// scaled by the number of samples (up to 60) and a gain, is compared with an adaptive threshold
// that follows the trend's magnitude (slowly up, k_up, quickly down, k_down) so that the detector
// neither starves against a concurrent TCP flow nor fires on jitter: over it for more than 10 ms
// and two samples, with the trend still rising, is over-use; under minus it is under-use.
//
// Plain value type; the window is a fixed ring (at most kMaxWindowSize points), nothing allocates.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "rtp/bwe_types.h"

namespace sfu::rtp {

class TrendlineEstimator {
 public:
  static constexpr size_t kMaxWindowSize = 64;

  struct Options {
    size_t window_size = 20;
    double smoothing = 0.9;
    double threshold_gain = 4.0;
    double k_up = 0.0087;
    double k_down = 0.039;
    double initial_threshold_ms = 12.5;
  };

  TrendlineEstimator() : TrendlineEstimator(Options{}) {}
  explicit TrendlineEstimator(Options options);

  // One inter-group sample (InterArrivalDelta): deltas in microseconds, `arrival_us` the group's
  // arrival time on the receiver's clock.
  void update(int64_t arrival_delta_us, int64_t send_delta_us, int64_t arrival_us);
  void reset();

  BandwidthUsage state() const { return hypothesis_; }
  double trend() const { return previous_trend_; }                    // ms of delay per ms
  double modified_trend() const { return previous_modified_trend_; }  // as compared with the threshold
  double threshold() const { return threshold_; }
  uint64_t samples() const { return samples_; }

 private:
  struct Point {
    double x = 0;  // ms since the first sample's arrival
    double y = 0;  // smoothed accumulated delay, ms
  };

  double slope() const;
  void detect(double trend, double send_delta_ms, double now_ms);
  void update_threshold(double modified_trend, double now_ms);

  Options options_;
  std::array<Point, kMaxWindowSize> window_{};
  size_t window_count_ = 0;
  size_t window_next_ = 0;
  uint64_t samples_ = 0;
  double first_arrival_ms_ = -1;
  double accumulated_delay_ms_ = 0;
  double smoothed_delay_ms_ = 0;
  double previous_trend_ = 0;
  double previous_modified_trend_ = 0;
  double threshold_;
  double last_threshold_update_ms_ = -1;
  double time_over_using_ms_ = -1;
  int overuse_count_ = 0;
  BandwidthUsage hypothesis_ = BandwidthUsage::kNormal;
};

}  // namespace sfu::rtp
