// TransportCcFeedback: transport-wide feedback paced to one packet per interval (transport-cc draft
// section 3.1).
#include "sfu/media/rtcp/transport_cc_feedback.h"

#include <gtest/gtest.h>

#include "tests/unit/media/media_test_support.h"

using namespace sfu;
using namespace sfu::test;

namespace {

// The feedback in `out[0, size)`, decoded.
std::vector<rtp::TransportCcPacketStatus> decode(const std::array<uint8_t, 1500>& out, size_t size) {
  Bytes bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(size));
  auto header = only_rtcp(bytes);
  if (!header) return {};
  auto feedback = rtp::parse_transport_cc(*header);
  if (!feedback) return {};
  std::vector<rtp::TransportCcPacketStatus> statuses(feedback->status_count);
  statuses.resize(feedback->decode(statuses));
  return statuses;
}

}  // namespace

TEST(TransportCcFeedback, RespectsThePacingInterval) {
  TransportCcFeedback feedback(50);
  std::array<uint8_t, 1500> out{};
  uint16_t seq = 0;
  std::vector<uint64_t> sent_at;
  // A packet every 5 ms, the timer every 20 ms (as the room's): feedback at most every 50 ms.
  for (uint64_t now = 1000; now <= 1300; now += 5) {
    feedback.on_packet(seq++, now * 1000);
    if (now % 20 == 0 && feedback.build_due(now, 1, 2, out) > 0) sent_at.push_back(now);
  }
  ASSERT_GE(sent_at.size(), 4u);
  for (size_t i = 1; i < sent_at.size(); ++i) EXPECT_GE(sent_at[i] - sent_at[i - 1], 50u) << "feedback " << i;
  EXPECT_LE(sent_at.size(), 7u);
}

TEST(TransportCcFeedback, ReportsEveryArrivalSinceThePreviousFeedback) {
  TransportCcFeedback feedback(50);
  std::array<uint8_t, 1500> out{};
  feedback.on_packet(10, 1000000);
  feedback.on_packet(11, 1001000);
  feedback.on_packet(13, 1003000);  // 12 lost
  size_t size = feedback.build_due(1050, 0xAAAA, 0xBBBB, out);
  ASSERT_GT(size, 0u);
  auto statuses = decode(out, size);
  ASSERT_EQ(statuses.size(), 4u);
  EXPECT_EQ(statuses[0].sequence_number, 10);
  EXPECT_TRUE(statuses[1].received);
  EXPECT_FALSE(statuses[2].received);
  EXPECT_TRUE(statuses[3].received);
  EXPECT_EQ(statuses[3].delta_us, 2000);
}

TEST(TransportCcFeedback, SendsNothingWhenNothingArrived) {
  TransportCcFeedback feedback(50);
  std::array<uint8_t, 1500> out{};
  EXPECT_EQ(feedback.build_due(1000, 1, 2, out), 0u);
  feedback.on_packet(1, 1000000);
  EXPECT_GT(feedback.build_due(1050, 1, 2, out), 0u);
  EXPECT_EQ(feedback.build_due(1100, 1, 2, out), 0u) << "everything was reported already";
}

TEST(TransportCcFeedback, WaitsForTheIntervalBeforeTheFirstFeedback) {
  TransportCcFeedback feedback;
  std::array<uint8_t, 1500> out{};
  feedback.on_packet(1, 10000);
  EXPECT_EQ(feedback.build_due(TransportCcFeedback::kDefaultIntervalMs - 1, 1, 2, out), 0u);
  EXPECT_GT(feedback.build_due(TransportCcFeedback::kDefaultIntervalMs, 1, 2, out), 0u);
}
