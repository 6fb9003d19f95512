// Tests for rtp/nack_generator.h, with a fake clock.

#include "rtp/nack_generator.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace sfu::rtp {
namespace {

using Seqs = std::vector<uint16_t>;

Seqs collect(NackGenerator& nack, uint64_t now_ms, uint32_t rtt_ms = 0, size_t max = 1000) {
  std::vector<uint16_t> out(max);
  const size_t n = nack.collect(now_ms, rtt_ms, out);
  out.resize(n);
  return out;
}

void feed(NackGenerator& nack, uint32_t first, uint32_t end, uint64_t now_ms) {
  for (uint32_t seq = first; seq < end; ++seq) nack.on_packet(static_cast<uint16_t>(seq), now_ms);
}

NackGenerator::Config immediate_config() {
  NackGenerator::Config config;
  config.reorder_delay_ms = 0;
  return config;
}

TEST(NackGeneratorTest, InOrderStreamHasNothingMissing) {
  NackGenerator nack;
  feed(nack, 100, 200, 0);
  EXPECT_EQ(nack.missing_count(), 0u);
  EXPECT_TRUE(collect(nack, 1000).empty());
  EXPECT_FALSE(nack.keyframe_needed());
}

TEST(NackGeneratorTest, GapIsNackedAfterTheReorderDelay) {
  NackGenerator nack;
  nack.on_packet(0, 1000);
  nack.on_packet(1, 1000);
  nack.on_packet(5, 1000);
  EXPECT_EQ(nack.missing_count(), 3u);
  EXPECT_TRUE(collect(nack, 1000).empty());
  EXPECT_TRUE(collect(nack, 1004).empty());
  EXPECT_EQ(collect(nack, 1005), (Seqs{2, 3, 4}));
  EXPECT_EQ(nack.nacks_sent(), 3u);
}

TEST(NackGeneratorTest, ZeroReorderDelayNacksAtOnce) {
  NackGenerator nack(immediate_config());
  nack.on_packet(10, 0);
  nack.on_packet(12, 0);
  EXPECT_EQ(collect(nack, 0), (Seqs{11}));
}

TEST(NackGeneratorTest, ReorderedPacketWithinTheDelayIsNeverNacked) {
  NackGenerator nack;
  nack.on_packet(0, 0);
  nack.on_packet(2, 0);
  nack.on_packet(1, 2);
  EXPECT_EQ(nack.recovered(), 1u);
  EXPECT_EQ(nack.missing_count(), 0u);
  EXPECT_TRUE(collect(nack, 100).empty());
}

TEST(NackGeneratorTest, RecoveredPacketIsRemoved) {
  NackGenerator nack(immediate_config());
  nack.on_packet(0, 0);
  nack.on_packet(5, 0);
  EXPECT_EQ(collect(nack, 0), (Seqs{1, 2, 3, 4}));
  nack.on_packet(3, 30);  // the retransmission
  nack.on_packet(1, 30);
  EXPECT_EQ(nack.recovered(), 2u);
  EXPECT_EQ(nack.missing_count(), 2u);
  EXPECT_EQ(collect(nack, 40), (Seqs{2, 4}));
  // A second copy is not recovered twice, nor is a packet that was never missing.
  nack.on_packet(3, 50);
  nack.on_packet(0, 50);
  EXPECT_EQ(nack.recovered(), 2u);
}

TEST(NackGeneratorTest, RetriesAreSpacedByRtt) {
  NackGenerator nack(immediate_config());
  nack.on_packet(0, 0);
  nack.on_packet(2, 0);
  EXPECT_EQ(collect(nack, 0, 100), (Seqs{1}));
  EXPECT_TRUE(collect(nack, 50, 100).empty());
  EXPECT_TRUE(collect(nack, 99, 100).empty());
  EXPECT_EQ(collect(nack, 100, 100), (Seqs{1}));
  // Spacing follows the RTT given at the time of sending.
  EXPECT_EQ(collect(nack, 100 + 250, 250), (Seqs{1}));
  EXPECT_TRUE(collect(nack, 100 + 250 + 249, 250).empty());
  EXPECT_EQ(collect(nack, 100 + 250 + 250, 250), (Seqs{1}));
}

TEST(NackGeneratorTest, RetrySpacingHasAFloor) {
  NackGenerator nack(immediate_config());
  nack.on_packet(0, 0);
  nack.on_packet(2, 0);
  EXPECT_EQ(collect(nack, 0, 5), (Seqs{1}));
  EXPECT_TRUE(collect(nack, 19, 5).empty());  // max(5, 20) = 20
  EXPECT_EQ(collect(nack, 20, 5), (Seqs{1}));
  EXPECT_TRUE(collect(nack, 39, 0).empty());
  EXPECT_EQ(collect(nack, 40, 0), (Seqs{1}));
}

TEST(NackGeneratorTest, GivesUpAfterMaxRetries) {
  NackGenerator nack(immediate_config());
  nack.on_packet(0, 0);
  nack.on_packet(2, 0);
  uint64_t now = 0;
  for (int i = 0; i < 10; ++i, now += 20) {
    EXPECT_EQ(collect(nack, now, 20), (Seqs{1})) << "attempt " << i;
  }
  EXPECT_EQ(nack.nacks_sent(), 10u);
  EXPECT_EQ(nack.given_up(), 0u);
  EXPECT_EQ(nack.missing_count(), 1u);
  // The 11th would be due now: dropped instead.
  EXPECT_TRUE(collect(nack, now, 20).empty());
  EXPECT_EQ(nack.given_up(), 1u);
  EXPECT_EQ(nack.missing_count(), 0u);
  EXPECT_TRUE(collect(nack, now + 1000, 20).empty());
  // It arriving after all is not a recovery of anything missing.
  nack.on_packet(1, now + 1000);
  EXPECT_EQ(nack.recovered(), 0u);
}

TEST(NackGeneratorTest, ConfiguredRetriesAndIndependentSchedules) {
  NackGenerator::Config config = immediate_config();
  config.max_retries = 2;
  NackGenerator nack(config);
  nack.on_packet(0, 0);
  nack.on_packet(2, 0);  // 1 missing from t=0
  EXPECT_EQ(collect(nack, 0, 20), (Seqs{1}));
  nack.on_packet(4, 10);  // 3 missing from t=10
  EXPECT_EQ(collect(nack, 10, 20), (Seqs{3}));
  EXPECT_EQ(collect(nack, 20, 20), (Seqs{1}));
  EXPECT_EQ(collect(nack, 30, 20), (Seqs{3}));
  EXPECT_TRUE(collect(nack, 40, 20).empty());
  EXPECT_EQ(nack.given_up(), 1u);
  EXPECT_EQ(nack.missing_count(), 1u);
  EXPECT_TRUE(collect(nack, 50, 20).empty());
  EXPECT_EQ(nack.given_up(), 2u);
}

TEST(NackGeneratorTest, GapAcrossTheWrap) {
  NackGenerator nack(immediate_config());
  nack.on_packet(65533, 0);
  nack.on_packet(2, 0);
  EXPECT_EQ(collect(nack, 0), (Seqs{65534, 65535, 0, 1}));
  nack.on_packet(65535, 5);
  nack.on_packet(0, 5);
  EXPECT_EQ(nack.recovered(), 2u);
  EXPECT_EQ(collect(nack, 20), (Seqs{65534, 1}));
}

TEST(NackGeneratorTest, LongStreamWrapsManyTimes) {
  NackGenerator nack(immediate_config());
  // Lose every 1000th packet over three cycles and recover each at once.
  uint64_t now = 0;
  for (uint32_t i = 0; i < 3 * 65536; ++i) {
    if (i % 1000 == 999) continue;
    nack.on_packet(static_cast<uint16_t>(i), now);
    if (i % 1000 == 0 && i > 0) {
      EXPECT_EQ(collect(nack, now), (Seqs{static_cast<uint16_t>(i - 1)})) << i;
      nack.on_packet(static_cast<uint16_t>(i - 1), now);
    }
    ++now;
  }
  EXPECT_EQ(nack.missing_count(), 0u);
  EXPECT_EQ(nack.recovered(), 196u);
}

TEST(NackGeneratorTest, GapLargerThanMaxGapAsksForAKeyframe) {
  NackGenerator nack(immediate_config());
  nack.on_packet(0, 0);
  nack.on_packet(501, 0);  // 500 missing: still fine
  EXPECT_EQ(nack.missing_count(), 500u);
  EXPECT_FALSE(nack.keyframe_needed());

  NackGenerator nack2(immediate_config());
  nack2.on_packet(0, 0);
  nack2.on_packet(3, 0);
  nack2.on_packet(505, 0);  // 501 missing
  EXPECT_TRUE(nack2.keyframe_needed());
  EXPECT_EQ(nack2.missing_count(), 0u);  // the earlier 1 and 2 are dropped too
  EXPECT_EQ(nack2.overflows(), 1u);
  EXPECT_TRUE(collect(nack2, 0).empty());
  // It stays set until cleared, and the stream continues from 505.
  nack2.on_packet(507, 0);
  EXPECT_TRUE(nack2.keyframe_needed());
  nack2.clear_keyframe_needed();
  EXPECT_FALSE(nack2.keyframe_needed());
  EXPECT_EQ(collect(nack2, 0), (Seqs{506}));
}

TEST(NackGeneratorTest, TooManyMissingAsksForAKeyframe) {
  NackGenerator::Config config = immediate_config();
  config.max_missing = 10;
  config.max_gap = 8;
  NackGenerator nack(config);
  nack.on_packet(0, 0);
  nack.on_packet(5, 0);   // 1..4
  nack.on_packet(10, 0);  // 6..9: 8 missing
  EXPECT_EQ(nack.missing_count(), 8u);
  nack.on_packet(13, 0);  // 11, 12: exactly 10
  EXPECT_EQ(nack.missing_count(), 10u);
  EXPECT_FALSE(nack.keyframe_needed());
  nack.on_packet(15, 0);  // 14: 11 > 10
  EXPECT_TRUE(nack.keyframe_needed());
  EXPECT_EQ(nack.missing_count(), 0u);
  nack.on_packet(17, 0);
  EXPECT_EQ(collect(nack, 0), (Seqs{16}));
}

TEST(NackGeneratorTest, RecoveredEntriesFreeCapacity) {
  NackGenerator::Config config = immediate_config();
  config.max_missing = 10;
  NackGenerator nack(config);
  nack.on_packet(0, 0);
  nack.on_packet(9, 0);                                            // 1..8 missing
  for (uint16_t seq = 2; seq <= 7; ++seq) nack.on_packet(seq, 0);  // recover the middle
  EXPECT_EQ(nack.missing_count(), 2u);
  nack.on_packet(15, 0);  // 10..14: 7 missing, fits once the recovered slots are reused
  EXPECT_FALSE(nack.keyframe_needed());
  EXPECT_EQ(nack.missing_count(), 7u);
  EXPECT_EQ(collect(nack, 0), (Seqs{1, 8, 10, 11, 12, 13, 14}));
  // Ring positions are reused many times over (recovered entries behind live ones are compacted
  // away) without losing order.
  for (uint32_t round = 0; round < 50; ++round) {
    const uint32_t base = 16 + round * 4;
    nack.on_packet(static_cast<uint16_t>(base), 10 + round);
    nack.on_packet(static_cast<uint16_t>(base + 3), 10 + round);
    nack.on_packet(static_cast<uint16_t>(base + 1), 10 + round);
    nack.on_packet(static_cast<uint16_t>(base + 2), 10 + round);
  }
  EXPECT_FALSE(nack.keyframe_needed());
  EXPECT_EQ(nack.missing_count(), 7u);
  EXPECT_EQ(nack.recovered(), 6u + 100u);
  EXPECT_EQ(collect(nack, 10000), (Seqs{1, 8, 10, 11, 12, 13, 14}));
}

TEST(NackGeneratorTest, OutBufferSmallerThanTheMissingList) {
  NackGenerator nack(immediate_config());
  nack.on_packet(0, 0);
  nack.on_packet(21, 0);  // 1..20 missing
  std::array<uint16_t, 8> out{};
  ASSERT_EQ(nack.collect(0, 100, out), 8u);
  EXPECT_EQ(Seqs(out.begin(), out.end()), (Seqs{1, 2, 3, 4, 5, 6, 7, 8}));
  // The rest are still due and come next, oldest first.
  ASSERT_EQ(nack.collect(1, 100, out), 8u);
  EXPECT_EQ(Seqs(out.begin(), out.end()), (Seqs{9, 10, 11, 12, 13, 14, 15, 16}));
  ASSERT_EQ(nack.collect(2, 100, out), 4u);
  EXPECT_EQ(Seqs(out.begin(), out.begin() + 4), (Seqs{17, 18, 19, 20}));
  EXPECT_EQ(nack.collect(3, 100, out), 0u);
  EXPECT_EQ(nack.nacks_sent(), 20u);
  // An empty buffer returns nothing and loses nothing.
  EXPECT_EQ(nack.collect(100, 100, std::span<uint16_t>()), 0u);
  EXPECT_EQ(collect(nack, 100, 100).size(), 8u);  // 1..8 sent at t=0, due at t=100
}

TEST(NackGeneratorTest, EmptyOutBufferStillGivesUp) {
  NackGenerator::Config config = immediate_config();
  config.max_retries = 1;
  NackGenerator nack(config);
  nack.on_packet(0, 0);
  nack.on_packet(2, 0);
  EXPECT_EQ(collect(nack, 0), (Seqs{1}));
  EXPECT_EQ(nack.collect(20, 0, std::span<uint16_t>()), 0u);
  EXPECT_EQ(nack.given_up(), 1u);
}

TEST(NackGeneratorTest, DuplicateOfNewestIsIgnored) {
  NackGenerator nack(immediate_config());
  nack.on_packet(5, 0);
  nack.on_packet(5, 0);
  nack.on_packet(6, 0);
  EXPECT_EQ(nack.missing_count(), 0u);
}

TEST(NackGeneratorTest, SourceRestartFarBack) {
  NackGenerator nack(immediate_config());
  feed(nack, 20000, 20011, 0);
  nack.on_packet(20012, 0);  // 20011 missing
  nack.on_packet(1000, 1);   // far behind, not a missing packet: a restart candidate
  EXPECT_EQ(nack.missing_count(), 1u);
  nack.on_packet(1001, 2);  // confirmed
  EXPECT_EQ(nack.restarts(), 1u);
  EXPECT_EQ(nack.missing_count(), 0u);
  EXPECT_FALSE(nack.keyframe_needed());
  nack.on_packet(1004, 3);
  EXPECT_EQ(collect(nack, 3), (Seqs{1002, 1003}));
}

TEST(NackGeneratorTest, StrayOldPacketsDoNotRestart) {
  NackGenerator nack(immediate_config());
  feed(nack, 20000, 20010, 0);
  nack.on_packet(1000, 0);
  nack.on_packet(20010, 0);
  nack.on_packet(5000, 0);
  nack.on_packet(1000, 0);
  // Within the restart distance, two in a row are just late duplicates.
  nack.on_packet(18000, 0);
  nack.on_packet(18001, 0);
  EXPECT_EQ(nack.restarts(), 0u);
  nack.on_packet(20012, 0);
  EXPECT_EQ(collect(nack, 0), (Seqs{20011}));
}

TEST(NackGeneratorTest, ResetStartsAfresh) {
  NackGenerator nack(immediate_config());
  nack.on_packet(0, 0);
  nack.on_packet(3, 0);
  nack.reset();
  EXPECT_EQ(nack.missing_count(), 0u);
  nack.on_packet(40000, 0);
  nack.on_packet(40002, 0);
  EXPECT_EQ(collect(nack, 0), (Seqs{40001}));
}

}  // namespace
}  // namespace sfu::rtp
