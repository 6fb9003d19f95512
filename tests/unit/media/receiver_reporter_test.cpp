// ReceiverReporter: the RR the server sends a publisher (RFC 3550 6.4.2).
#include "sfu/media/rtcp/receiver_reporter.h"

#include <gtest/gtest.h>

#include "tests/unit/media/media_test_support.h"

using namespace sfu;
using namespace sfu::test;

TEST(ReceiverReporter, ReportsNothingBeforeAnyPacket) {
  Participant publisher;
  FakeMediaSink sink;
  add_track(publisher, sink, sdp::MediaKind::kVideo, 0x1111);
  ReceiverReporter reporter;
  std::array<uint8_t, 1500> out{};
  EXPECT_EQ(reporter.build(publisher, 1000, out), 0u);
}

TEST(ReceiverReporter, ReportsEachTrackThatDeliveredPackets) {
  Participant publisher;
  publisher.feedback_ssrc = 0xFEED;
  FakeMediaSink sink;
  PublishedTrack& video = add_track(publisher, sink, sdp::MediaKind::kVideo, 0x1111);
  add_track(publisher, sink, sdp::MediaKind::kAudio, 0x2222);  // silent
  for (uint16_t seq : {1, 2, 4}) {                             // 3 lost
    Bytes bytes = make_rtp(0x1111, kVp8Pt, seq, seq * 3000u, kVp8Delta);
    video.on_packet(view(bytes), 1000 + seq);
  }
  ReceiverReporter reporter;
  std::array<uint8_t, 1500> out{};
  size_t size = reporter.build(publisher, 1100, out);
  ASSERT_GT(size, 0u);
  Bytes bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(size));
  auto header = only_rtcp(bytes);  // a view into `bytes`
  ASSERT_TRUE(header);
  auto rr = rtp::parse_receiver_report(*header);
  ASSERT_TRUE(rr);
  EXPECT_EQ(rr->sender_ssrc, 0xFEEDu);
  ASSERT_EQ(rr->report_blocks.size(), 1u);
  EXPECT_EQ(rr->report_blocks[0].ssrc, 0x1111u);
  EXPECT_EQ(rr->report_blocks[0].cumulative_lost, 1);
  EXPECT_EQ(rr->report_blocks[0].extended_highest_sequence & 0xFFFF, 4u);
}
