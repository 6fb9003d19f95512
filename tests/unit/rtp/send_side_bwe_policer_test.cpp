// The send-side estimator on a policed link (bwe_link_simulator.h's token bucket: what fits its
// rate plus a 125 ms burst allowance passes, the rest is dropped, no queue): the delay detector
// sees nothing, only loss and probes tell. A short probe cluster passes such a link in its burst
// allowance at twice its rate; believing it makes room for a layer that then loses half its
// packets (seen in tests/browser/bandwidth_adaptation.test.mjs: the limited subscriber cycled
// between layers every 6 s, frozen half the time). After heavy loss only a long (verifying)
// cluster may raise the estimate above what the link carried while losing, and a probe-raised
// estimate that heavy loss follows counts as an overshoot. Simulated time only.
#include <gtest/gtest.h>

#include "tests/unit/rtp/bwe_link_simulator.h"

using namespace sfu;
using namespace sfu::rtp;
using sfu::rtp::test::BweLinkSimulator;

namespace {

constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kMs = 1000;
constexpr double kPolicedBps = 480'000;  // nftables' `limit rate over 60 kbytes/second`

void police(BweLinkSimulator& sim, double bps) {
  sim.link().policer_rate_bps = bps;
  sim.link().policer_burst_bytes = bps / 8 / 8;  // 1/8 s of the rate, as the browser test's rule
}

// Sends 1 Mbit/s into the policed link until the loss-based half has come down, then a 250 kbit/s
// layer that fits.
void lose_then_fit(BweLinkSimulator& sim) {
  police(sim, kPolicedBps);
  sim.set_fixed_send_bps(1'000'000);
  sim.run(4 * kSecond);
  sim.set_fixed_send_bps(250'000);
  sim.run(6 * kSecond);
}

}  // namespace

TEST(SendSideBwePolicer, HeavyLossSetsTheLossLimitedRateNearWhatTheLinkCarried) {
  BweLinkSimulator sim;
  lose_then_fit(sim);
  ASSERT_TRUE(sim.bwe().loss_limited_bps());
  EXPECT_GT(*sim.bwe().loss_limited_bps(), 0.6 * kPolicedBps);
  EXPECT_LT(*sim.bwe().loss_limited_bps(), 1.5 * kPolicedBps);
  EXPECT_LT(sim.bwe().estimate_bps(), 1.5 * kPolicedBps);
}

TEST(SendSideBwePolicer, AShortProbeThatPassedInTheBurstDoesNotRaiseTheEstimateAboveTheLossLimitedRate) {
  BweLinkSimulator sim;
  lose_then_fit(sim);
  const double limited = *sim.bwe().loss_limited_bps();
  const double before = sim.bwe().estimate_bps();
  sim.probe(650'000, 100 * kMs, /*verifying=*/false);  // 900 kbit/s with the media, for 100 ms
  sim.run(500 * kMs);
  EXPECT_GT(sim.bwe().last_probe_bps(), 1.3 * kPolicedBps) << "the burst allowance let it through";
  EXPECT_LE(sim.bwe().estimate_bps(), std::max(before, limited) * 1.05) << "from " << before;
  EXPECT_TRUE(sim.bwe().loss_limited_bps());
}

TEST(SendSideBwePolicer, AVerifyingProbeFailsOnThePolicedLinkAndSucceedsOnceTheLimitIsLifted) {
  BweLinkSimulator sim;
  lose_then_fit(sim);
  const double before = sim.bwe().estimate_bps();
  sim.probe(650'000, 500 * kMs, /*verifying=*/true);
  sim.run(1500 * kMs);
  EXPECT_EQ(sim.bwe().last_probe_bps(), 0) << "a third of the cluster was dropped";
  EXPECT_LE(sim.bwe().estimate_bps(), before * 1.15) << "no more than 1.5 s of 8 %/s growth";
  ASSERT_TRUE(sim.bwe().loss_limited_bps());

  police(sim, 20'000'000);
  sim.run(2 * kSecond);
  sim.probe(650'000, 500 * kMs, /*verifying=*/true);
  sim.run(1500 * kMs);
  EXPECT_GT(sim.bwe().estimate_bps(), 800'000);
  ASSERT_TRUE(sim.bwe().loss_limited_bps());
  EXPECT_GT(*sim.bwe().loss_limited_bps(), 800'000) << "raised to what the long cluster showed";
  EXPECT_EQ(sim.bwe().probe_overshoots(), 0u);
}

TEST(SendSideBwePolicer, HeavyLossAfterAProbeRaisedTheEstimateIsAnOvershoot) {
  SendSideBwe::Options options;
  options.start_bps = 300'000;  // below the link: only the probe takes it higher
  BweLinkSimulator sim(options);
  police(sim, kPolicedBps);
  sim.set_fixed_send_bps(250'000);
  sim.run(6 * kSecond);
  EXPECT_FALSE(sim.bwe().loss_limited_bps()) << "no loss yet";
  sim.probe(650'000, 100 * kMs, /*verifying=*/false);
  sim.run(500 * kMs);
  ASSERT_GT(sim.bwe().estimate_bps(), 1.3 * kPolicedBps) << "nothing says the link is policed yet";
  // The sender takes the room the probe found (the allocator's up-switch): it is not there.
  sim.set_fixed_send_bps(0);
  sim.run(4 * kSecond);
  EXPECT_EQ(sim.bwe().probe_overshoots(), 1u);
  ASSERT_TRUE(sim.bwe().loss_limited_bps());
  EXPECT_LT(*sim.bwe().loss_limited_bps(), 1.5 * kPolicedBps);
}

TEST(SendSideBwePolicer, AFailedVerifyingProbesLossDoesNotCutTheEstimate) {
  BweLinkSimulator sim;
  lose_then_fit(sim);
  const double before = sim.bwe().estimate_bps();
  // 1.5 Mbit/s for 500 ms into 480 kbit/s: most of the cluster is dropped, media included.
  sim.probe(1'250'000, 500 * kMs, /*verifying=*/true);
  sim.run(1500 * kMs);
  EXPECT_EQ(sim.bwe().last_probe_bps(), 0);
  EXPECT_LT(sim.bwe().loss_fraction(), 0.1) << "the cluster's loss is the probe's, not the media's";
  EXPECT_GE(sim.bwe().estimate_bps(), 0.95 * before);
}
