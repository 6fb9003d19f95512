// SendSideBwe from the outside: feedback mapped onto what was sent, REMB, bad and odd feedback.
#include "rtp/send_side_bwe.h"

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <vector>

#include "rtp/rtcp_builder.h"
#include "rtp/rtcp_packet.h"
#include "rtp/rtcp_parser.h"

using namespace sfu;
using namespace sfu::rtp;

namespace {

constexpr int64_t kMs = 1000;

// A feedback packet for `statuses` (first sequence = statuses[0]), parsed back.
struct Feedback {
  std::array<uint8_t, 4096> bytes{};
  size_t size = 0;
  std::optional<TransportCc> parse() const {
    RtcpCompoundIterator it(ByteSpan(bytes.data(), size));
    RtcpHeader header;
    if (!it.next(header)) return std::nullopt;
    return parse_transport_cc(header);
  }
};

Feedback make_feedback(const std::vector<TransportCcPacketStatus>& statuses, int32_t reference,
                       uint8_t count) {
  Feedback f;
  TransportCcFields fields{1, 2, reference, count};
  f.size = build_transport_cc(fields, statuses, MutableByteSpan(f.bytes));
  EXPECT_GT(f.size, 0u);
  return f;
}

}  // namespace

TEST(SendSideBwe, StartsAtItsStartRateAndFollowsRembWithoutTransportCc) {
  SendSideBwe bwe(SendSideBwe::Options{800'000, 30'000, 50'000'000, 64});
  EXPECT_DOUBLE_EQ(bwe.estimate_bps(), 800'000);
  EXPECT_EQ(bwe.trend(), BweTrend::kHolding);
  bwe.on_remb(2'500'000, 0);
  EXPECT_DOUBLE_EQ(bwe.estimate_bps(), 2'500'000);
  bwe.on_remb(300'000, 100 * kMs);
  EXPECT_DOUBLE_EQ(bwe.estimate_bps(), 300'000);
  bwe.on_remb(1, 200 * kMs);  // clamped to the minimum
  EXPECT_DOUBLE_EQ(bwe.estimate_bps(), 30'000);
  EXPECT_FALSE(bwe.has_transport_cc());
}

TEST(SendSideBwe, MapsFeedbackOntoSentPacketsOnce) {
  SendSideBwe bwe;
  for (int64_t s = 0; s < 10; ++s) bwe.on_packet_sent(s, s * 5 * kMs, 1200);
  std::vector<TransportCcPacketStatus> statuses;
  for (uint16_t s = 0; s < 10; ++s) statuses.push_back({s, s != 4, s == 0 ? 0 : 5000});
  Feedback f = make_feedback(statuses, 100, 0);
  auto parsed = f.parse();
  ASSERT_TRUE(parsed);
  auto result = bwe.on_transport_cc(*parsed, 100 * kMs);
  EXPECT_EQ(result.received, 9u);
  EXPECT_EQ(result.lost, 1u);
  EXPECT_EQ(result.unknown, 0u);
  EXPECT_TRUE(bwe.has_transport_cc());
  EXPECT_GT(bwe.rtt_us(), 0);
  // The same feedback again (a duplicate): the received ones are known already; the lost one is
  // reported lost again.
  result = bwe.on_transport_cc(*parsed, 110 * kMs);
  EXPECT_EQ(result.received, 0u);
  EXPECT_EQ(result.unknown, 9u);
  // The lost packet arrives late, reported by a later feedback.
  Feedback late = make_feedback({{4, true, 0}}, 101, 1);
  result = bwe.on_transport_cc(*late.parse(), 150 * kMs);
  EXPECT_EQ(result.received, 1u);
}

TEST(SendSideBwe, FeedbackForPacketsNeverSentIsIgnored) {
  SendSideBwe bwe;
  Feedback f = make_feedback({{100, true, 0}, {101, true, 250}}, 5, 0);
  auto result = bwe.on_transport_cc(*f.parse(), 0);  // nothing sent at all
  EXPECT_EQ(result.unknown, 2u);
  EXPECT_DOUBLE_EQ(bwe.estimate_bps(), SendSideBwe::Options{}.start_bps);
}

TEST(SendSideBwe, ReferenceTimeWrapsWithoutAJump) {
  SendSideBwe bwe;
  int64_t sequence = 0;
  // Reference times across the 24-bit wrap: 0xFFFFFE, 0xFFFFFF, 0, 1 (64 ms apart), one packet
  // each, sent 64 ms apart: no delay change, so no over-use.
  const int32_t references[] = {0xFFFFFE, 0xFFFFFF, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
  uint8_t count = 0;
  for (int32_t reference : references) {
    for (int i = 0; i < 4; ++i) bwe.on_packet_sent(sequence + i, (sequence + i) * 16 * kMs, 1000);
    std::vector<TransportCcPacketStatus> statuses;
    for (int i = 0; i < 4; ++i)
      statuses.push_back({static_cast<uint16_t>(sequence + i), true, i == 0 ? 0 : 16000});
    // build_transport_cc's reference field is signed 24-bit: pass what the wire carries.
    int32_t wire = reference >= (1 << 23) ? reference - (1 << 24) : reference;
    Feedback f = make_feedback(statuses, wire, count++);
    bwe.on_transport_cc(*f.parse(), (sequence + 4) * 16 * kMs + 20 * kMs);
    sequence += 4;
  }
  EXPECT_EQ(bwe.overuse_events(), 0u);
  EXPECT_NE(bwe.usage(), BandwidthUsage::kOverusing);
}

TEST(SendSideBwe, RandomFeedbackNeverBreaksIt) {
  SendSideBwe bwe(SendSideBwe::Options{1'000'000, 30'000, 50'000'000, 256});
  std::mt19937 random(3);
  std::array<uint8_t, 512> bytes{};
  for (int64_t s = 0; s < 300; ++s) bwe.on_packet_sent(s, s * kMs, 1000);
  for (int round = 0; round < 2000; ++round) {
    // A transport-cc header with random contents.
    const size_t words = 4 + random() % 100;
    for (auto& b : bytes) b = static_cast<uint8_t>(random());
    bytes[0] = 0x8F;
    bytes[1] = 205;
    store_be16(bytes.data() + 2, static_cast<uint16_t>(words - 1));
    RtcpCompoundIterator it(ByteSpan(bytes.data(), 4 * words));
    RtcpHeader header;
    if (!it.next(header)) continue;
    if (auto feedback = parse_transport_cc(header)) bwe.on_transport_cc(*feedback, round * kMs);
    ASSERT_GE(bwe.estimate_bps(), 30'000);
    ASSERT_LE(bwe.estimate_bps(), 50'000'000);
  }
}
