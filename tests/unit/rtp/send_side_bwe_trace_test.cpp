// The send-side estimator on simulated links (bwe_link_simulator.h): a steady 2 Mbit/s link, a
// step down to 500 kbit/s and back up, and random loss. The sender follows the estimate, as an
// encoder (or the allocator) follows its target. Each test prints the estimate's error against
// the link's capacity; the assertions are the issue's: within +-25 % of a new, lower capacity
// within a few seconds, climbing after a step up, holding under 5 % random loss and backing off
// under 20 %. Simulated time only.
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/unit/rtp/bwe_link_simulator.h"

using namespace sfu;
using namespace sfu::rtp;
using sfu::rtp::test::BweLinkSimulator;

namespace {

constexpr int64_t kSecond = 1'000'000;

double error_percent(double estimate, double capacity) { return 100.0 * (estimate - capacity) / capacity; }

void report(const char* trace, double estimate, double capacity) {
  std::printf("[bwe trace] %-34s estimate %8.0f kbit/s, capacity %6.0f kbit/s, error %+6.1f %%\n", trace,
              estimate / 1000, capacity / 1000, error_percent(estimate, capacity));
}

}  // namespace

TEST(SendSideBweTrace, SteadyLinkConvergesOnItsCapacity) {
  BweLinkSimulator sim;
  sim.link().capacity_bps = 2'000'000;
  sim.run(40 * kSecond);
  const double mean = sim.mean_estimate(20 * kSecond, 40 * kSecond);
  report("steady 2 Mbit/s, 20-40 s", mean, 2'000'000);
  EXPECT_TRUE(BweLinkSimulator::within(mean, 2'000'000, 0.25)) << mean;
  EXPECT_GT(sim.bwe().feedbacks(), 700u);
  EXPECT_GT(sim.bwe().overuse_events(), 0u);  // it found the capacity by over-using it
}

