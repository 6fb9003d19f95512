#include "rtp/transport_sequence_stamp.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <vector>

#include "rtp/rtp_packet.h"

using namespace sfu;
using namespace sfu::rtp;

namespace {

constexpr uint8_t kId = 3;
const std::vector<uint8_t> kPayload = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03};

struct Built {
  std::array<uint8_t, 256> buffer{};
  size_t size = 0;
};

Built build(std::span<const HeaderExtension> extensions, size_t padding = 0,
            std::vector<uint32_t> csrcs = {}) {
  Built b;
  RtpHeaderFields fields;
  fields.payload_type = 96;
  fields.sequence_number = 1000;
  fields.timestamp = 12345;
  fields.ssrc = 0x01020304;
  fields.csrcs = csrcs;
  b.size = build_rtp_packet(fields, extensions, kPayload, padding, MutableByteSpan(b.buffer));
  EXPECT_GT(b.size, 0u);
  return b;
}

// The stamped packet parses, names `sequence` under kId, and kept everything else.
void expect_stamped(Built& b, size_t new_size, uint16_t sequence, size_t padding = 0) {
  ASSERT_GT(new_size, 0u);
  auto packet = RtpPacket::parse(MutableByteSpan(b.buffer.data(), new_size));
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->transport_sequence_number(kId), sequence);
  EXPECT_EQ(packet->sequence_number(), 1000);
  EXPECT_EQ(packet->ssrc(), 0x01020304u);
  EXPECT_EQ(packet->padding_size(), padding);
  ASSERT_EQ(packet->payload_size(), kPayload.size());
  EXPECT_EQ(std::memcmp(packet->payload().data(), kPayload.data(), kPayload.size()), 0);
}

}  // namespace

TEST(TransportSequenceStamp, OverwritesAnElementThatIsThere) {
  const uint8_t old[2] = {0, 7};
  HeaderExtension extensions[] = {{kId, ByteSpan(old, 2)}};
  Built b = build(extensions);
  size_t size = stamp_transport_sequence(b.buffer, b.size, kId, 0xBEEF);
  EXPECT_EQ(size, b.size);
  expect_stamped(b, size, 0xBEEF);
}

TEST(TransportSequenceStamp, FillsTheGapAStrippedElementLeft) {
  // What the forwarder sends: the publisher's abs-send-time kept as id 2, its transport-cc (id 5)
  // blanked to padding by the down-track's id map.
  const uint8_t abs[3] = {1, 2, 3};
  const uint8_t publisher_seq[2] = {0x12, 0x34};
  HeaderExtension extensions[] = {{2, ByteSpan(abs, 3)}, {5, ByteSpan(publisher_seq, 2)}};
  Built b = build(extensions);
  {
    auto packet = RtpPacket::parse(MutableByteSpan(b.buffer.data(), b.size));
    std::array<uint8_t, 256> map{};
    map[2] = 2;
    packet->remap_extension_ids(map);
  }
  size_t size = stamp_transport_sequence(b.buffer, b.size, kId, 42);
  EXPECT_EQ(size, b.size);  // no byte moved
  expect_stamped(b, size, 42);
  auto packet = RtpPacket::parse(MutableByteSpan(b.buffer.data(), size));
  EXPECT_EQ(packet->abs_send_time(2), 0x010203u);
  EXPECT_FALSE(packet->find_extension(5));
}

TEST(TransportSequenceStamp, AppendsAWordWhenTheBlockIsFull) {
  const uint8_t value[4] = {1, 2, 3, 4};  // 1 + 4 bytes
  const uint8_t more[2] = {5, 6};         // 1 + 2 more: 8 bytes exactly, no padding run left
  HeaderExtension extensions[] = {{1, ByteSpan(value, 4)}, {2, ByteSpan(more, 2)}};
  Built b = build(extensions, /*padding=*/4);
  size_t size = stamp_transport_sequence(b.buffer, b.size, kId, 7);
  EXPECT_EQ(size, b.size + 4);
  expect_stamped(b, size, 7, 4);
  auto packet = RtpPacket::parse(MutableByteSpan(b.buffer.data(), size));
  EXPECT_EQ(packet->find_extension(2)->size(), 2u);
}

