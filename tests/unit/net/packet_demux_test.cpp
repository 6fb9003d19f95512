#include "net/packet_demux.h"

#include <gtest/gtest.h>

#include <vector>

namespace sfu::net {
namespace {

PacketKind classify(std::vector<uint8_t> bytes) { return classify_packet(bytes); }

TEST(PacketDemux, EmptyPacketIsUnknown) { EXPECT_EQ(classify_packet({}), PacketKind::Unknown); }

TEST(PacketDemux, EveryFirstByteFallsInItsRfc7983Range) {
  for (int first = 0; first < 256; ++first) {
    const auto kind = classify({static_cast<uint8_t>(first), 0x60, 0, 0});
    PacketKind expected = PacketKind::Unknown;
    if (first <= 3)
      expected = PacketKind::Stun;
    else if (first >= 20 && first <= 63)
      expected = PacketKind::Dtls;
    else if (first >= 128 && first <= 191)
      expected = PacketKind::Rtp;
    EXPECT_EQ(kind, expected) << "first byte " << first;
  }
}

TEST(PacketDemux, RangeBoundaries) {
  EXPECT_EQ(classify({3}), PacketKind::Stun);
  EXPECT_EQ(classify({4}), PacketKind::Unknown);
  EXPECT_EQ(classify({16}), PacketKind::Unknown);  // ZRTP is not used
  EXPECT_EQ(classify({19}), PacketKind::Unknown);
  EXPECT_EQ(classify({20}), PacketKind::Dtls);              // change_cipher_spec
  EXPECT_EQ(classify({22, 0xfe, 0xfd}), PacketKind::Dtls);  // handshake
  EXPECT_EQ(classify({63}), PacketKind::Dtls);
  EXPECT_EQ(classify({64, 0}), PacketKind::Unknown);  // TURN channel data is not used
  EXPECT_EQ(classify({127, 0}), PacketKind::Unknown);
  EXPECT_EQ(classify({128, 0}), PacketKind::Rtp);
  EXPECT_EQ(classify({191, 0}), PacketKind::Rtp);
  EXPECT_EQ(classify({192, 200}), PacketKind::Unknown);
  EXPECT_EQ(classify({255, 200}), PacketKind::Unknown);
}

TEST(PacketDemux, RtcpIsToldApartByTheSecondByte) {
  for (int second = 0; second < 256; ++second) {
    const auto kind = classify({0x80, static_cast<uint8_t>(second), 0, 1});
    const bool rtcp = second >= 192 && second <= 223;
    EXPECT_EQ(kind, rtcp ? PacketKind::Rtcp : PacketKind::Rtp) << "second byte " << second;
  }
  // Typical packets: SR (200), RR (201), RTPFB (205), PSFB (206); RTP PT 96 with and without marker.
  EXPECT_EQ(classify({0x80, 200, 0, 6}), PacketKind::Rtcp);
  EXPECT_EQ(classify({0x81, 201, 0, 7}), PacketKind::Rtcp);
  EXPECT_EQ(classify({0x81, 205, 0, 3}), PacketKind::Rtcp);
  EXPECT_EQ(classify({0x81, 206, 0, 2}), PacketKind::Rtcp);
  EXPECT_EQ(classify({0x80, 96, 0, 1}), PacketKind::Rtp);
  EXPECT_EQ(classify({0x80, 0x80 | 96, 0, 1}), PacketKind::Rtp);
  EXPECT_EQ(classify({0x80, 0x80 | 111, 0, 1}), PacketKind::Rtp);
}

TEST(PacketDemux, OneByteRtpRangePacketIsUnknown) {
  EXPECT_EQ(classify({0x80}), PacketKind::Unknown);
  EXPECT_EQ(classify({0}), PacketKind::Stun);
}

TEST(PacketDemux, NamesAreStable) {
  EXPECT_STREQ(to_string(PacketKind::Stun), "stun");
  EXPECT_STREQ(to_string(PacketKind::Rtcp), "rtcp");
}

}  // namespace
}  // namespace sfu::net
