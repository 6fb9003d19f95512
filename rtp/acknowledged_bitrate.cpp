#include "rtp/acknowledged_bitrate.h"

#include <cmath>

namespace sfu::rtp {
namespace {

constexpr int64_t kInitialWindowMs = 500;
constexpr int64_t kWindowMs = 150;
// How far a sample may stray before it counts for little: the sample's variance is this scale
// times its relative distance from the estimate, squared.
constexpr double kUncertaintyScale = 10;
// The estimate's own variance grows by this much per sample: the rate is assumed to drift.
constexpr double kVarianceGrowth = 5;

}  // namespace

void AcknowledgedBitrate::on_packet(int64_t arrival_us, uint32_t size) {
  const int64_t window_ms = estimate_kbps_ < 0 ? kInitialWindowMs : kWindowMs;
  const double sample_kbps = update_window(arrival_us / 1000, size, window_ms);
  if (sample_kbps < 0) return;
  if (estimate_kbps_ < 0) {
    estimate_kbps_ = sample_kbps;
    return;
  }
  const double uncertainty =
      kUncertaintyScale * std::fabs(estimate_kbps_ - sample_kbps) / std::fmax(estimate_kbps_, 1.0);
  const double sample_variance = uncertainty * uncertainty;
  const double predicted_variance = estimate_variance_ + kVarianceGrowth;
  estimate_kbps_ = (sample_variance * estimate_kbps_ + predicted_variance * sample_kbps) /
                   (sample_variance + predicted_variance);
  estimate_kbps_ = std::fmax(estimate_kbps_, 0.0);
  estimate_variance_ = sample_variance * predicted_variance / (sample_variance + predicted_variance);
}

double AcknowledgedBitrate::update_window(int64_t now_ms, uint32_t bytes, int64_t window_ms) {
  if (now_ms < previous_ms_) {  // the receiver's clock went back: start over
    previous_ms_ = -1;
    window_bytes_ = 0;
    window_elapsed_ms_ = 0;
  }
  if (previous_ms_ >= 0) {
    window_elapsed_ms_ += now_ms - previous_ms_;
    // Nothing arrived for longer than a window: what was summed no longer describes a rate.
    if (now_ms - previous_ms_ > window_ms) {
      window_bytes_ = 0;
      window_elapsed_ms_ %= window_ms;
    }
  }
  previous_ms_ = now_ms;
  double sample_kbps = -1;
  if (window_elapsed_ms_ >= window_ms) {
    sample_kbps = 8.0 * static_cast<double>(window_bytes_) / static_cast<double>(window_ms);
    window_elapsed_ms_ -= window_ms;
    window_bytes_ = 0;
  }
  window_bytes_ += bytes;
  return sample_kbps;
}

std::optional<double> AcknowledgedBitrate::bitrate_bps() const {
  if (estimate_kbps_ < 0) return std::nullopt;
  return estimate_kbps_ * 1000;
}

}  // namespace sfu::rtp
