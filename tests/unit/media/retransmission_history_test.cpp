// RetransmissionHistory (audit row 8): a published track's buffer of recent packets is allocated
// by its first media packet, not at publish time, and sized by the packet rate measured over the
// following second, growing on the timer a bounded number of times, never on the packet path.
#include "sfu/media/retransmission_history.h"

#include <gtest/gtest.h>

#include "tests/unit/media/media_test_support.h"

using namespace sfu;
using namespace sfu::test;

namespace {

// Feeds `rate` packets per second from `start_ms` for `duration_ms`, running the timer every
// 20 ms as the room does; returns the next sequence number.
uint16_t feed(RetransmissionHistory& history, uint16_t seq, uint32_t rate, uint64_t start_ms,
              uint64_t duration_ms) {
  Bytes bytes = make_rtp(0x1111, kVp8Pt, 0, 0, kVp8Delta);
  uint64_t sent = 0;
  for (uint64_t t = start_ms; t < start_ms + duration_ms; ++t) {
    uint64_t due = (t - start_ms + 1) * rate / 1000;
    for (; sent < due; ++sent, ++seq) history.store(ByteSpan(bytes), seq, t);
    if ((t - start_ms) % 20 == 0) history.on_timer(t);
  }
  return seq;
}

}  // namespace

TEST(RetransmissionHistory, HoldsNothingBeforeTheFirstPacket) {
  RetransmissionHistory history;
  EXPECT_EQ(history.capacity(), 0u);
  EXPECT_FALSE(history.get(1, 1000));
  EXPECT_FALSE(history.mark_resent(1, 1000, 100, 7));
  history.on_timer(5000);
  EXPECT_EQ(history.capacity(), 0u) << "a silent track stays without a buffer";
}

TEST(RetransmissionHistory, TheFirstPacketAllocatesTheInitialBuffer) {
  RetransmissionHistory history;
  Bytes bytes = make_rtp(0x1111, kVp8Pt, 42, 0, kVp8Delta);
  history.store(ByteSpan(bytes), 42, 1000);
  EXPECT_EQ(history.capacity(), RetransmissionHistory::kInitialPackets);
  auto stored = history.get(42, 1010);
  ASSERT_TRUE(stored);
  EXPECT_EQ(Bytes(stored->begin(), stored->end()), bytes);
}

TEST(RetransmissionHistory, GrowsToOneSecondOfPacketsKeepingWhatItHolds) {
  RetransmissionHistory history;
  uint16_t next = feed(history, 1, 300, 1000, 1000);  // 300 packets per second
  EXPECT_EQ(history.capacity(), RetransmissionHistory::kInitialPackets) << "measured over a full second";
  next = feed(history, next, 300, 2000, 40);
  EXPECT_EQ(history.capacity(), 512u) << "300 pps rounded up to a power of two";
  EXPECT_EQ(history.growths(), 1u);
  EXPECT_TRUE(history.get(static_cast<uint16_t>(next - 100), 2040)) << "copied over when it grew";
  next = feed(history, next, 300, 2040, 900);
  EXPECT_TRUE(history.get(static_cast<uint16_t>(next - 280), 2940)) << "now almost a second is held";
  EXPECT_EQ(history.growths(), 1u) << "a steady rate grows it once";
}

TEST(RetransmissionHistory, GrowthIsBoundedInSizeAndCount) {
  RetransmissionHistory history;
  uint16_t next = 1;
  uint64_t t = 1000;
  for (uint32_t rate : {150u, 400u, 700u, 5000u, 20000u}) {
    next = feed(history, next, rate, t, 1100);
    t += 1100;
  }
  EXPECT_EQ(history.capacity(), RetransmissionHistory::kMaxPackets);
  EXPECT_LE(history.growths(), RetransmissionHistory::kMaxGrowths);
}

TEST(RetransmissionHistory, ResentRecentlyIsPerRecipient) {
  RetransmissionHistory history;
  Bytes bytes = make_rtp(0x1111, kVp8Pt, 5, 0, kVp8Delta);
  history.store(ByteSpan(bytes), 5, 1000);
  EXPECT_FALSE(history.resent_recently(5, 1010, 100, 0xB0B));
  EXPECT_TRUE(history.mark_resent(5, 1010, 100, 0xB0B));
  EXPECT_TRUE(history.resent_recently(5, 1050, 100, 0xB0B));
  EXPECT_FALSE(history.resent_recently(5, 1050, 100, 0xCA401)) << "another subscriber's repair";
  EXPECT_FALSE(history.resent_recently(5, 1110, 100, 0xB0B)) << "one interval later";
}

TEST(PublishedTrack, APublishedVideoTrackWithoutMediaHasNoBufferOrNackState) {
  Participant publisher;
  FakeMediaSink sink;
  PublishedTrack& video = add_track(publisher, sink, sdp::MediaKind::kVideo, 0x1111);
  EXPECT_EQ(video.retransmission_capacity(), 0u);
  EXPECT_EQ(video.nack_generator(), nullptr);
  video.on_timer(10000);
  EXPECT_EQ(video.retransmission_capacity(), 0u);

  Bytes bytes = make_rtp(0x1111, kVp8Pt, 9, 0, kVp8Keyframe);
  video.on_packet(view(bytes), 10000);
  EXPECT_EQ(video.retransmission_capacity(), RetransmissionHistory::kInitialPackets);
  EXPECT_NE(video.nack_generator(), nullptr);
  EXPECT_TRUE(video.stored_packet(9, 10010));
}

TEST(PublishedTrack, AnAudioTrackKeepsNoBuffer) {
  Participant publisher;
  FakeMediaSink sink;
  PublishedTrack& audio = add_track(publisher, sink, sdp::MediaKind::kAudio, 0x2222);
  Bytes bytes = make_rtp(0x2222, kOpusPt, 9, 0, {1, 2, 3});
  audio.on_packet(view(bytes), 1000);
  EXPECT_EQ(audio.retransmission_capacity(), 0u) << "Opus is repaired by FEC, not NACK";
}
