// RFC 2198 redundant audio payloads: one, two and three blocks as Chromium sends Opus in RED,
// every truncation of a valid payload, block lengths past the end, and the in-place payload-type
// rewrite.
#include "rtp/red_payload.h"

#include <gtest/gtest.h>

#include <vector>

using namespace sfu;
using namespace sfu::rtp;

namespace {

constexpr uint8_t kOpus = 111;

// A redundant block header: F = 1, PT, 14-bit timestamp offset, 10-bit length.
void add_header(std::vector<uint8_t>& out, uint8_t pt, uint16_t ts_offset, uint16_t length) {
  out.push_back(static_cast<uint8_t>(0x80 | pt));
  out.push_back(static_cast<uint8_t>(ts_offset >> 6));
  out.push_back(static_cast<uint8_t>(((ts_offset & 0x3F) << 2) | (length >> 8)));
  out.push_back(static_cast<uint8_t>(length & 0xFF));
}

// Primary only: the one-byte header, then the Opus packet.
const std::vector<uint8_t> kOneBlock = {kOpus, 0xF8, 0xFF, 0xFE};

// Two redundant blocks (960 and 1920 ticks old, 3 and 2 bytes) and a 4-byte primary.
std::vector<uint8_t> three_blocks() {
  std::vector<uint8_t> out;
  add_header(out, kOpus, 1920, 3);
  add_header(out, kOpus, 960, 2);
  out.push_back(kOpus);
  for (uint8_t b : {0xA1, 0xA2, 0xA3, 0xB1, 0xB2, 0xC1, 0xC2, 0xC3, 0xC4}) out.push_back(b);
  return out;
}

RedError parse(const std::vector<uint8_t>& bytes, RedPayload& red) {
  return parse_red_payload(ByteSpan(bytes.data(), bytes.size()), red);
}

}  // namespace

TEST(RedPayload, PrimaryOnly) {
  RedPayload red;
  ASSERT_EQ(parse(kOneBlock, red), RedError::kNone);
  ASSERT_EQ(red.block_count, 1u);
  EXPECT_EQ(red.header_size, 1u);
  EXPECT_EQ(red.primary().payload_type, kOpus);
  EXPECT_EQ(red.primary().offset, 1u);
  EXPECT_EQ(red.primary().length, 3u);
}

TEST(RedPayload, OneRedundantBlock) {
  std::vector<uint8_t> bytes;
  add_header(bytes, kOpus, 960, 2);
  bytes.push_back(kOpus);
  for (uint8_t b : {0x11, 0x22, 0x33, 0x44, 0x55}) bytes.push_back(b);
  RedPayload red;
  ASSERT_EQ(parse(bytes, red), RedError::kNone);
  ASSERT_EQ(red.block_count, 2u);
  EXPECT_EQ(red.header_size, 5u);
  EXPECT_EQ(red.blocks[0].timestamp_offset, 960);
  EXPECT_EQ(red.blocks[0].offset, 5u);
  EXPECT_EQ(red.blocks[0].length, 2u);
  EXPECT_EQ(red.primary().offset, 7u);
  EXPECT_EQ(red.primary().length, 3u);
  EXPECT_EQ(bytes[red.primary().offset], 0x33);
}

TEST(RedPayload, TwoRedundantBlocks) {
  const auto bytes = three_blocks();
  RedPayload red;
  ASSERT_EQ(parse(bytes, red), RedError::kNone);
  ASSERT_EQ(red.block_count, 3u);
  EXPECT_EQ(red.header_size, 9u);
  EXPECT_EQ(red.blocks[0].timestamp_offset, 1920);
  EXPECT_EQ(red.blocks[0].length, 3u);
  EXPECT_EQ(red.blocks[1].timestamp_offset, 960);
  EXPECT_EQ(red.blocks[1].offset, 12u);
  EXPECT_EQ(red.primary().payload_type, kOpus);
  EXPECT_EQ(red.primary().offset, 14u);
  EXPECT_EQ(red.primary().length, 4u);
  EXPECT_EQ(bytes[red.primary().offset], 0xC1);
}

TEST(RedPayload, LargestFieldValues) {
  std::vector<uint8_t> bytes;
  add_header(bytes, 127, 0x3FFF, 0);  // 14-bit offset and a zero-length redundant block
  bytes.push_back(kOpus);
  bytes.push_back(0x01);
  RedPayload red;
  ASSERT_EQ(parse(bytes, red), RedError::kNone);
  EXPECT_EQ(red.blocks[0].payload_type, 127);
  EXPECT_EQ(red.blocks[0].timestamp_offset, 0x3FFF);
  EXPECT_EQ(red.blocks[0].length, 0u);
  EXPECT_EQ(red.primary().length, 1u);
}

