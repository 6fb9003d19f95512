// Tests for rtp/receive_statistics.h. Expected values are worked out by hand from RFC 3550
// section 6.4.1 and appendices A.3 and A.8; the arithmetic is shown next to each.

#include "rtp/receive_statistics.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>

#include "rtp/rtcp_builder.h"

namespace sfu::rtp {
namespace {

constexpr uint32_t kVideoClock = 90000;
constexpr uint32_t kSsrc = 0x11223344;

// Feeds packets with a 30 ms frame interval (2700 ticks at 90 kHz) and constant transit.
void feed(ReceiveStatistics& stats, std::initializer_list<uint16_t> seqs, size_t bytes = 100) {
  for (const uint16_t seq : seqs) stats.on_packet(seq, 2700u * seq, 30u * seq, bytes);
}
void feed_range(ReceiveStatistics& stats, uint32_t first, uint32_t end, size_t bytes = 100) {
  for (uint32_t i = first; i < end; ++i) {
    const auto seq = static_cast<uint16_t>(i);
    stats.on_packet(seq, 2700u * i, 30u * i, bytes);
  }
}

TEST(ReceiveStatisticsTest, ReportBeforeAnyPacket) {
  ReceiveStatistics stats(kVideoClock);
  const ReportBlock block = stats.make_report_block(kSsrc, 1000);
  EXPECT_EQ(block, ReportBlock{.ssrc = kSsrc});
  EXPECT_EQ(stats.packets_received(), 0u);
  EXPECT_EQ(stats.cumulative_lost(), 0);
  EXPECT_EQ(stats.extended_highest_sequence(), 0u);
}

TEST(ReceiveStatisticsTest, InOrderStream) {
  ReceiveStatistics stats(kVideoClock);
  feed_range(stats, 1000, 1100, 1200);
  EXPECT_EQ(stats.packets_received(), 100u);
  EXPECT_EQ(stats.bytes_received(), 120000u);
  EXPECT_EQ(stats.cumulative_lost(), 0);
  const ReportBlock block = stats.make_report_block(kSsrc, 5000);
  EXPECT_EQ(block.ssrc, kSsrc);
  EXPECT_EQ(block.fraction_lost, 0);
  EXPECT_EQ(block.cumulative_lost, 0);
  EXPECT_EQ(block.extended_highest_sequence, 1099u);
  EXPECT_EQ(block.jitter, 0u);
  EXPECT_EQ(block.last_sr, 0u);
  EXPECT_EQ(block.delay_since_last_sr, 0u);
}

TEST(ReceiveStatisticsTest, GapOfFive) {
  ReceiveStatistics stats(kVideoClock);
  feed_range(stats, 0, 10);
  feed_range(stats, 15, 20);  // 10..14 lost
  EXPECT_EQ(stats.packets_received(), 15u);
  EXPECT_EQ(stats.cumulative_lost(), 5);
  // expected 20, lost 5: fraction = 5 * 256 / 20 = 64.
  ReportBlock block = stats.make_report_block(kSsrc, 1000);
  EXPECT_EQ(block.fraction_lost, 64);
  EXPECT_EQ(block.cumulative_lost, 5);
  EXPECT_EQ(block.extended_highest_sequence, 19u);

  // The next interval has no loss: fraction goes back to 0, the cumulative count stays.
  feed_range(stats, 20, 40);
  block = stats.make_report_block(kSsrc, 2000);
  EXPECT_EQ(block.fraction_lost, 0);
  EXPECT_EQ(block.cumulative_lost, 5);
  EXPECT_EQ(block.extended_highest_sequence, 39u);
}

TEST(ReceiveStatisticsTest, FractionLostCoversOnlyTheLastInterval) {
  ReceiveStatistics stats(kVideoClock);
  feed_range(stats, 0, 10);
  EXPECT_EQ(stats.make_report_block(kSsrc, 0).fraction_lost, 0);
  // Interval: 10..49 expected (40), 10 lost (20..29): 10 * 256 / 40 = 64.
  feed_range(stats, 10, 20);
  feed_range(stats, 30, 50);
  ReportBlock block = stats.make_report_block(kSsrc, 0);
  EXPECT_EQ(block.fraction_lost, 64);
  EXPECT_EQ(block.cumulative_lost, 10);
  // Interval: 50..52 expected (3), 1 lost (51): 256 / 3 = 85.
  feed(stats, {50, 52});
  block = stats.make_report_block(kSsrc, 0);
  EXPECT_EQ(block.fraction_lost, 85);
  EXPECT_EQ(block.cumulative_lost, 11);
  // An interval with no packets at all: 0.
  EXPECT_EQ(stats.make_report_block(kSsrc, 0).fraction_lost, 0);
}

TEST(ReceiveStatisticsTest, DuplicatesAreNotCounted) {
  ReceiveStatistics stats(kVideoClock);
  feed_range(stats, 0, 10);
  feed(stats, {5, 9, 0, 5});  // retransmitted or duplicated by the network
  EXPECT_EQ(stats.packets_received(), 10u);
  EXPECT_EQ(stats.bytes_received(), 1000u);
  EXPECT_EQ(stats.duplicates(), 4u);
  EXPECT_EQ(stats.cumulative_lost(), 0);
  const ReportBlock block = stats.make_report_block(kSsrc, 0);
  EXPECT_EQ(block.cumulative_lost, 0);
  EXPECT_EQ(block.fraction_lost, 0);
}

TEST(ReceiveStatisticsTest, RetransmissionOfLostPacketRecoversIt) {
  ReceiveStatistics stats(kVideoClock);
  feed(stats, {0, 1, 3, 4});
  EXPECT_EQ(stats.cumulative_lost(), 1);
  // 5 expected, 1 lost: 256 / 5 = 51.
  EXPECT_EQ(stats.make_report_block(kSsrc, 0).fraction_lost, 51);
  feed(stats, {2, 2, 5});  // the retransmission, a second copy of it, then the next packet
  EXPECT_EQ(stats.packets_received(), 6u);
  EXPECT_EQ(stats.cumulative_lost(), 0);
  // Interval: expected 1 more, received 2 more: lost -1, reported as fraction 0.
  const ReportBlock block = stats.make_report_block(kSsrc, 0);
  EXPECT_EQ(block.fraction_lost, 0);
  EXPECT_EQ(block.cumulative_lost, 0);
  EXPECT_EQ(block.extended_highest_sequence, 5u);
}

TEST(ReceiveStatisticsTest, Reordering) {
  ReceiveStatistics stats(kVideoClock);
  feed(stats, {0, 2, 1, 4, 3, 6, 5});
  EXPECT_EQ(stats.packets_received(), 7u);
  EXPECT_EQ(stats.cumulative_lost(), 0);
  EXPECT_EQ(stats.extended_highest_sequence(), 6u);
}

TEST(ReceiveStatisticsTest, PacketOlderThanTheFirstOneMovesTheBase) {
  ReceiveStatistics stats(kVideoClock);
  feed(stats, {10, 11, 12, 8});
  // Expected 8..12 (5), received 4: 9 is lost, 8 is not a negative loss.
  EXPECT_EQ(stats.cumulative_lost(), 1);
  EXPECT_EQ(stats.extended_highest_sequence(), 12u);
  feed(stats, {9});
  EXPECT_EQ(stats.cumulative_lost(), 0);
}

TEST(ReceiveStatisticsTest, WrapAroundAt65535) {
  ReceiveStatistics stats(kVideoClock);
  feed_range(stats, 65530, 65536 + 10);  // 65530..65535, 0..9
  EXPECT_EQ(stats.packets_received(), 16u);
  EXPECT_EQ(stats.cumulative_lost(), 0);
  // One cycle: (1 << 16) | 9.
  EXPECT_EQ(stats.extended_highest_sequence(), 0x10009u);
  EXPECT_EQ(stats.make_report_block(kSsrc, 0).extended_highest_sequence, 0x10009u);
}

TEST(ReceiveStatisticsTest, GapAcrossTheWrap) {
  ReceiveStatistics stats(kVideoClock);
  feed(stats, {65533, 65534});
  feed(stats, {2});  // 65535, 0, 1 lost
  EXPECT_EQ(stats.cumulative_lost(), 3);
  EXPECT_EQ(stats.extended_highest_sequence(), 0x10002u);
  feed(stats, {0});  // a late one, from the new cycle
  EXPECT_EQ(stats.cumulative_lost(), 2);
  // 6 expected (65533..2), 4 received: 2 * 256 / 6 = 85.
  EXPECT_EQ(stats.make_report_block(kSsrc, 0).fraction_lost, 85);
}

TEST(ReceiveStatisticsTest, ManyCycles) {
  ReceiveStatistics stats(kVideoClock);
  feed_range(stats, 0, 3 * 65536 + 5);
  EXPECT_EQ(stats.extended_highest_sequence(), 0x30004u);
  EXPECT_EQ(stats.cumulative_lost(), 0);
  EXPECT_EQ(stats.packets_received(), 3u * 65536 + 5);
}

TEST(ReceiveStatisticsTest, LateRetransmissionWithinMisorderLimitIsCounted) {
  ReceiveStatistics stats(kVideoClock);
  feed_range(stats, 0, 10);
  feed_range(stats, 11, 2000);  // 10 lost
  EXPECT_EQ(stats.cumulative_lost(), 1);
  // 10 is 1989 behind: more than kMaxMisorder (1000), so it is taken as a possible restart.
  feed(stats, {10});
  EXPECT_EQ(stats.cumulative_lost(), 1);

  ReceiveStatistics stats2(kVideoClock);
  feed_range(stats2, 0, 10);
  feed_range(stats2, 11, 1011);  // highest 1010; 10 is exactly 1000 behind
  feed(stats2, {10});
  EXPECT_EQ(stats2.cumulative_lost(), 0);
  EXPECT_EQ(stats2.packets_received(), 1011u);
}

TEST(ReceiveStatisticsTest, StrayPacketFarAwayIsIgnored) {
  ReceiveStatistics stats(kVideoClock);
  feed_range(stats, 100, 200);
  stats.on_packet(40000, 123456, 6000, 100);  // garbage, not followed by 40001
  feed_range(stats, 200, 210);
  EXPECT_EQ(stats.packets_received(), 110u);
  EXPECT_EQ(stats.bytes_received(), 11000u);
  EXPECT_EQ(stats.cumulative_lost(), 0);
  EXPECT_EQ(stats.extended_highest_sequence(), 209u);
  EXPECT_EQ(stats.restarts(), 0u);
}

TEST(ReceiveStatisticsTest, SourceRestartIsConfirmedByTheNextPacket) {
  ReceiveStatistics stats(kVideoClock);
  feed_range(stats, 100, 200);
  stats.on_packet(40000, 0, 6000, 50);
  stats.on_packet(40001, 0, 6010, 60);
  stats.on_packet(40002, 0, 6020, 70);
  EXPECT_EQ(stats.restarts(), 1u);
  EXPECT_EQ(stats.packets_received(), 103u);
  EXPECT_EQ(stats.bytes_received(), 10000u + 50 + 60 + 70);
  EXPECT_EQ(stats.cumulative_lost(), 0);  // the skipped range is not loss
  EXPECT_EQ(stats.extended_highest_sequence(), 40002u);
  EXPECT_EQ(stats.make_report_block(kSsrc, 0).fraction_lost, 0);
  // Loss after the restart is counted from there.
  stats.on_packet(40004, 0, 6040, 70);
  EXPECT_EQ(stats.cumulative_lost(), 1);
}

TEST(ReceiveStatisticsTest, SourceRestartBackwardsKeepsExtendedNumberGrowing) {
  ReceiveStatistics stats(kVideoClock);
  feed_range(stats, 30000, 30010);
  stats.on_packet(5, 0, 1000, 10);
  stats.on_packet(6, 0, 1010, 10);
  EXPECT_EQ(stats.restarts(), 1u);
  // Forward from 30009 to 6 wraps once: the low 16 bits are the sender's, cycles went up.
  EXPECT_EQ(stats.extended_highest_sequence(), 0x10006u);
  EXPECT_EQ(stats.cumulative_lost(), 0);
  EXPECT_EQ(stats.packets_received(), 12u);
  stats.on_packet(5, 0, 1020, 10);  // duplicate of the new run
  EXPECT_EQ(stats.duplicates(), 1u);
  EXPECT_EQ(stats.cumulative_lost(), 0);
}

TEST(ReceiveStatisticsTest, CumulativeLostIsClampedTo24Bits) {
  ReceiveStatistics stats(kVideoClock);
  // Each step of 2999 loses 2998 packets (under kMaxDropout, so not a restart).
  uint32_t seq = 0;
  for (int i = 0; i < 2900; ++i, seq += 2999) stats.on_packet(static_cast<uint16_t>(seq), 0, 0, 1);
  EXPECT_EQ(stats.cumulative_lost(), 2899 * 2998);  // 8691302 > 0x7FFFFF
  EXPECT_EQ(stats.make_report_block(kSsrc, 0).cumulative_lost, 0x7FFFFF);
  // Fraction for the interval: 8691302 * 256 / 8694201 = 255.91 -> 255.
}

TEST(ReceiveStatisticsTest, JitterIsZeroForConstantTransit) {
  ReceiveStatistics stats(kVideoClock);
  for (uint32_t i = 0; i < 50; ++i)
    stats.on_packet(static_cast<uint16_t>(i), 1000 + 2700 * i, 77 + 30 * i, 100);
  EXPECT_EQ(stats.jitter(), 0u);
  EXPECT_EQ(stats.jitter_ms(), 0.0);
  EXPECT_EQ(stats.make_report_block(kSsrc, 0).jitter, 0u);
}

TEST(ReceiveStatisticsTest, JitterForVaryingTransit) {
  ReceiveStatistics stats(kVideoClock);
  // 30 ms frames (2700 ticks); arrivals at 0, 40, 60 ms: transit 0, 900, 0 ticks.
  stats.on_packet(0, 0, 0, 100);
  stats.on_packet(1, 2700, 40, 100);
  // D = 900: J(scaled by 16) = 0 + 900 - ((0 + 8) >> 4) = 900; reported 900 >> 4 = 56.
  EXPECT_EQ(stats.jitter(), 56u);
  stats.on_packet(2, 5400, 60, 100);
  // D = 900: J = 900 + 900 - ((900 + 8) >> 4) = 1800 - 56 = 1744; reported 1744 >> 4 = 109.
  EXPECT_EQ(stats.jitter(), 109u);
  EXPECT_NEAR(stats.jitter_ms(), 1744.0 / 16 / 90, 1e-9);  // 1.2111 ms
  EXPECT_EQ(stats.make_report_block(kSsrc, 0).jitter, 109u);
}

TEST(ReceiveStatisticsTest, JitterConvergesToTheMeanDeviation) {
  ReceiveStatistics stats(48000);
  // Audio, 20 ms frames of 960 ticks, alternately 10 ms late: |D| = 480 ticks every packet, so
  // J converges to 480 (10 ms).
  for (uint32_t i = 0; i < 2000; ++i) {
    stats.on_packet(static_cast<uint16_t>(i), 960 * i, 20 * i + (i % 2) * 10, 100);
  }
  EXPECT_NEAR(static_cast<double>(stats.jitter()), 480.0, 1.0);
  EXPECT_NEAR(stats.jitter_ms(), 10.0, 0.05);
}

TEST(ReceiveStatisticsTest, JitterIgnoresPacketsOfTheSameFrameAndLatePackets) {
  ReceiveStatistics stats(kVideoClock);
  // One frame in three packets paced out over 10 ms, then the next frame on time.
  stats.on_packet(0, 0, 0, 1000);
  stats.on_packet(1, 0, 5, 1000);
  stats.on_packet(2, 0, 10, 1000);
  stats.on_packet(4, 2700, 30, 1000);
  EXPECT_EQ(stats.jitter(), 0u);
  // 3 is retransmitted 100 ms late: recovery delay, not network jitter.
  stats.on_packet(3, 2700, 130, 1000);
  EXPECT_EQ(stats.jitter(), 0u);
  stats.on_packet(5, 5400, 60, 1000);
  EXPECT_EQ(stats.jitter(), 0u);
}

TEST(ReceiveStatisticsTest, JitterAcrossTimestampWrap) {
  ReceiveStatistics stats(kVideoClock);
  const uint32_t start = 0xFFFFFFFFu - 2 * 2700;
  for (uint32_t i = 0; i < 6; ++i) {
    stats.on_packet(static_cast<uint16_t>(i), start + 2700 * i, 1'700'000'000'000ull + 30 * i, 100);
  }
  EXPECT_EQ(stats.jitter(), 0u);
}

TEST(ReceiveStatisticsTest, LastSrAndDelaySinceLastSr) {
  ReceiveStatistics stats(kVideoClock);
  feed_range(stats, 0, 5);
  stats.on_sender_report(0xAABBCCDDEEFF0011ull, 10'000);
  ReportBlock block = stats.make_report_block(kSsrc, 10'500);
  EXPECT_EQ(block.last_sr, 0xCCDDEEFFu);         // the middle 32 bits
  EXPECT_EQ(block.delay_since_last_sr, 32768u);  // 0.5 s in 1/65536 s
  block = stats.make_report_block(kSsrc, 12'250);
  EXPECT_EQ(block.delay_since_last_sr, 147456u);  // 2.25 * 65536
  // 1 ms is 65.536 units, truncated.
  EXPECT_EQ(stats.make_report_block(kSsrc, 10'001).delay_since_last_sr, 65u);
  // A newer SR replaces the old one.
  stats.on_sender_report(0x0000123456780000ull, 20'000);
  block = stats.make_report_block(kSsrc, 20'000);
  EXPECT_EQ(block.last_sr, 0x12345678u);
  EXPECT_EQ(block.delay_since_last_sr, 0u);
}

TEST(ReceiveStatisticsTest, ReportBlockEncodesIntoAReceiverReport) {
  ReceiveStatistics stats(kVideoClock);
  feed_range(stats, 0, 10);
  feed_range(stats, 15, 20);
  stats.on_sender_report(0x0102030405060708ull, 0);
  const ReportBlock block = stats.make_report_block(kSsrc, 1000);
  uint8_t out[64];
  const size_t size = build_receiver_report(0xCAFE, std::span(&block, 1), out);
  ASSERT_EQ(size, 32u);
  EXPECT_EQ(ReportBlock::decode(out + 8), block);
  EXPECT_EQ(block.delay_since_last_sr, 65536u);
}

}  // namespace
}  // namespace sfu::rtp
