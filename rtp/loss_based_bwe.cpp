#include "rtp/loss_based_bwe.h"

#include <algorithm>
#include <cmath>

namespace sfu::rtp {
namespace {

// Losses are judged over at least this many packets and at most once per interval, so a single
// lost packet of a short feedback does not swing the estimate.
constexpr uint32_t kMinPacketsForLoss = 20;
constexpr int64_t kLossEvaluationIntervalUs = 1'000'000;
// Heavy loss (a policed link, a sudden drop in capacity) is acted on sooner: from this many
// packets over this long, at this share (1/256 units). At 20 % over 40 packets it is no noise,
// and waiting out the second costs the subscriber a second of broken video.
constexpr uint32_t kMinPacketsForHeavyLoss = 40;
constexpr int64_t kHeavyLossEvaluationIntervalUs = 250'000;
constexpr uint64_t kHeavyLossQ8 = 51;
constexpr int64_t kStartPhaseUs = 2'000'000;
constexpr int64_t kIncreaseWindowUs = 1'000'000;
constexpr int64_t kDecreaseIntervalUs = 300'000;
// Loss reports older than this no longer count (1.2 x the longest RTCP interval, 5 s).
constexpr int64_t kLossReportTimeoutUs = 6'000'000;
constexpr double kIncreaseFactor = 1.08;
constexpr double kIncreaseExtraBps = 1000;
constexpr double kAcknowledgedFloor = 0.85;

}  // namespace

void LossBasedBwe::on_feedback(uint32_t lost, uint32_t reported, int64_t now_us) {
  if (first_report_us_ < 0) first_report_us_ = now_us;
  if (reported == 0) return;
  lost_since_evaluation_ += lost;
  expected_since_evaluation_ += reported;
  const int64_t since =
      last_loss_evaluation_us_ < 0 ? kLossEvaluationIntervalUs : now_us - last_loss_evaluation_us_;
  const bool heavy = since >= kHeavyLossEvaluationIntervalUs &&
                     expected_since_evaluation_ >= kMinPacketsForHeavyLoss &&
                     (uint64_t{lost_since_evaluation_} << 8) >= kHeavyLossQ8 * expected_since_evaluation_;
  if (!heavy && since < kLossEvaluationIntervalUs) return;
  if (expected_since_evaluation_ < kMinPacketsForLoss) return;
  fraction_lost_q8_ = static_cast<int>(
      std::min<uint64_t>((uint64_t{lost_since_evaluation_} << 8) / expected_since_evaluation_, 255));
  lost_since_evaluation_ = 0;
  expected_since_evaluation_ = 0;
  decreased_since_evaluation_ = false;
  last_loss_evaluation_us_ = now_us;
  last_loss_report_us_ = now_us;
}

bool LossBasedBwe::in_start_phase(int64_t now_us) const {
  return first_report_us_ < 0 || now_us - first_report_us_ < kStartPhaseUs;
}

void LossBasedBwe::update(int64_t now_us) {
  if (fraction_lost_q8_ == 0 && in_start_phase(now_us) && std::isfinite(upper_limit_bps_) &&
      upper_limit_bps_ > current_bps_) {
    // Start-up without loss: trust the delay-based estimate and REMB.
    history_count_ = 0;
    set_target(upper_limit_bps_);
    trend_ = BweTrend::kIncreasing;
    return;
  }
  update_min_history(now_us);
  if (last_loss_report_us_ < 0 || now_us - last_loss_report_us_ >= kLossReportTimeoutUs) {
    set_target(current_bps_);
    return;
  }
  const double loss = loss_fraction();
  if (loss <= kLowLoss) {
    set_target(history_[history_begin_].bps * kIncreaseFactor + kIncreaseExtraBps);
    trend_ = BweTrend::kIncreasing;
    return;
  }
  if (loss <= kHighLoss) {
    trend_ = BweTrend::kHolding;
    set_target(current_bps_);
    return;
  }
  if (!decreased_since_evaluation_ &&
      (last_decrease_us_ < 0 || now_us - last_decrease_us_ >= kDecreaseIntervalUs + rtt_us_)) {
    // rate x (1 - loss / 2), with the loss in 1/256 units as the feedback counts it; and no more
    // than what arrived: under heavy loss the acknowledged rate is what the link carries (a policer
    // passes its rate whatever is sent), so the estimate need not halve its way down over seconds.
    double decreased = current_bps_ * static_cast<double>(512 - fraction_lost_q8_) / 512.0;
    if (acknowledged_bps_ > 0) decreased = std::min(decreased, acknowledged_bps_);
    set_target(std::min(current_bps_, std::max(decreased, kAcknowledgedFloor * acknowledged_bps_)));
    last_decrease_us_ = now_us;
    decreased_since_evaluation_ = true;
    trend_ = BweTrend::kDecreasing;
    return;
  }
  set_target(current_bps_);
}

void LossBasedBwe::update_min_history(int64_t now_us) {
  // Entries older than the window go from the front (+1 ms: timestamps are rounded upstream).
  while (history_count_ > 0 && now_us - history_[history_begin_].at_us + 1000 > kIncreaseWindowUs) {
    history_begin_ = (history_begin_ + 1) % kHistorySize;
    --history_count_;
  }
  // Entries not lower than the current rate can never be the minimum again.
  while (history_count_ > 0 &&
         history_[(history_begin_ + history_count_ - 1) % kHistorySize].bps >= current_bps_)
    --history_count_;
  if (history_count_ == kHistorySize) {  // full: the oldest goes
    history_begin_ = (history_begin_ + 1) % kHistorySize;
    --history_count_;
  }
  history_[(history_begin_ + history_count_) % kHistorySize] = HistoryEntry{now_us, current_bps_};
  ++history_count_;
}

void LossBasedBwe::set_target(double bps) {
  current_bps_ = std::clamp(std::min(bps, upper_limit_bps_), options_.min_bps, options_.max_bps);
}

}  // namespace sfu::rtp
