#include "rtp/transport_cc_recorder.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "rtp/rtcp_packet.h"
#include "rtp/rtcp_parser.h"

using namespace sfu;
using namespace sfu::rtp;

namespace {

// Parses one feedback packet and decodes its statuses.
std::vector<TransportCcPacketStatus> decode(ByteSpan packet, int32_t* reference = nullptr,
                                            uint8_t* count = nullptr) {
  RtcpCompoundIterator it(packet);
  RtcpHeader header;
  EXPECT_TRUE(it.next(header));
  auto feedback = parse_transport_cc(header);
  EXPECT_TRUE(feedback);
  if (!feedback) return {};
  if (reference) *reference = feedback->reference_time;
  if (count) *count = feedback->feedback_count;
  std::vector<TransportCcPacketStatus> statuses(2048);
  size_t n = feedback->decode(statuses);
  statuses.resize(n);
  return statuses;
}

}  // namespace

TEST(TransportCcRecorder, NothingToReportBeforeThePackets) {
  TransportCcRecorder recorder;
  std::array<uint8_t, 1500> out{};
  EXPECT_EQ(recorder.build_feedback(1, 2, out), 0u);
}

TEST(TransportCcRecorder, ReportsArrivalsLossesAndDeltasOnTheGrid) {
  TransportCcRecorder recorder;
  // 10 -> t0, 11 lost, 12 -> t0 + 1 ms, 13 -> t0 + 1.6 ms (rounded to 1.5), 14 -> t0 + 70 ms
  const uint64_t t0 = 5'000'000'123;
  recorder.on_packet(10, t0);
  recorder.on_packet(12, t0 + 1000);
  recorder.on_packet(13, t0 + 1600);
  recorder.on_packet(14, t0 + 70000);
  std::array<uint8_t, 1500> out{};
  size_t size = recorder.build_feedback(0xAAAA, 0xBBBB, out);
  ASSERT_GT(size, 0u);
  int32_t reference = 0;
  uint8_t count = 9;
  auto statuses = decode(ByteSpan(out.data(), size), &reference, &count);
  EXPECT_EQ(count, 0);
  EXPECT_EQ(reference, static_cast<int32_t>(t0 / 64000));
  ASSERT_EQ(statuses.size(), 5u);
  EXPECT_EQ(statuses[0].sequence_number, 10);
  EXPECT_TRUE(statuses[0].received);
  EXPECT_FALSE(statuses[1].received);
  // Times reconstructed from the reference and the deltas stay within half a tick of the truth.
  int64_t time = static_cast<int64_t>(t0 / 64000) * 64000;
  const int64_t truth[] = {static_cast<int64_t>(t0), -1, static_cast<int64_t>(t0 + 1000),
                           static_cast<int64_t>(t0 + 1600), static_cast<int64_t>(t0 + 70000)};
  for (size_t i = 0; i < statuses.size(); ++i) {
    if (!statuses[i].received) continue;
    EXPECT_EQ(statuses[i].delta_us % 250, 0);
    time += statuses[i].delta_us;
    EXPECT_LE(std::abs(time - truth[i]), 125) << "packet " << i;
  }
  // The next feedback covers only what came after, and counts up.
  EXPECT_EQ(recorder.build_feedback(0xAAAA, 0xBBBB, out), 0u);
  recorder.on_packet(15, t0 + 71000);
  size = recorder.build_feedback(0xAAAA, 0xBBBB, out);
  statuses = decode(ByteSpan(out.data(), size), nullptr, &count);
  ASSERT_EQ(statuses.size(), 1u);
  EXPECT_EQ(statuses[0].sequence_number, 15);
  EXPECT_EQ(count, 1);
  EXPECT_EQ(recorder.feedbacks_built(), 2u);
}

TEST(TransportCcRecorder, ReorderingAndWrapAround) {
  TransportCcRecorder recorder;
  recorder.on_packet(65534, 1'000'000);
  recorder.on_packet(0, 1'002'000);      // 65535 late
  recorder.on_packet(65535, 1'003'000);  // arrives after 0
  recorder.on_packet(1, 1'004'000);
  std::array<uint8_t, 1500> out{};
  size_t size = recorder.build_feedback(1, 2, out);
  auto statuses = decode(ByteSpan(out.data(), size));
  ASSERT_EQ(statuses.size(), 4u);
  EXPECT_EQ(statuses[0].sequence_number, 65534);
  EXPECT_EQ(statuses[3].sequence_number, 1);
  for (const auto& s : statuses) EXPECT_TRUE(s.received);
  // 65535 arrived after 0: a negative delta for the packet after it in sequence order.
  EXPECT_EQ(statuses[1].delta_us, 3000);
  EXPECT_EQ(statuses[2].delta_us, -1000);
}

TEST(TransportCcRecorder, LatePacketsAfterAFeedbackAreIgnoredAndLongGapsAreBounded) {
  TransportCcRecorder recorder;
  recorder.on_packet(100, 1000);
  std::array<uint8_t, 4096> out{};
  ASSERT_GT(recorder.build_feedback(1, 2, out), 0u);
  recorder.on_packet(99, 2000);  // older than what was reported
  EXPECT_EQ(recorder.build_feedback(1, 2, out), 0u);
  // A jump far beyond the window reports at most kMaxPackets.
  recorder.on_packet(101, 3000);
  recorder.on_packet(static_cast<uint16_t>(101 + 3000), 4000);
  size_t size = recorder.build_feedback(1, 2, out);
  ASSERT_GT(size, 0u);
  auto statuses = decode(ByteSpan(out.data(), size));
  EXPECT_LE(statuses.size(), TransportCcRecorder::kMaxPackets);
  EXPECT_EQ(statuses.back().sequence_number, static_cast<uint16_t>(101 + 3000));
}
