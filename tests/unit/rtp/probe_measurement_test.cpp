// A probe cluster's measured rate: the lower of its send and receive rates, none before its last
// packet is reported, zero when too few arrived or too many were lost.
#include "rtp/probe_measurement.h"

#include <gtest/gtest.h>

namespace sfu::rtp {
namespace {

TEST(ProbeMeasurement, TheLowerOfSendAndReceiveRate) {
  ProbeMeasurement probe;
  probe.start(100);
  probe.end(109);
  // 10 packets of 1,000 bytes sent 1 ms apart (8 Mbit/s), arriving 2 ms apart (4 Mbit/s).
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(probe.take_result());
    probe.on_acknowledged(100 + i, 1000 * i, 5000 + 2000 * i, 1000);
  }
  auto result = probe.take_result();
  ASSERT_TRUE(result);
  EXPECT_NEAR(*result, 9 * 8000.0 * 1e6 / 18000.0, 1.0);  // 4 Mbit/s
  EXPECT_FALSE(probe.active());
}

TEST(ProbeMeasurement, PacketsOutsideTheClusterDoNotCount) {
  ProbeMeasurement probe;
  probe.start(10);
  probe.end(14);
  probe.on_acknowledged(9, 0, 0, 1000000);
  for (int i = 0; i < 5; ++i) probe.on_acknowledged(10 + i, 1000 * i, 1000 * i, 500);
  probe.on_acknowledged(15, 0, 100000, 1000000);
  auto result = probe.take_result();
  ASSERT_TRUE(result);
  EXPECT_NEAR(*result, 4 * 500 * 8.0 * 1e6 / 4000.0, 1.0);
}

TEST(ProbeMeasurement, LossOrTooFewPacketsGiveZero) {
  ProbeMeasurement probe;
  probe.start(0);
  probe.end(9);
  for (int i = 0; i < 6; ++i) probe.on_acknowledged(i, 1000 * i, 1000 * i, 500);
  for (int i = 6; i < 10; ++i) probe.on_lost(i, 500);
  auto result = probe.take_result();
  ASSERT_TRUE(result);
  EXPECT_EQ(*result, 0.0);
  probe.start(20);
  probe.end(22);
  for (int i = 0; i < 3; ++i) probe.on_acknowledged(20 + i, 1000 * i, 1000 * i, 500);
  EXPECT_EQ(probe.take_result(), 0.0);
}

TEST(ProbeMeasurement, LossIsCountedInBytesAndAVerifyingClusterToleratesLess) {
  // 20 packets of 500 bytes arrive, 3 of 1200 bytes are lost: 13 % of the packets (a probe
  // would pass on that) but 26 % of the bytes.
  ProbeMeasurement probe;
  probe.start(0);
  probe.end(22);
  for (int i = 0; i < 20; ++i) probe.on_acknowledged(i, 1000 * i, 1000 * i, 500);
  for (int i = 20; i < 23; ++i) probe.on_lost(i, 1200);
  EXPECT_EQ(probe.take_result(), 0.0);
  // 1 of 1200 bytes lost: 10.7 %; a short cluster passes, a verifying one does not.
  for (bool verifying : {false, true}) {
    probe.start(100, verifying);
    probe.end(120);
    for (int i = 0; i < 20; ++i) probe.on_acknowledged(100 + i, 1000 * i, 1000 * i, 500);
    probe.on_lost(120, 1200);
    auto result = probe.take_result();
    ASSERT_TRUE(result);
    if (verifying)
      EXPECT_EQ(*result, 0.0);
    else
      EXPECT_GT(*result, 0.0);
  }
}

TEST(ProbeMeasurement, AnEmptyClusterEnds) {
  ProbeMeasurement probe;
  probe.start(50);
  probe.end(49);
  EXPECT_FALSE(probe.active());
}

}  // namespace
}  // namespace sfu::rtp
