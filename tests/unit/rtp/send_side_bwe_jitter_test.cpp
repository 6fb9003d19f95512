// The send-side estimator under scheduling jitter (bwe_link_simulator.h, Jitter), as on a loaded
// machine: the sender's loop stalls for 0-20 ms now and then, and what it queued meanwhile leaves
// in one burst when it runs again; the receiver's loop stalls likewise and stamps what arrived
// meanwhile with its wake time; arrivals get a little noise. On a path with no limit none of this
// is a queue: the estimate must keep rising to what the sender sends, with no over-use (the packet
// grouping of inter_arrival_delta.h merges what arrives in one burst, as libwebrtc's does). The
// sender's stalls are given to the estimator as the packets' real send times, as the SFU records
// them since it stamps them at the socket's flush (transport_bandwidth_estimator.h). A real
// bottleneck under the same jitter must still be found within the bounds of the jitter-free
// traces (send_side_bwe_trace_test.cpp). Simulated time only.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "tests/unit/rtp/bwe_link_simulator.h"

using namespace sfu;
using namespace sfu::rtp;
using sfu::rtp::test::BweLinkSimulator;

namespace {

constexpr int64_t kSecond = 1'000'000;
// Effectively unlimited: far above what the sender ever sends (4 Mbit/s at most).
constexpr double kUnlimitedBps = 100'000'000;

// Stalls like those measured on a loaded 2-core machine: one every 50 ms on average, 0-20 ms long.
void loaded_sender(BweLinkSimulator& sim) {
  sim.jitter().sender_stall_per_ms = 0.02;
  sim.jitter().sender_max_stall_us = 20'000;
}

void loaded_receiver(BweLinkSimulator& sim) {
  sim.jitter().receiver_stall_per_ms = 0.02;
  sim.jitter().receiver_max_stall_us = 20'000;
  sim.jitter().arrival_noise_us = 1'000;
}

// The lowest estimate sampled from `from_us` on.
double lowest(const BweLinkSimulator& sim, int64_t from_us) {
  double low = 1e12;
  for (const auto& s : sim.samples())
    if (s.at_us >= from_us) low = std::min(low, s.estimate_bps);
  return low;
}

void report(const char* trace, BweLinkSimulator& sim, double mean) {
  std::printf("[bwe jitter] %-46s estimate %6.0f kbit/s (lowest after 20 s %6.0f), over-use events %llu\n",
              trace, mean / 1000, lowest(sim, 20 * kSecond) / 1000,
              static_cast<unsigned long long>(sim.bwe().overuse_events()));
}

// What the estimator must conclude on a path with no limit: no over-use, and an estimate at least
// what the sender sends (4 Mbit/s; it may reach 1.5 x that, the rate controller's bound).
void expect_unlimited(BweLinkSimulator& sim, const char* trace) {
  const double mean = sim.mean_estimate(20 * kSecond, 40 * kSecond);
  report(trace, sim, mean);
  EXPECT_EQ(sim.bwe().overuse_events(), 0u);
  EXPECT_GE(mean, 4'000'000);
  EXPECT_GE(lowest(sim, 20 * kSecond), 4'000'000);
}

}  // namespace

TEST(SendSideBweJitter, SenderStallsOnAnUnlimitedPathAreNoQueue) {
  BweLinkSimulator sim(SendSideBwe::Options{}, 3);
  sim.link().capacity_bps = kUnlimitedBps;
  loaded_sender(sim);
  sim.run(40 * kSecond);
  expect_unlimited(sim, "sender stalls 0-20 ms, unlimited, 20-40 s");
}

TEST(SendSideBweJitter, LongSenderStallsOnAnUnlimitedPathAreNoQueue) {
  // The tail measured on the loaded machine: a worker's flush 80-270 ms after it queued a packet
  // (1 % of packets), about once every 2 s here.
  BweLinkSimulator sim(SendSideBwe::Options{}, 8);
  sim.link().capacity_bps = kUnlimitedBps;
  sim.jitter().sender_stall_per_ms = 0.0005;
  sim.jitter().sender_max_stall_us = 270'000;
  sim.run(40 * kSecond);
  expect_unlimited(sim, "sender stalls 0-270 ms, unlimited, 20-40 s");
}

TEST(SendSideBweJitter, ReceiverStallsOnAnUnlimitedPathAreNoQueue) {
  BweLinkSimulator sim(SendSideBwe::Options{}, 4);
  sim.link().capacity_bps = kUnlimitedBps;
  loaded_receiver(sim);
  sim.run(40 * kSecond);
  expect_unlimited(sim, "receiver stalls 0-20 ms, unlimited, 20-40 s");
}

TEST(SendSideBweJitter, BothStallOnAnUnlimitedPath) {
  BweLinkSimulator sim(SendSideBwe::Options{}, 5);
  sim.link().capacity_bps = kUnlimitedBps;
  loaded_sender(sim);
  loaded_receiver(sim);
  sim.run(40 * kSecond);
  expect_unlimited(sim, "both stall, unlimited, 20-40 s");
}

TEST(SendSideBweJitter, StepDownUnderJitterIsStillFound) {
  // The bounds of SendSideBweTrace.StepDownFallsToTheNewCapacityWithinSeconds.
  BweLinkSimulator sim(SendSideBwe::Options{}, 6);
  sim.link().capacity_bps = 2'000'000;
  loaded_sender(sim);
  loaded_receiver(sim);
  sim.run(30 * kSecond);
  sim.link().capacity_bps = 500'000;
  sim.run(20 * kSecond);
  const int64_t settled = sim.settle_time(30 * kSecond, 500'000, 0.25, 3 * kSecond);
  const double after = sim.mean_estimate(35 * kSecond, 50 * kSecond);
  report("both stall, 2 -> 0.5 Mbit/s, 35-50 s", sim, after);
  std::printf("[bwe jitter] step down under jitter: within +-25 %% of 500 kbit/s %.1f s after the step\n",
              settled < 0 ? -1.0 : static_cast<double>(settled - 30 * kSecond) / kSecond);
  ASSERT_GE(settled, 0) << "never settled near 500 kbit/s";
  EXPECT_LE(settled - 30 * kSecond, 3 * kSecond);
  EXPECT_TRUE(BweLinkSimulator::within(after, 500'000, 0.25)) << after;
  EXPECT_GT(sim.bwe().overuse_events(), 0u);  // found by delay, as without jitter
}
