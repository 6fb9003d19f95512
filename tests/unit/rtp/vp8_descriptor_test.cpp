// The VP8 payload descriptor (RFC 7741 section 4.2): parse, in-place rewrite of picture id and
// TL0PICIDX, key frame size, and the picture id rewriter that splices simulcast layers.
#include "rtp/vp8_descriptor.h"

#include <gtest/gtest.h>

#include <vector>

#include "rtp/picture_id_rewriter.h"

namespace sfu::rtp {
namespace {

// X=1, S=1, PID=0; I, L, T set; M=1 (15-bit picture id); TID 2, Y=1; then one payload byte.
std::vector<uint8_t> full_descriptor(uint16_t picture_id, uint8_t tl0) {
  return {0x90,
          0xE0,
          static_cast<uint8_t>(0x80 | (picture_id >> 8)),
          static_cast<uint8_t>(picture_id & 0xFF),
          tl0,
          0xA0,
          0x55};
}

// X=1, I only, M=0 (7-bit picture id); S=1.
std::vector<uint8_t> short_descriptor(uint8_t picture_id) {
  return {0x90, 0x80, static_cast<uint8_t>(picture_id & 0x7F), 0x55};
}

TEST(Vp8Descriptor, ParsesEveryOptionalField) {
  auto payload = full_descriptor(0x1234, 77);
  auto d = parse_vp8_descriptor(payload);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->starts_frame());
  EXPECT_TRUE(d->has_picture_id);
  EXPECT_TRUE(d->picture_id_15_bit);
  EXPECT_EQ(d->picture_id, 0x1234);
  EXPECT_EQ(d->picture_id_offset, 2u);
  EXPECT_TRUE(d->has_tl0_pic_idx);
  EXPECT_EQ(d->tl0_pic_idx, 77);
  EXPECT_EQ(d->tl0_offset, 4u);
  EXPECT_TRUE(d->has_tid);
  EXPECT_EQ(d->tid, 2);
  EXPECT_TRUE(d->layer_sync);
  EXPECT_FALSE(d->has_key_idx);
  EXPECT_EQ(d->size, 6u);
}

TEST(Vp8Descriptor, ParsesTheMinimalAndSevenBitForms) {
  std::vector<uint8_t> minimal = {0x10, 0x55};
  auto d = parse_vp8_descriptor(minimal);
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->has_picture_id);
  EXPECT_EQ(d->size, 1u);
  auto seven = short_descriptor(0x45);
  d = parse_vp8_descriptor(seven);
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->picture_id_15_bit);
  EXPECT_EQ(d->picture_id, 0x45);
  EXPECT_EQ(d->size, 3u);
}

TEST(Vp8Descriptor, RefusesEveryTruncation) {
  auto payload = full_descriptor(0x1234, 77);
  for (size_t size = 0; size < payload.size(); ++size)
    EXPECT_FALSE(parse_vp8_descriptor(ByteSpan(payload.data(), size))) << size << " bytes";
}

TEST(Vp8Descriptor, RewritesInPlaceKeepingTheFieldWidth) {
  auto payload = full_descriptor(0x1234, 77);
  auto d = *parse_vp8_descriptor(payload);
  write_vp8_picture_id(payload, d, 0x7ABC);
  write_vp8_tl0_pic_idx(payload, d, 3);
  auto again = *parse_vp8_descriptor(payload);
  EXPECT_EQ(again.picture_id, 0x7ABC);
  EXPECT_TRUE(again.picture_id_15_bit);
  EXPECT_EQ(again.tl0_pic_idx, 3);
  EXPECT_EQ(again.tid, 2) << "the rest is untouched";
  auto seven = short_descriptor(5);
  auto s = *parse_vp8_descriptor(seven);
  write_vp8_picture_id(seven, s, 0x1FF);
  EXPECT_EQ(parse_vp8_descriptor(seven)->picture_id, 0x7F) << "a 7-bit field is written modulo 128";
  EXPECT_EQ(seven.size(), 4u);
}

TEST(Vp8Descriptor, ReadsTheKeyFrameSize) {
  // S=1, then frame tag with P=0, start code, 640 (0x280) x 360 (0x168), scaling bits set.
  std::vector<uint8_t> key = {0x10, 0x50, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x42, 0x68, 0xC1};
  auto size = vp8_keyframe_size(key);
  ASSERT_TRUE(size);
  EXPECT_EQ(size->width, 640);
  EXPECT_EQ(size->height, 360);
  std::vector<uint8_t> delta = key;
  delta[1] = 0x51;  // P=1
  EXPECT_FALSE(vp8_keyframe_size(delta));
  EXPECT_FALSE(vp8_keyframe_size(ByteSpan(key.data(), key.size() - 1)));
}