// The primary's length is what is left after the other blocks (RFC 2198 gives it no length
// field), so a cut inside the primary leaves a shorter primary; every other cut is refused.
TEST(RedPayload, EveryTruncation) {
  const auto bytes = three_blocks();
  for (size_t size = 0; size < bytes.size(); ++size) {
    RedPayload red;
    const RedError error = parse_red_payload(ByteSpan(bytes.data(), size), red);
    if (size < 9) {
      EXPECT_EQ(error, RedError::kTruncatedHeader) << size;
    } else if (size < 14) {
      EXPECT_EQ(error, RedError::kBlockPastEnd) << size;
    } else if (size == 14) {
      EXPECT_EQ(error, RedError::kEmptyPrimary) << size;
    } else {
      ASSERT_EQ(error, RedError::kNone) << size;
      EXPECT_EQ(red.primary().length, size - 14) << size;
    }
  }
  RedPayload red;
  EXPECT_EQ(parse_red_payload(ByteSpan(kOneBlock.data(), 0), red), RedError::kTruncatedHeader);
  EXPECT_EQ(parse_red_payload(ByteSpan(kOneBlock.data(), 1), red), RedError::kEmptyPrimary);
  // A header cut inside its 4 bytes.
  for (size_t size = 1; size < 4; ++size) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(size));
    EXPECT_EQ(parse(cut, red), RedError::kTruncatedHeader) << size;
  }
}

TEST(RedPayload, BlockLengthPastTheEnd) {
  std::vector<uint8_t> bytes;
  add_header(bytes, kOpus, 960, 1023);
  bytes.push_back(kOpus);
  bytes.insert(bytes.end(), 40, 0x55);
  RedPayload red;
  EXPECT_EQ(parse(bytes, red), RedError::kBlockPastEnd);
  // The lengths together reach past the end although each alone fits.
  bytes.clear();
  add_header(bytes, kOpus, 1920, 30);
  add_header(bytes, kOpus, 960, 30);
  bytes.push_back(kOpus);
  bytes.insert(bytes.end(), 50, 0x55);
  EXPECT_EQ(parse(bytes, red), RedError::kBlockPastEnd);
  // Exactly up to the end: nothing left for the primary.
  bytes.resize(9 + 60);
  EXPECT_EQ(parse(bytes, red), RedError::kEmptyPrimary);
}

TEST(RedPayload, HeadersWithoutAPrimaryHeader) {
  std::vector<uint8_t> bytes;
  for (int i = 0; i < 3; ++i) add_header(bytes, kOpus, 960, 0);
  RedPayload red;
  EXPECT_EQ(parse(bytes, red), RedError::kTruncatedHeader);
}

TEST(RedPayload, TooManyBlocks) {
  std::vector<uint8_t> bytes;
  for (size_t i = 0; i < kMaxRedBlocks; ++i) add_header(bytes, kOpus, 960, 0);
  bytes.push_back(kOpus);
  bytes.push_back(0x01);
  RedPayload red;
  EXPECT_EQ(parse(bytes, red), RedError::kTooManyBlocks);
  bytes.erase(bytes.begin(), bytes.begin() + 4);  // one fewer: kMaxRedBlocks blocks in all
  EXPECT_EQ(parse(bytes, red), RedError::kNone);
  EXPECT_EQ(red.block_count, kMaxRedBlocks);
}

TEST(RedPayload, RewritesBlockPayloadTypesInPlace) {
  auto bytes = three_blocks();
  bytes[4] = static_cast<uint8_t>(0x80 | 63);  // the second redundant block is of another PT
  RedPayload red;
  ASSERT_EQ(parse(bytes, red), RedError::kNone);
  rewrite_red_block_payload_types(MutableByteSpan(bytes.data(), bytes.size()), red, kOpus, 100);
  EXPECT_EQ(bytes[0], 0x80 | 100);
  EXPECT_EQ(bytes[4], 0x80 | 63);
  EXPECT_EQ(bytes[8], 100);
  RedPayload again;
  ASSERT_EQ(parse(bytes, again), RedError::kNone);
  EXPECT_EQ(again.primary().payload_type, 100);
  EXPECT_EQ(again.primary().length, 4u);
  EXPECT_EQ(bytes[9], 0xA1);  // data untouched
}
