// The VP9 payload descriptor (RFC 9628 section 4.2) in both modes, with the scalability
// structure Chromium's L3T3_KEY key frames carry, and truncated or malformed input.
#include "rtp/vp9_descriptor.h"

#include <gtest/gtest.h>

#include <vector>

#include "rtp/keyframe_detector.h"

using namespace sfu;
using namespace sfu::rtp;

namespace {

// A key frame's first packet in non-flexible mode: I L B V set, 15-bit picture id 0x1234,
// TID 0 U 0 SID 0 D 0, TL0PICIDX 9, SS with 3 spatial layers (sizes 320x180, 640x360,
// 1280x720) and a group of 1 picture (TID 0, U 0, 1 reference with P_DIFF 1), then payload.
const std::vector<uint8_t> kKeyframeStart = {0xAA,        // I P=0 L F=0 B E=0 V Z=0
                                             0x92, 0x34,  // M, picture id
                                             0x00,        // TID U SID D
                                             0x09,        // TL0PICIDX
                                             0x58,        // N_S=2, Y, G
                                             0x01, 0x40, 0x00, 0xB4, 0x02, 0x80,
                                             0x01, 0x68, 0x05, 0x00, 0x02, 0xD0,  // sizes
                                             0x01,                                // N_G
                                             0x04, 0x01,                          // TID 0 U 0 R 1, P_DIFF 1
                                             0x82, 0x49, 0x83};                   // VP9 frame

}  // namespace

TEST(Vp9Descriptor, NonFlexibleKeyframeWithScalabilityStructure) {
  auto d = parse_vp9_descriptor(kKeyframeStart);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->has_picture_id);
  EXPECT_TRUE(d->picture_id_15_bit);
  EXPECT_EQ(d->picture_id, 0x1234);
  EXPECT_FALSE(d->inter_picture);
  EXPECT_TRUE(d->has_layer_indices);
  EXPECT_FALSE(d->flexible);
  EXPECT_TRUE(d->begins_layer_frame);
  EXPECT_FALSE(d->ends_layer_frame);
  EXPECT_TRUE(d->has_tl0_pic_idx);
  EXPECT_EQ(d->tl0_pic_idx, 9);
  EXPECT_EQ(d->spatial_layers, 3);
  ASSERT_TRUE(d->has_resolutions);
  EXPECT_EQ(d->widths[0], 320);
  EXPECT_EQ(d->heights[1], 360);
  EXPECT_EQ(d->widths[2], 1280);
  EXPECT_EQ(d->heights[2], 720);
  EXPECT_EQ(d->picture_group_size, 1);
  EXPECT_EQ(d->size, kKeyframeStart.size() - 3);
  EXPECT_TRUE(d->starts_keyframe());
  EXPECT_TRUE(is_vp9_keyframe_start(kKeyframeStart)) << "agrees with the keyframe detector";
}

TEST(Vp9Descriptor, LayerIndicesOfAnUpperLayerDeltaFrame) {
  // P L E, 7-bit picture id 5, TID 2 U 1 SID 1 D 1, TL0PICIDX 200, payload.
  const std::vector<uint8_t> bytes = {0xE4, 0x05, 0x53, 200, 0x11};
  auto d = parse_vp9_descriptor(bytes);
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->picture_id_15_bit);
  EXPECT_EQ(d->picture_id, 5);
  EXPECT_TRUE(d->inter_picture);
  EXPECT_EQ(d->temporal_id, 2);
  EXPECT_TRUE(d->switching_up_point);
  EXPECT_EQ(d->spatial_id, 1);
  EXPECT_TRUE(d->inter_layer_dependent);
  EXPECT_EQ(d->tl0_pic_idx, 200);
  EXPECT_FALSE(d->begins_layer_frame);
  EXPECT_TRUE(d->ends_layer_frame);
  EXPECT_FALSE(d->starts_keyframe());
}

TEST(Vp9Descriptor, FlexibleModeReferences) {
  // I P L F B, picture id 0x0102 (15 bit), TID 1 SID 0, P_DIFFs 1 (N) and 2, payload.
  const std::vector<uint8_t> bytes = {0xF8, 0x81, 0x02, 0x20, 0x03, 0x04, 0x77};
  auto d = parse_vp9_descriptor(bytes);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->flexible);
  EXPECT_FALSE(d->has_tl0_pic_idx);
  EXPECT_EQ(d->temporal_id, 1);
  EXPECT_EQ(d->reference_count, 2);
  EXPECT_EQ(d->size, 6u);
}

TEST(Vp9Descriptor, RefusesTruncatedAndMalformed) {
  for (size_t size = 0; size < kKeyframeStart.size() - 2; ++size) {
    std::vector<uint8_t> cut(kKeyframeStart.begin(),
                             kKeyframeStart.begin() + static_cast<std::ptrdiff_t>(size));
    EXPECT_FALSE(parse_vp9_descriptor(cut)) << size;
  }
  // Flexible, P, no layer indices, four P_DIFFs: at most three are allowed (three pass).
  EXPECT_TRUE(parse_vp9_descriptor(std::vector<uint8_t>{0x58, 0x03, 0x03, 0x02, 0x77}));
  EXPECT_FALSE(parse_vp9_descriptor(std::vector<uint8_t>{0x58, 0x03, 0x03, 0x03, 0x02, 0x77}));
}

TEST(Vp9Descriptor, SetsAndClearsEndOfLayerFrame) {
  std::vector<uint8_t> bytes = kKeyframeStart;
  set_vp9_end_of_layer_frame(bytes, true);
  EXPECT_TRUE(parse_vp9_descriptor(bytes)->ends_layer_frame);
  set_vp9_end_of_layer_frame(bytes, false);
  EXPECT_FALSE(parse_vp9_descriptor(bytes)->ends_layer_frame);
  EXPECT_EQ(bytes, kKeyframeStart);
}