uint16_t rewrite(Vp8PictureIdRewriter& rewriter, std::vector<uint8_t> payload, uint8_t* tl0 = nullptr) {
  auto d = *parse_vp8_descriptor(payload);
  rewriter.rewrite(payload, d, true);
  auto out = *parse_vp8_descriptor(payload);
  if (tl0) *tl0 = out.tl0_pic_idx;
  return out.picture_id;
}

TEST(Vp8PictureIdRewriter, TheFirstSourceGoesThroughUnchanged) {
  Vp8PictureIdRewriter rewriter;
  rewriter.restart();
  EXPECT_EQ(rewrite(rewriter, full_descriptor(100, 7)), 100);
  EXPECT_EQ(rewrite(rewriter, full_descriptor(101, 8)), 101);
}

TEST(Vp8PictureIdRewriter, ASwitchContinuesPictureIdAndTl0PicIdx) {
  Vp8PictureIdRewriter rewriter;
  rewriter.restart();
  uint8_t tl0 = 0;
  EXPECT_EQ(rewrite(rewriter, full_descriptor(100, 7), &tl0), 100);
  EXPECT_EQ(rewrite(rewriter, full_descriptor(101, 8), &tl0), 101);
  rewriter.restart();  // another layer, its own numbering
  EXPECT_EQ(rewrite(rewriter, full_descriptor(30000, 200), &tl0), 102);
  EXPECT_EQ(tl0, 9);
  EXPECT_EQ(rewrite(rewriter, full_descriptor(30001, 201), &tl0), 103);
  EXPECT_EQ(tl0, 10);
}

TEST(Vp8PictureIdRewriter, WrapsThe15BitSpace) {
  Vp8PictureIdRewriter rewriter;
  rewriter.restart();
  rewrite(rewriter, full_descriptor(0x7FFE, 255));
  rewriter.restart();
  uint8_t tl0 = 0;
  EXPECT_EQ(rewrite(rewriter, full_descriptor(5, 1), &tl0), 0x7FFF);
  EXPECT_EQ(tl0, 0) << "TL0PICIDX wraps at 256";
  EXPECT_EQ(rewrite(rewriter, full_descriptor(6, 2)), 0) << "and the picture id at 2^15";
  EXPECT_EQ(rewrite(rewriter, full_descriptor(7, 3)), 1);
}

TEST(Vp8PictureIdRewriter, SevenBitAndFifteenBitSourcesStayContinuous) {
  Vp8PictureIdRewriter rewriter;
  rewriter.restart();
  EXPECT_EQ(rewrite(rewriter, short_descriptor(126)), 126);
  EXPECT_EQ(rewrite(rewriter, short_descriptor(127)), 127);
  EXPECT_EQ(rewrite(rewriter, short_descriptor(0)), 0) << "the source's own 7-bit wrap";
  rewriter.restart();  // 7 -> 15 bits
  uint16_t first15 = rewrite(rewriter, full_descriptor(20000, 1));
  EXPECT_EQ(first15 & 0x7F, 1) << "continues the 7-bit sequence modulo 128";
  uint16_t next15 = rewrite(rewriter, full_descriptor(20001, 2));
  EXPECT_EQ(next15, static_cast<uint16_t>(first15 + 1));
  rewriter.restart();  // 15 -> 7 bits
  EXPECT_EQ(rewrite(rewriter, short_descriptor(90)), (next15 + 1) & 0x7F);
}

TEST(Vp8PictureIdRewriter, AnOlderPacketDoesNotMoveTheSplicePoint) {
  Vp8PictureIdRewriter rewriter;
  rewriter.restart();
  rewrite(rewriter, full_descriptor(50, 1));
  auto late = full_descriptor(40, 0);  // a retransmission of an older picture
  auto d = *parse_vp8_descriptor(late);
  rewriter.rewrite(late, d, /*newest=*/false);
  rewriter.restart();
  EXPECT_EQ(rewrite(rewriter, full_descriptor(9000, 9)), 51);
}

}  // namespace
}  // namespace sfu::rtp
