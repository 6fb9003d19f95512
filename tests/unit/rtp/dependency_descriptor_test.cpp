// The AV1 Dependency Descriptor parser on the structures Chromium's encoders send (L1T3, L3T3,
// S3T3), built field by field per the AV1 RTP specification's appendix A, and on hostile input.
#include "rtp/dependency_descriptor.h"

#include <gtest/gtest.h>

#include "tests/unit/rtp/dependency_descriptor_writer.h"

using namespace sfu;
using namespace sfu::rtp;
using sfu::test::DdPacket;
using sfu::test::write_dd;

namespace {

struct Parsed {
  DependencyStructure structure;
  bool valid = false;
  DependencyFrame frame;
  DependencyDescriptorError feed(const std::vector<uint8_t>& bytes) {
    return parse_dependency_descriptor(ByteSpan(bytes), structure, valid, frame);
  }
};

constexpr auto kNone = DependencyDescriptorError::kNone;

}  // namespace

TEST(DependencyDescriptor, MandatoryFieldsAreTheFirstThreeBytes) {
  // start 1, end 0, template 5, frame number 0x1234: 10 000101 00010010 00110100.
  const std::vector<uint8_t> bytes = {0x85, 0x12, 0x34};
  Parsed p;
  p.valid = true;  // a structure with one template, as if received before
  p.structure.decode_target_count = 1;
  p.structure.template_count = 6;
  EXPECT_EQ(p.feed(bytes), kNone);
  EXPECT_TRUE(p.frame.start_of_frame);
  EXPECT_FALSE(p.frame.end_of_frame);
  EXPECT_EQ(p.frame.template_id, 5);
  EXPECT_EQ(p.frame.frame_number, 0x1234);
}

TEST(DependencyDescriptor, L1T3StructureAndItsFrames) {
  const auto structure = sfu::test::l1t3();
  Parsed p;
  ASSERT_EQ(p.feed(write_dd({.template_id = 0, .frame_number = 100, .structure = &structure})), kNone);
  EXPECT_TRUE(p.valid);
  EXPECT_TRUE(p.frame.carries_structure);
  const DependencyStructure& s = p.structure;
  EXPECT_EQ(s.decode_target_count, 3);
  EXPECT_EQ(s.template_count, 5);
  EXPECT_EQ(s.max_spatial_id, 0);
  EXPECT_EQ(s.max_temporal_id, 2);
  EXPECT_EQ(s.chain_count, 1);
  for (uint8_t dt = 0; dt < 3; ++dt) {
    EXPECT_EQ(s.decode_target_spatial_id[dt], 0);
    EXPECT_EQ(s.decode_target_temporal_id[dt], dt) << "decode target " << int{dt};
    EXPECT_EQ(s.decode_target_protected_by[dt], 0);
  }
  EXPECT_EQ(s.templates[1].fdiff_count, 1);
  EXPECT_EQ(s.templates[1].fdiffs[0], 4);
  EXPECT_EQ(s.templates[4].chain_fdiffs[0], 3);
  EXPECT_FALSE(s.has_resolutions);
  // A key frame is in every decode target, and every target is active.
  EXPECT_TRUE(p.frame.has_active_decode_targets);
  EXPECT_EQ(p.frame.active_decode_targets, 0b111u);
  for (uint8_t dt = 0; dt < 3; ++dt) EXPECT_TRUE(p.frame.in_decode_target(dt));

  // Then three-byte descriptors: T2 (template 3) is only in the 30 fps target, T1 in 15 and 30.
  ASSERT_EQ(p.feed(write_dd({.template_id = 3, .frame_number = 101})), kNone);
  EXPECT_EQ(p.frame.temporal_id, 2);
  EXPECT_FALSE(p.frame.in_decode_target(0));
  EXPECT_FALSE(p.frame.in_decode_target(1));
  EXPECT_TRUE(p.frame.in_decode_target(2));
  EXPECT_EQ(p.frame.dtis[2], DecodeTargetIndication::kDiscardable);
  EXPECT_EQ(p.frame.fdiff_count, 1);
  EXPECT_EQ(p.frame.fdiffs[0], 1);
  ASSERT_EQ(p.feed(write_dd({.template_id = 2, .frame_number = 102})), kNone);
  EXPECT_EQ(p.frame.temporal_id, 1);
  EXPECT_FALSE(p.frame.in_decode_target(0));
  EXPECT_TRUE(p.frame.in_decode_target(1));
  EXPECT_EQ(p.frame.dtis[2], DecodeTargetIndication::kSwitch);
  EXPECT_FALSE(p.frame.carries_structure);
}

TEST(DependencyDescriptor, L3T3StructureLayersDecodeTargetsAndResolutions) {
  const auto structure = sfu::test::three_by_three(false);
  Parsed p;
  ASSERT_EQ(p.feed(write_dd({.template_id = 0, .frame_number = 7, .structure = &structure})), kNone);
  const DependencyStructure& s = p.structure;
  EXPECT_EQ(s.decode_target_count, 9);
  EXPECT_EQ(s.template_count, 12);
  EXPECT_EQ(s.max_spatial_id, 2);
  EXPECT_EQ(s.max_temporal_id, 2);
  EXPECT_EQ(s.chain_count, 3);
  for (uint8_t dt = 0; dt < 9; ++dt) {
    EXPECT_EQ(s.decode_target_spatial_id[dt], dt / 3) << int{dt};
    EXPECT_EQ(s.decode_target_temporal_id[dt], dt % 3) << int{dt};
    EXPECT_EQ(s.decode_target_protected_by[dt], dt / 3) << int{dt};
  }
  ASSERT_TRUE(s.has_resolutions);
  EXPECT_EQ(s.widths[2], 1280);
  EXPECT_EQ(s.heights[2], 720);
  EXPECT_EQ(s.widths[0], 320);
  // S1T1 (template 6) is in every target of spatial layer 1 or 2 with temporal layer 1 or 2.
  ASSERT_EQ(p.feed(write_dd({.template_id = 6, .frame_number = 8})), kNone);
  EXPECT_EQ(p.frame.spatial_id, 1);
  EXPECT_EQ(p.frame.temporal_id, 1);
  for (uint8_t dt = 0; dt < 9; ++dt)
    EXPECT_EQ(p.frame.in_decode_target(dt), dt / 3 >= 1 && dt % 3 >= 1) << int{dt};
}

