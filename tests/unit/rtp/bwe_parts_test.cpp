// The parts of the send-side estimator one by one: send history, packet grouping, trendline
// detector, AIMD rate control, loss-based rule. Simulated time only.
#include <gtest/gtest.h>

#include "rtp/acknowledged_bitrate.h"
#include "rtp/aimd_rate_control.h"
#include "rtp/inter_arrival_delta.h"
#include "rtp/loss_based_bwe.h"
#include "rtp/send_history.h"
#include "rtp/trendline_estimator.h"

using namespace sfu::rtp;

namespace {
constexpr int64_t kMs = 1000;
constexpr int64_t kSecond = 1'000'000;
}  // namespace

TEST(SendHistory, FindsWhatItHoldsAndUnwrapsFeedbackNumbers) {
  SendHistory history(8);
  EXPECT_FALSE(history.unwrap(5));
  for (int64_t s = 65530; s < 65540; ++s) history.on_sent(s, s * 10, 100);
  // 65539 is 3 in 16 bits; 65534 is behind it across the wrap.
  EXPECT_EQ(history.unwrap(3), 65539);
  EXPECT_EQ(history.unwrap(65534), 65534);
  ASSERT_TRUE(history.find(65534));
  EXPECT_EQ(history.find(65534)->send_us, 655340);
  EXPECT_FALSE(history.find(65531));  // forgotten: only the newest 8 are held
  EXPECT_FALSE(history.find(65540));  // not sent yet
  EXPECT_FALSE(history.find(-1));
}

