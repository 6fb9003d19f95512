// NackRequester: the server's own NACKs to a publisher (RFC 4585 6.2.1).
#include "sfu/media/rtcp/nack_requester.h"

#include <gtest/gtest.h>

#include "tests/unit/media/media_test_support.h"

using namespace sfu;
using namespace sfu::test;

namespace {

std::vector<uint16_t> lost_in(const std::array<uint8_t, 1500>& out, size_t size, uint32_t* media_ssrc) {
  Bytes bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(size));
  auto header = only_rtcp(bytes);  // a view into `bytes`
  if (!header) return {};
  auto nack = rtp::parse_generic_nack(*header);
  if (!nack) return {};
  *media_ssrc = nack->media_ssrc;
  std::vector<uint16_t> lost;
  nack->for_each_lost([&](uint16_t seq) { lost.push_back(seq); });
  return lost;
}

}  // namespace

TEST(NackRequester, NacksALossOnceTheReorderDelayHasPassed) {
  Participant publisher;
  FakeMediaSink sink;
  PublishedTrack& track = add_track(publisher, sink, sdp::MediaKind::kVideo, 0x1111);
  for (uint16_t seq : {10, 11, 14}) {
    Bytes bytes = make_rtp(0x1111, kVp8Pt, seq, 3000, kVp8Delta);
    track.on_packet(view(bytes), 1000);
  }
  NackRequester requester;
  std::array<uint8_t, 1500> out{};
  EXPECT_EQ(requester.build_due(track, 0xFEED, 1001, out), 0u) << "may be reordering, not loss";
  size_t size = requester.build_due(track, 0xFEED, 1020, out);
  ASSERT_GT(size, 0u);
  uint32_t media_ssrc = 0;
  EXPECT_EQ(lost_in(out, size, &media_ssrc), (std::vector<uint16_t>{12, 13}));
  EXPECT_EQ(media_ssrc, 0x1111u);
  EXPECT_EQ(requester.build_due(track, 0xFEED, 1021, out), 0u) << "the retry waits a round trip";
}

TEST(NackRequester, AsksNothingOfAudioOrUnlearnedStreams) {
  Participant publisher;
  FakeMediaSink sink;
  PublishedTrack& audio = add_track(publisher, sink, sdp::MediaKind::kAudio, 0x2222);
  PublishedTrack& unlearned = add_track(publisher, sink, sdp::MediaKind::kVideo, 0);
  NackRequester requester;
  std::array<uint8_t, 1500> out{};
  EXPECT_EQ(requester.build_due(audio, 1, 5000, out), 0u);
  EXPECT_EQ(requester.build_due(unlearned, 1, 5000, out), 0u);
}