TEST(DependencyDescriptor, S3T3SpatialLayersAreIndependentStreams) {
  const auto structure = sfu::test::three_by_three(true);
  Parsed p;
  ASSERT_EQ(p.feed(write_dd({.template_id = 0, .frame_number = 1, .structure = &structure})), kNone);
  // S1T0 (template 5): only in spatial layer 1's targets.
  ASSERT_EQ(p.feed(write_dd({.template_id = 5, .frame_number = 2})), kNone);
  EXPECT_EQ(p.frame.spatial_id, 1);
  for (uint8_t dt = 0; dt < 9; ++dt) EXPECT_EQ(p.frame.in_decode_target(dt), dt / 3 == 1) << int{dt};
  EXPECT_EQ(p.structure.templates[4].fdiff_count, 0) << "S1's key frame needs nothing of S0";
}

TEST(DependencyDescriptor, TemplateIdsCountFromTheOffsetModulo64) {
  auto structure = sfu::test::l1t3();
  structure.template_id_offset = 62;
  Parsed p;
  ASSERT_EQ(p.feed(write_dd({.template_id = 62, .frame_number = 1, .structure = &structure})), kNone);
  ASSERT_EQ(p.feed(write_dd({.template_id = 1, .frame_number = 2})), kNone);  // (1 + 64 - 62) % 64 = 3
  EXPECT_EQ(p.frame.temporal_id, 2);
  EXPECT_EQ(p.feed(write_dd({.template_id = 5, .frame_number = 3})),
            DependencyDescriptorError::kUnknownTemplate);
}

TEST(DependencyDescriptor, ActiveDecodeTargetsAndCustomFields) {
  const auto structure = sfu::test::l1t3();
  Parsed p;
  ASSERT_EQ(p.feed(write_dd({.template_id = 0, .frame_number = 1, .structure = &structure})), kNone);
  ASSERT_EQ(p.feed(write_dd({.template_id = 1,
                             .frame_number = 2,
                             .active_decode_targets = 0b011u,
                             .decode_targets = 3,
                             .custom_dtis = "S-R",
                             .custom_fdiffs = std::vector<int>{1, 20, 300}})),
            kNone);
  EXPECT_TRUE(p.frame.has_active_decode_targets);
  EXPECT_EQ(p.frame.active_decode_targets, 0b011u);
  EXPECT_EQ(p.frame.dtis[0], DecodeTargetIndication::kSwitch);
  EXPECT_EQ(p.frame.dtis[1], DecodeTargetIndication::kNotPresent);
  EXPECT_EQ(p.frame.dtis[2], DecodeTargetIndication::kRequired);
  ASSERT_EQ(p.frame.fdiff_count, 3);
  EXPECT_EQ(p.frame.fdiffs[0], 1);
  EXPECT_EQ(p.frame.fdiffs[1], 20);
  EXPECT_EQ(p.frame.fdiffs[2], 300);
}

TEST(DependencyDescriptor, RefusesWhatItCannotResolve) {
  Parsed p;
  EXPECT_EQ(p.feed({0x80, 0x00}), DependencyDescriptorError::kTruncated);
  EXPECT_EQ(p.feed({}), DependencyDescriptorError::kTruncated);
  EXPECT_EQ(p.feed(write_dd({.template_id = 1, .frame_number = 2})), DependencyDescriptorError::kNoStructure);
}

TEST(DependencyDescriptor, EveryTruncationOfAStructureIsRefusedAndInvalidatesIt) {
  const auto structure = sfu::test::three_by_three(false);
  const auto bytes = write_dd({.template_id = 0, .frame_number = 1, .structure = &structure});
  for (size_t size = 4; size < bytes.size(); ++size) {
    Parsed p;
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(size));
    EXPECT_NE(p.feed(cut), kNone) << size;
    EXPECT_FALSE(p.valid) << size;
  }
}

TEST(DependencyDescriptor, BoundsTemplatesAndLayers) {
  // 65 templates of one layer: beyond the 64 the spec allows.
  sfu::test::DdStructure many;
  many.decode_targets = 1;
  for (int i = 0; i < 65; ++i) many.templates.push_back({0, 0, "S", {}, {}});
  Parsed p;
  EXPECT_EQ(p.feed(write_dd({.structure = &many})), DependencyDescriptorError::kOutOfBounds);
  // Five spatial layers: beyond the four.
  sfu::test::DdStructure wide;
  wide.decode_targets = 1;
  for (int s = 0; s < 5; ++s) wide.templates.push_back({s, 0, "S", {}, {}});
  EXPECT_EQ(p.feed(write_dd({.structure = &wide})), DependencyDescriptorError::kOutOfBounds);
  // Nine reference diffs on one template: beyond the eight kept.
  sfu::test::DdStructure deep;
  deep.decode_targets = 1;
  deep.templates.push_back({0, 0, "S", {1, 2, 3, 4, 5, 6, 7, 8, 9}, {}});
  EXPECT_EQ(p.feed(write_dd({.structure = &deep})), DependencyDescriptorError::kOutOfBounds);
}