TEST(SendHistory, SetsTheSendTimeOfARangeItStillHolds) {
  SendHistory history(8);
  for (int64_t s = 0; s < 20; ++s) history.on_sent(s, 1'000, 100);
  history.set_send_time(0, 14, 5'000);  // 0-11 are forgotten: untouched, nothing written
  history.set_send_time(15, 19, 7'000);
  EXPECT_EQ(history.find(12)->send_us, 5'000);
  EXPECT_EQ(history.find(14)->send_us, 5'000);
  EXPECT_EQ(history.find(15)->send_us, 7'000);
  EXPECT_EQ(history.find(19)->send_us, 7'000);
  EXPECT_EQ(history.find(11), nullptr);
}

TEST(InterArrivalDelta, GroupsBurstsAndComparesGroups) {
  InterArrivalDelta inter;
  InterArrivalDelta::Deltas d;
  // Frame 1: three packets sent at 0 arriving 1 ms apart; frame 2 at 33 ms, the same; frame 3 at
  // 66 ms completes frame 2.
  int completed = 0;
  for (int frame = 0; frame < 3; ++frame) {
    for (int i = 0; i < 3; ++i) {
      const int64_t send = frame * 33 * kMs;
      if (inter.on_packet(send, send + 20 * kMs + i * kMs + (frame == 1 ? 4 * kMs : 0), 0, 1000, d)) {
        ++completed;
        // Frame 2 arrived 4 ms later than its spacing: the queue grew by 4 ms.
        EXPECT_EQ(d.send_delta_us, 33 * kMs);
        EXPECT_EQ(d.arrival_delta_us, 37 * kMs);
      }
    }
  }
  EXPECT_EQ(completed, 1);
}

TEST(TrendlineEstimator, FlatDelayIsNormalGrowingIsOverUseShrinkingIsUnderUse) {
  TrendlineEstimator flat;
  for (int i = 0; i < 100; ++i) flat.update(33 * kMs, 33 * kMs, i * 33 * kMs);
  EXPECT_EQ(flat.state(), BandwidthUsage::kNormal);

  TrendlineEstimator growing;
  int64_t t = 0;
  for (int i = 0; i < 100 && growing.state() != BandwidthUsage::kOverusing; ++i, t += 36 * kMs)
    growing.update(36 * kMs, 33 * kMs, t);  // every group 3 ms later than sent: a growing queue
  EXPECT_EQ(growing.state(), BandwidthUsage::kOverusing);
  EXPECT_GT(growing.trend(), 0);

  TrendlineEstimator draining;
  t = 0;
  for (int i = 0; i < 40; ++i, t += 33 * kMs) draining.update(33 * kMs, 33 * kMs, t);
  for (int i = 0; i < 100 && draining.state() != BandwidthUsage::kUnderusing; ++i, t += 30 * kMs)
    draining.update(30 * kMs, 33 * kMs, t);
  EXPECT_EQ(draining.state(), BandwidthUsage::kUnderusing);
}

TEST(TrendlineEstimator, ThresholdAdaptsAndStaysInItsBounds) {
  TrendlineEstimator detector;
  EXPECT_DOUBLE_EQ(detector.threshold(), 12.5);
  int64_t t = 0;
  for (int i = 0; i < 2000; ++i, t += 33 * kMs) detector.update(33 * kMs, 33 * kMs, t);
  // A flat trend pulls it down quickly (k_down) to its floor.
  EXPECT_DOUBLE_EQ(detector.threshold(), 6.0);
}

TEST(AimdRateControl, OveruseCutsToBetaTimesTheAcknowledgedRate) {
  AimdRateControl rate(AimdRateControl::Options{2'000'000, 30'000, 50'000'000, 0.85});
  EXPECT_DOUBLE_EQ(rate.update(BandwidthUsage::kOverusing, 1'000'000, 0), 850'000);
  EXPECT_TRUE(rate.link_capacity().has_estimate());
  // Under-use holds; normal increases again, additively now that the capacity is known.
  EXPECT_DOUBLE_EQ(rate.update(BandwidthUsage::kUnderusing, 1'000'000, 100 * kMs), 850'000);
  double before = rate.estimate_bps();
  rate.update(BandwidthUsage::kNormal, 1'000'000, 200 * kMs);
  rate.update(BandwidthUsage::kNormal, 1'000'000, 1200 * kMs);
  EXPECT_GT(rate.estimate_bps(), before);
  EXPECT_LT(rate.estimate_bps(), before * 1.05);  // additive: a few kbit/s per second
}

TEST(AimdRateControl, FarFromCapacityIncreasesEightPercentASecondUpToTheThroughputLimit) {
  AimdRateControl rate(AimdRateControl::Options{1'000'000, 30'000, 50'000'000, 0.85});
  rate.update(BandwidthUsage::kNormal, 2'000'000, 0);
  rate.update(BandwidthUsage::kNormal, 2'000'000, kSecond);
  EXPECT_NEAR(rate.estimate_bps(), (1'000'000 + 1000) * 1.08, 1);  // the first step adds the 1 kbit/s minimum
  // Sending only 500 kbit/s: never above 1.5 x that + 10 kbit/s.
  AimdRateControl capped(AimdRateControl::Options{700'000, 30'000, 50'000'000, 0.85});
  for (int i = 0; i < 100; ++i) capped.update(BandwidthUsage::kNormal, 500'000, i * 100 * kMs);
  EXPECT_LE(capped.estimate_bps(), 760'000);
}

TEST(AcknowledgedBitrate, MeasuresTheArrivalRate) {
  AcknowledgedBitrate acked;
  EXPECT_FALSE(acked.bitrate_bps());
  // 1000 bytes every 8 ms: 1 Mbit/s.
  for (int i = 0; i < 500; ++i) acked.on_packet(i * 8 * kMs, 1000);
  ASSERT_TRUE(acked.bitrate_bps());
  EXPECT_NEAR(*acked.bitrate_bps(), 1'000'000, 60'000);
}

TEST(LossBasedBwe, HighLossDecreasesLowLossIncreasesMiddleHolds) {
  LossBasedBwe loss(LossBasedBwe::Options{1'000'000, 30'000, 50'000'000});
  int64_t now = 0;
  // Past the start phase first, without loss.
  loss.on_feedback(0, 100, now);
  now += 3 * kSecond;
  loss.update(now);
  const double start = loss.estimate_bps();
  // 20 % loss: rate x (1 - 0.1).
  now += 2 * kSecond;
  loss.on_feedback(20, 100, now);
  loss.update(now);
  EXPECT_NEAR(loss.estimate_bps(), start * (1 - 0.5 * 51.0 / 256), 1);
  EXPECT_EQ(loss.trend(), BweTrend::kDecreasing);
  // 5 %: hold.
  const double held = loss.estimate_bps();
  now += 2 * kSecond;
  loss.on_feedback(5, 100, now);
  loss.update(now);
  EXPECT_DOUBLE_EQ(loss.estimate_bps(), held);
  EXPECT_EQ(loss.trend(), BweTrend::kHolding);
  // 0 %: +8 % over the last second's lowest, +1 kbit/s.
  now += 2 * kSecond;
  loss.on_feedback(0, 100, now);
  loss.update(now);
  EXPECT_NEAR(loss.estimate_bps(), held * 1.08 + 1000, 1);
  // Never above the upper limit (the delay-based estimate).
  loss.set_upper_limit(500'000);
  loss.update(now + 100 * kMs);
  EXPECT_DOUBLE_EQ(loss.estimate_bps(), 500'000);
}

TEST(LossBasedBwe, FewPacketsDoNotMakeALossRate) {
  LossBasedBwe loss;
  loss.on_feedback(5, 10, 0);  // 50 %, but of 10 packets
  EXPECT_DOUBLE_EQ(loss.loss_fraction(), 0);
  loss.on_feedback(5, 10, 10 * kMs);  // now 20 packets
  EXPECT_NEAR(loss.loss_fraction(), 0.5, 0.01);
}

TEST(LossBasedBwe, HeavyLossIsActedOnWithinAQuarterSecondLightLossWaitsForTheSecond) {
  LossBasedBwe loss(LossBasedBwe::Options{1'000'000, 30'000, 50'000'000});
  int64_t now = 0;
  loss.on_feedback(0, 100, now);  // the first evaluation
  now += 3 * kSecond;
  loss.update(now);
  const double start = loss.estimate_bps();
  now += 300 * kMs;
  loss.on_feedback(0, 100, now);  // a whole second since the first evaluation: judged, 0 %
  EXPECT_DOUBLE_EQ(loss.loss_fraction(), 0);
  // Policed: half of every feedback's packets lost. 250 ms and 40 packets are enough.
  int64_t limited_at = now;
  for (int i = 0; i < 5; ++i) {
    now += 50 * kMs;
    loss.on_feedback(10, 20, now);
    loss.update(now);
  }
  EXPECT_NEAR(loss.loss_fraction(), 0.5, 0.05) << "evaluated " << (now - limited_at) / kMs << " ms in";
  EXPECT_LT(loss.estimate_bps(), start);
  // A light loss (5 %) over the same span waits for the full second.
  LossBasedBwe light(LossBasedBwe::Options{1'000'000, 30'000, 50'000'000});
  now = 0;
  light.on_feedback(0, 100, now);
  for (int i = 0; i < 10; ++i) {
    now += 50 * kMs;
    light.on_feedback(1, 20, now);
  }
  EXPECT_DOUBLE_EQ(light.loss_fraction(), 0) << "0.5 s of 5 % loss is not judged yet";
  for (int i = 0; i < 10; ++i) {
    now += 50 * kMs;
    light.on_feedback(1, 20, now);
  }
  EXPECT_NEAR(light.loss_fraction(), 0.05, 0.01);
}
