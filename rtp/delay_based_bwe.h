// The delay-based half of the send-side estimate (draft-ietf-rmcat-gcc-02 section 5, in the way
// of libwebrtc's goog_cc DelayBasedBwe): each feedback's received packets go through the packet
// grouping (InterArrivalDelta) into the trendline over-use detector; once per feedback the rate
// controller (AimdRateControl) moves the estimate by the detector's hypothesis and the
// acknowledged rate. While over-using, the estimate is cut at most once per RTT.
//
// Plain value type, nothing allocates; times in microseconds, rates in bits per second.
#pragma once

#include <cstdint>
#include <optional>

#include "rtp/aimd_rate_control.h"
#include "rtp/inter_arrival_delta.h"
#include "rtp/trendline_estimator.h"

namespace sfu::rtp {

class DelayBasedBwe {
 public:
  // Feedback silent for this long: the packet grouping and the detector start over.
  static constexpr int64_t kStreamTimeoutUs = 2'000'000;

  struct Options {
    AimdRateControl::Options rate;
    TrendlineEstimator::Options trendline;
  };

  DelayBasedBwe() : DelayBasedBwe(Options{}) {}
  explicit DelayBasedBwe(Options options) : rate_(options.rate), detector_(options.trendline) {}

  // One received packet of a feedback (send time here, arrival time on the peer's clock), in the
  // feedback's order; `now_us` is when the feedback arrived.
  void on_packet(int64_t send_us, int64_t arrival_us, uint32_t size, int64_t now_us);
  // After a feedback's packets (if it had any received): updates the estimate and returns it.
  double on_feedback_done(std::optional<double> acknowledged_bps, int64_t now_us);
  void set_rtt(int64_t rtt_us) { rate_.set_rtt(rtt_us); }

  double estimate_bps() const { return rate_.estimate_bps(); }
  // A probe's result (send_side_bwe.cpp): the link carried this much.
  void set_estimate(double bps, int64_t now_us) { rate_.set_estimate(bps, now_us); }
  BandwidthUsage usage() const { return detector_.state(); }
  BweTrend trend() const { return rate_.trend(); }
  // Times the detector went into over-use.
  uint64_t overuse_events() const { return overuse_events_; }
  const AimdRateControl& rate_control() const { return rate_; }
  const TrendlineEstimator& detector() const { return detector_; }

 private:
  AimdRateControl rate_;
  TrendlineEstimator detector_;
  InterArrivalDelta inter_arrival_;
  int64_t last_packet_us_ = -1;
  bool packets_since_update_ = false;
  BandwidthUsage previous_usage_ = BandwidthUsage::kNormal;
  uint64_t overuse_events_ = 0;
};

}  // namespace sfu::rtp