TEST(TransportSequenceStamp, AddsABlockToAPacketWithout) {
  Built b = build({}, 0, {0xAAAAAAAA, 0xBBBBBBBB});
  size_t size = stamp_transport_sequence(b.buffer, b.size, kId, 65535);
  EXPECT_EQ(size, b.size + 8);
  expect_stamped(b, size, 65535);
  auto packet = RtpPacket::parse(MutableByteSpan(b.buffer.data(), size));
  EXPECT_EQ(packet->csrc_count(), 2);
  EXPECT_EQ(packet->csrc(1), 0xBBBBBBBBu);
  EXPECT_EQ(packet->extension_form(), HeaderExtensionForm::kOneByte);
}

TEST(TransportSequenceStamp, UsesTheTwoByteFormWhereTheBlockHasIt) {
  const uint8_t big[20] = {};
  HeaderExtension extensions[] = {{1, ByteSpan(big, 20)}};  // 20 bytes: two-byte form
  Built b = build(extensions);
  size_t size = stamp_transport_sequence(b.buffer, b.size, kId, 9);
  expect_stamped(b, size, 9);
  EXPECT_EQ(RtpPacket::parse(MutableByteSpan(b.buffer.data(), size))->extension_form(),
            HeaderExtensionForm::kTwoByte);
  // And an id the one-byte form cannot carry gets a two-byte block of its own.
  Built c = build({});
  size = stamp_transport_sequence(c.buffer, c.size, 200, 11);
  ASSERT_GT(size, 0u);
  EXPECT_EQ(RtpPacket::parse(MutableByteSpan(c.buffer.data(), size))->transport_sequence_number(200), 11);
}

TEST(TransportSequenceStamp, RefusesWhatItCannotStampAndChangesNothing) {
  Built b = build({});
  Built copy = b;
  // No room for the 8 bytes a new block needs.
  EXPECT_EQ(stamp_transport_sequence(MutableByteSpan(b.buffer.data(), b.size + 7), b.size, kId, 1), 0u);
  EXPECT_EQ(b.buffer, copy.buffer);
  // An element with the id but another size: not ours to overwrite.
  const uint8_t three[3] = {1, 2, 3};
  HeaderExtension extensions[] = {{kId, ByteSpan(three, 3)}};
  Built c = build(extensions);
  EXPECT_EQ(stamp_transport_sequence(c.buffer, c.size, kId, 1), 0u);
  // Not RTP, truncated, id 0, an id over 14 in a one-byte block.
  std::array<uint8_t, 64> junk{};
  EXPECT_EQ(stamp_transport_sequence(junk, 5, kId, 1), 0u);
  EXPECT_EQ(stamp_transport_sequence(b.buffer, b.size, 0, 1), 0u);
  const uint8_t one[1] = {1};
  HeaderExtension small[] = {{1, ByteSpan(one, 1)}};
  Built d = build(small);
  EXPECT_EQ(stamp_transport_sequence(d.buffer, d.size, 20, 1), 0u);
}

TEST(TransportSequenceStamp, SurvivesEveryTruncationAndBitFlip) {
  const uint8_t abs[3] = {1, 2, 3};
  HeaderExtension extensions[] = {{2, ByteSpan(abs, 3)}};
  Built original = build(extensions, 3);
  for (size_t cut = 0; cut <= original.size; ++cut) {
    Built b = original;
    stamp_transport_sequence(b.buffer, cut, kId, 1);
  }
  for (size_t byte = 0; byte < original.size; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      Built b = original;
      b.buffer[byte] ^= static_cast<uint8_t>(1 << bit);
      size_t size = stamp_transport_sequence(b.buffer, b.size, kId, 1);
      if (size > 0) {
        EXPECT_TRUE(RtpPacket::parse(MutableByteSpan(b.buffer.data(), size)));
      }
    }
  }
}