TEST(SendSideBweTrace, StepDownFallsToTheNewCapacityWithinSeconds) {
  BweLinkSimulator sim;
  sim.link().capacity_bps = 2'000'000;
  sim.run(30 * kSecond);
  const double before = sim.mean_estimate(20 * kSecond, 30 * kSecond);
  sim.link().capacity_bps = 500'000;
  sim.run(20 * kSecond);
  // Queueing delay grows, the detector over-uses, the estimate falls to 0.85 x what arrives.
  const int64_t settled = sim.settle_time(30 * kSecond, 500'000, 0.25, 3 * kSecond);
  const double after = sim.mean_estimate(35 * kSecond, 50 * kSecond);
  report("step 2 Mbit/s -> 500 kbit/s, 35-50 s", after, 500'000);
  std::printf(
      "[bwe trace] step down: within +-25 %% of 500 kbit/s %.1f s after the step (from %.0f kbit/s)\n",
      settled < 0 ? -1.0 : static_cast<double>(settled - 30 * kSecond) / kSecond, before / 1000);
  ASSERT_GE(settled, 0) << "never settled near 500 kbit/s";
  EXPECT_LE(settled - 30 * kSecond, 3 * kSecond);
  EXPECT_TRUE(BweLinkSimulator::within(after, 500'000, 0.25)) << after;
}

TEST(SendSideBweTrace, StepDownOverAShallowBufferIsFoundByLoss) {
  // A 50 ms buffer (a policer with a small burst allowance, like nftables' `limit rate over`):
  // the queue overflows before its delay shows, and the loss-based half finds the capacity.
  BweLinkSimulator sim;
  sim.link().capacity_bps = 2'000'000;
  sim.link().max_queue_delay_us = 50'000;
  sim.run(30 * kSecond);
  sim.link().capacity_bps = 500'000;
  sim.run(20 * kSecond);
  const int64_t settled = sim.settle_time(30 * kSecond, 500'000, 0.25, 3 * kSecond);
  const double after = sim.mean_estimate(35 * kSecond, 50 * kSecond);
  report("50 ms buffer, 2 -> 0.5 Mbit/s, 35-50 s", after, 500'000);
  std::printf("[bwe trace] shallow step down: within +-25 %% of 500 kbit/s %.1f s after the step\n",
              settled < 0 ? -1.0 : static_cast<double>(settled - 30 * kSecond) / kSecond);
  ASSERT_GE(settled, 0) << "never settled near 500 kbit/s";
  EXPECT_LE(settled - 30 * kSecond, 5 * kSecond);
  EXPECT_TRUE(BweLinkSimulator::within(after, 500'000, 0.25)) << after;
}

TEST(SendSideBweTrace, StepUpClimbsBack) {
  BweLinkSimulator sim;
  sim.link().capacity_bps = 500'000;
  sim.run(30 * kSecond);
  const double low = sim.mean_estimate(20 * kSecond, 30 * kSecond);
  report("steady 500 kbit/s, 20-30 s", low, 500'000);
  EXPECT_TRUE(BweLinkSimulator::within(low, 500'000, 0.25)) << low;
  sim.link().capacity_bps = 2'000'000;
  sim.run(40 * kSecond);
  const int64_t reached = sim.settle_time(30 * kSecond, 2'000'000, 0.25, 2 * kSecond);
  const double high = sim.mean_estimate(60 * kSecond, 70 * kSecond);
  report("step 500 kbit/s -> 2 Mbit/s, 60-70 s", high, 2'000'000);
  std::printf("[bwe trace] step up: within +-25 %% of 2 Mbit/s %.1f s after the step\n",
              reached < 0 ? -1.0 : static_cast<double>(reached - 30 * kSecond) / kSecond);
  EXPECT_GT(sim.mean_estimate(45 * kSecond, 50 * kSecond), 1.5 * low);  // climbing
  EXPECT_TRUE(BweLinkSimulator::within(high, 2'000'000, 0.25)) << high;
}

TEST(SendSideBweTrace, FivePercentRandomLossHolds) {
  BweLinkSimulator sim(SendSideBwe::Options{}, 7);
  sim.link().capacity_bps = 2'000'000;
  sim.run(30 * kSecond);
  sim.link().loss = 0.05;
  sim.run(30 * kSecond);
  const double mean = sim.mean_estimate(40 * kSecond, 60 * kSecond);
  report("2 Mbit/s with 5 % loss, 40-60 s", mean, 2'000'000);
  std::printf("[bwe trace] 5 %% loss: loss fraction seen %.3f\n", sim.bwe().loss_fraction());
  // 2-10 % loss: the loss-based half holds (it does not rise), the delay-based one still works.
  EXPECT_GT(sim.bwe().loss_fraction(), 0.02);
  EXPECT_LT(sim.bwe().loss_fraction(), 0.10);
  EXPECT_TRUE(BweLinkSimulator::within(mean, 2'000'000, 0.35)) << mean;
}

TEST(SendSideBweTrace, TwentyPercentRandomLossBacksOff) {
  BweLinkSimulator sim(SendSideBwe::Options{}, 9);
  sim.link().capacity_bps = 2'000'000;
  sim.run(30 * kSecond);
  const double before = sim.mean_estimate(25 * kSecond, 30 * kSecond);
  sim.link().loss = 0.20;
  sim.run(15 * kSecond);
  const double after = sim.mean_estimate(40 * kSecond, 45 * kSecond);
  report("2 Mbit/s with 20 % loss, 40-45 s", after, 2'000'000);
  std::printf("[bwe trace] 20 %% loss: %.0f -> %.0f kbit/s, loss fraction seen %.3f\n", before / 1000,
              after / 1000, sim.bwe().loss_fraction());
  // Over 10 %: rate x (1 - loss / 2) about once a second, whatever the delay says.
  EXPECT_GT(sim.bwe().loss_fraction(), 0.10);
  EXPECT_LT(after, 0.6 * before);
  EXPECT_GE(sim.bwe().estimate_bps(), 30'000);
}

TEST(SendSideBweTrace, FixedRateSenderOverANarrowLinkIsCutToIt) {
  // Today's SFU: it forwards what the publisher sends (1.5 Mbit/s) whatever the estimate says;
  // over a 500 kbit/s link the queue overflows and the estimate still lands near the capacity.
  BweLinkSimulator sim;
  sim.set_fixed_send_bps(1'500'000);
  sim.link().capacity_bps = 500'000;
  sim.run(20 * kSecond);
  const double mean = sim.mean_estimate(10 * kSecond, 20 * kSecond);
  report("1.5 Mbit/s sent into 500 kbit/s", mean, 500'000);
  EXPECT_TRUE(BweLinkSimulator::within(mean, 500'000, 0.35)) << mean;
}
