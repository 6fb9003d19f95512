// The loss-based half of the send-side estimate (draft-ietf-rmcat-gcc-02 section 6, libwebrtc's
// classic SendSideBandwidthEstimation): the share of packets the peer's feedback reports lost,
// over at least 20 packets and about a second (a quarter second when 20 % or more of at least 40
// packets are lost), moves the estimate:
//   - loss over 10 %: decrease to rate x (1 - loss / 2) or the acknowledged rate if lower (what
//     arrived while losing is what the link carries; libwebrtc's LossBasedBweV2 bounds its
//     estimate by it too), at most once per 300 ms + RTT, but not
//     below 0.85 x the acknowledged rate (a departure from libwebrtc's classic estimator: what
//     the peer demonstrably receives is not in doubt; an SFU that cannot slow its senders keeps
//     over-sending into a policed link, and without this floor the estimate would sink to the
//     minimum while the link still delivers its capacity);
//   - loss under 2 %: increase to 1.08 x the lowest estimate of the last second (+1 kbit/s);
//   - between: hold.
// The result never exceeds the upper limit set by the caller (the delay-based estimate and the
// peer's REMB), so the final estimate is the lower of the two halves. For the first 2 s without
// loss it follows the upper limit directly (start-up).
//
// Plain value type; the min-history is a fixed ring, nothing allocates. Times in microseconds.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "rtp/bwe_types.h"

namespace sfu::rtp {

class LossBasedBwe {
 public:
  struct Options {
    double start_bps = 1'000'000;
    double min_bps = 30'000;
    double max_bps = 50'000'000;
  };

  static constexpr double kLowLoss = 0.02;
  static constexpr double kHighLoss = 0.10;

  LossBasedBwe() : LossBasedBwe(Options{}) {}
  explicit LossBasedBwe(Options options) : options_(options), current_bps_(options.start_bps) {}

  // What one feedback reported: `lost` of `reported` packets (those not reported before).
  void on_feedback(uint32_t lost, uint32_t reported, int64_t now_us);
  // The delay-based estimate and REMB, whichever is lower (infinity for none).
  void set_upper_limit(double bps) { upper_limit_bps_ = bps; }
  void set_rtt(int64_t rtt_us) { rtt_us_ = rtt_us; }
  void set_acknowledged_bps(double bps) { acknowledged_bps_ = bps; }
  // Moves the estimate (after each feedback, and periodically so it can rise between them).
  void update(int64_t now_us);
  // A probe showed the link carries `bps`: the estimate (and the minimum it grows from) rises to
  // it, within the upper limit.
  void raise_to(double bps) {
    if (bps <= current_bps_) return;
    set_target(bps);
    history_count_ = 0;
  }

  double estimate_bps() const { return current_bps_; }
  // The last loss share computed (over >= 20 packets), 0..1.
  double loss_fraction() const { return static_cast<double>(fraction_lost_q8_) / 256.0; }
  BweTrend trend() const { return trend_; }
  int64_t last_decrease_us() const { return last_decrease_us_; }

 private:
  static constexpr size_t kHistorySize = 64;
  struct HistoryEntry {
    int64_t at_us = 0;
    double bps = 0;
  };

  void update_min_history(int64_t now_us);
  void set_target(double bps);
  bool in_start_phase(int64_t now_us) const;

  Options options_;
  double current_bps_;
  double upper_limit_bps_ = std::numeric_limits<double>::infinity();
  int64_t rtt_us_ = 200'000;
  double acknowledged_bps_ = 0;
  int64_t first_report_us_ = -1;
  int64_t last_loss_report_us_ = -1;
  int64_t last_loss_evaluation_us_ = -1;
  int64_t last_decrease_us_ = -1;
  uint32_t lost_since_evaluation_ = 0;
  uint32_t expected_since_evaluation_ = 0;
  int fraction_lost_q8_ = 0;  // 0..255
  bool decreased_since_evaluation_ = false;
  BweTrend trend_ = BweTrend::kIncreasing;
  // Sliding minimum of the estimate over the last second (increasing rates, oldest first).
  std::array<HistoryEntry, kHistorySize> history_{};
  size_t history_begin_ = 0;
  size_t history_count_ = 0;
};

}  // namespace sfu::rtp
