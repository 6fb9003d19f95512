// The pacer's decisions on an injected clock: the rate it lets out over time, its burst allowance,
// what it never holds (audio, padding), retransmissions before video, counted drops on a full
// queue, the flush of a queue held too long, and rate changes.
#include "sfu/media/pacer.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace sfu {
namespace {

constexpr int64_t kMs = 1000;  // microseconds

// A packet whose first byte names it.
std::array<uint8_t, 1000> packet(uint8_t id) {
  std::array<uint8_t, 1000> p{};
  p[0] = id;
  return p;
}

struct Sent {
  std::vector<uint8_t> ids;
  size_t bytes = 0;
};

void drain(Pacer& pacer, int64_t now_us, Sent& sent) {
  pacer.drain(now_us, [&](ByteSpan p) {
    sent.ids.push_back(p[0]);
    sent.bytes += p.size();
  });
}

// Offers one video packet: sent at once (counted in `sent`) or queued.
void offer(Pacer& pacer, MediaClass kind, uint8_t id, int64_t now_us, Sent& sent) {
  auto p = packet(id);
  if (pacer.admit(kind, p.size(), now_us)) {
    sent.ids.push_back(id);
    sent.bytes += p.size();
    return;
  }
  ASSERT_TRUE(pacer.enqueue(kind, ByteSpan(p.data(), p.size()), now_us));
}

TEST(Pacer, DoesNotPaceWithoutAnEstimate) {
  Pacer pacer(PacerOptions{});
  EXPECT_FALSE(pacer.pacing());
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(pacer.admit(MediaClass::kVideo, 1000, 0));
  pacer.set_estimate(400'000, 0);
  EXPECT_TRUE(pacer.pacing());
  EXPECT_DOUBLE_EQ(pacer.pacing_rate_bps(), 1'000'000);  // x2.5
}

TEST(Pacer, SendsAtThePacingRateOverTime) {
  // 400 kbit/s x 2.5 = 1 Mbit/s = 125 bytes/ms; video offered at twice that for 2 s.
  Pacer pacer(PacerOptions{.pacing_factor = 2.5, .queue_packets = 4096, .max_delay_ms = 10'000});
  pacer.set_estimate(400'000, 0);
  Sent sent;
  uint8_t id = 0;
  for (int64_t t = 0; t <= 2000 * kMs; t += 5 * kMs) {
    // 1000 bytes every 5 ms and 1000 more every 20 ms: 250 bytes/ms.
    offer(pacer, MediaClass::kVideo, id++, t, sent);
    if (t % (20 * kMs) == 0) offer(pacer, MediaClass::kVideo, id++, t, sent);
    drain(pacer, t, sent);
  }
  // 2 s at 125 bytes/ms is 250 000 bytes; the burst allowance (40 ms) and one packet of debt more.
  EXPECT_GE(sent.bytes, 245'000u);
  EXPECT_LE(sent.bytes, 250'000u + 5'000u + 1'000u);
  EXPECT_FALSE(pacer.empty());
  EXPECT_EQ(pacer.stats().dropped_packets, 0u);
  EXPECT_EQ(pacer.stats().flushed_packets, 0u);
}

TEST(Pacer, LetsABurstOutAfterIdleThenHoldsBack) {
  Pacer pacer(PacerOptions{});
  pacer.set_estimate(400'000, 0);  // 125 bytes/ms: 40 ms of burst is 5000 bytes
  int admitted = 0;
  const int64_t now = 1000 * kMs;  // idle long enough to save up the whole allowance, no more
  while (pacer.admit(MediaClass::kVideo, 1000, now)) ++admitted;
  EXPECT_EQ(admitted, 5);
  // 8 ms later the budget holds one packet's worth again.
  EXPECT_TRUE(pacer.admit(MediaClass::kVideo, 1000, now + 8 * kMs));
  EXPECT_FALSE(pacer.admit(MediaClass::kVideo, 1000, now + 8 * kMs));
}

TEST(Pacer, NeverHoldsAudioOrPadding) {
  Pacer pacer(PacerOptions{});
  pacer.set_estimate(100'000, 0);
  Sent sent;
  for (uint8_t i = 0; i < 20; ++i) offer(pacer, MediaClass::kVideo, i, 0, sent);
  ASSERT_FALSE(pacer.empty());
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE(pacer.admit(MediaClass::kAudio, 200, 0));
    EXPECT_TRUE(pacer.admit(MediaClass::kPadding, 255, 0));
  }
}

TEST(Pacer, AudioSpendsTheBudgetVideoWaitsForIt) {
  Pacer pacer(PacerOptions{});
  pacer.set_estimate(400'000, 0);
  const int64_t now = 1000 * kMs;
  for (int i = 0; i < 25; ++i) EXPECT_TRUE(pacer.admit(MediaClass::kAudio, 200, now));  // the burst
  EXPECT_FALSE(pacer.admit(MediaClass::kVideo, 1000, now));
}

TEST(Pacer, SendsRetransmissionsBeforeQueuedVideo) {
  Pacer pacer(PacerOptions{});
  pacer.set_estimate(400'000, 0);
  Sent sent;
  const int64_t now = 1000 * kMs;
  for (uint8_t i = 1; i <= 10; ++i) offer(pacer, MediaClass::kVideo, i, now, sent);
  ASSERT_EQ(sent.ids.size(), 5u);  // the burst; 6..10 wait
  offer(pacer, MediaClass::kRetransmission, 100, now, sent);
  offer(pacer, MediaClass::kRetransmission, 101, now, sent);
  ASSERT_EQ(pacer.queued_packets(), 7u);
  // 16 ms of budget: two packets, both retransmissions, in their order.
  drain(pacer, now + 16 * kMs, sent);
  ASSERT_EQ(sent.ids.size(), 7u);
  EXPECT_EQ(sent.ids[5], 100);
  EXPECT_EQ(sent.ids[6], 101);
  drain(pacer, now + 24 * kMs, sent);
  ASSERT_EQ(sent.ids.size(), 8u);
  EXPECT_EQ(sent.ids[7], 6);
  EXPECT_EQ(pacer.stats().paced_packets, 3u);
}

TEST(Pacer, DropsTheOldestVideoWhenFullAndCountsIt) {
  Pacer pacer(PacerOptions{.pacing_factor = 2.5, .queue_packets = 16, .max_delay_ms = 10'000});
  pacer.set_estimate(400'000, 0);
  Sent sent;
  const int64_t now = 1000 * kMs;
  for (uint8_t i = 1; i <= 5; ++i) offer(pacer, MediaClass::kVideo, i, now, sent);  // the burst
  offer(pacer, MediaClass::kRetransmission, 200, now, sent);
  for (uint8_t i = 6; i <= 30; ++i) offer(pacer, MediaClass::kVideo, i, now, sent);
  EXPECT_EQ(pacer.queued_packets(), 16u);
  EXPECT_EQ(pacer.stats().dropped_packets, 10u);  // 1 + 25 held for 16 places: video 6..15 went
  // What remains: the retransmission, then video 16..30, in order.
  sent.ids.clear();
  pacer.set_estimate(0, now);  // not pacing any more: everything goes
  drain(pacer, now, sent);
  ASSERT_EQ(sent.ids.size(), 16u);
  EXPECT_EQ(sent.ids[0], 200);
  for (size_t i = 1; i < 16; ++i) EXPECT_EQ(sent.ids[i], 15 + i);
}

TEST(Pacer, FlushesAQueueHeldLongerThanTheMaxDelay) {
  Pacer pacer(PacerOptions{.pacing_factor = 2.5, .queue_packets = 512, .max_delay_ms = 500});
  pacer.set_estimate(40'000, 0);  // 12.5 bytes/ms: a 1000-byte packet every 80 ms
  Sent sent;
  const int64_t start = 1000 * kMs;
  for (uint8_t i = 0; i < 6; ++i) offer(pacer, MediaClass::kVideo, i, start, sent);
  const size_t before = sent.ids.size();
  drain(pacer, start + 100 * kMs, sent);  // budget for one more, no flush yet
  EXPECT_EQ(sent.ids.size(), before + 1);
  EXPECT_EQ(pacer.stats().flushed_packets, 0u);
  drain(pacer, start + 501 * kMs, sent);  // the oldest has waited past 500 ms
  EXPECT_TRUE(pacer.empty());
  EXPECT_EQ(sent.ids.size(), 6u);
  EXPECT_GT(pacer.stats().flushed_packets, 0u);
  EXPECT_EQ(pacer.stats().dropped_packets, 0u);
}

TEST(Pacer, FlushesAQueueHoldingMoreThanTheMaxDelayOfData) {
  Pacer pacer(PacerOptions{.pacing_factor = 2.5, .queue_packets = 512, .max_delay_ms = 500});
  pacer.set_estimate(400'000, 0);  // 125 bytes/ms: 500 ms is 62 500 bytes
  Sent sent;
  const int64_t now = 1000 * kMs;
  for (int i = 0; i < 70; ++i) offer(pacer, MediaClass::kVideo, static_cast<uint8_t>(i), now, sent);
  drain(pacer, now + 1, sent);
  EXPECT_TRUE(pacer.empty());
  EXPECT_EQ(pacer.stats().flushed_packets, 65u);  // 70 less the 5 of the burst
}

TEST(Pacer, FollowsRateChanges) {
  Pacer pacer(PacerOptions{.pacing_factor = 2.5, .queue_packets = 1024, .max_delay_ms = 10'000});
  pacer.set_estimate(400'000, 0);
  Sent sent;
  const int64_t start = 1000 * kMs;
  for (int i = 0; i < 500; ++i) offer(pacer, MediaClass::kVideo, static_cast<uint8_t>(i), start, sent);
  sent = {};
  for (int64_t t = start + 5 * kMs; t <= start + 200 * kMs; t += 5 * kMs) drain(pacer, t, sent);
  const size_t slow = sent.bytes;  // 200 ms at 125 bytes/ms
  EXPECT_NEAR(static_cast<double>(slow), 25'000.0, 1'000.0);
  pacer.set_estimate(1'600'000, start + 200 * kMs);  // four times the rate
  sent = {};
  for (int64_t t = start + 205 * kMs; t <= start + 400 * kMs; t += 5 * kMs) drain(pacer, t, sent);
  EXPECT_NEAR(static_cast<double>(sent.bytes), 100'000.0, 2'000.0);
  // Down again: no saved-up budget lets a burst of the old rate out.
  pacer.set_estimate(400'000, start + 400 * kMs);
  sent = {};
  drain(pacer, start + 405 * kMs, sent);
  EXPECT_LE(sent.bytes, 1'000u);
}

TEST(Pacer, RefusesToHoldWhatDoesNotFitASlot) {
  Pacer pacer(PacerOptions{});
  pacer.set_estimate(400'000, 0);
  std::vector<uint8_t> big(Pacer::kPacketBytes + 1);
  EXPECT_FALSE(pacer.enqueue(MediaClass::kVideo, ByteSpan(big.data(), big.size()), 0));
  EXPECT_TRUE(pacer.empty());
}

}  // namespace
}  // namespace sfu
