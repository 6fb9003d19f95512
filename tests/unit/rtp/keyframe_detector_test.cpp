// Tests for rtp/keyframe_detector.h with hand-built payloads. Field layouts: RFC 7741 section 4.2
// (VP8 descriptor) and RFC 6386 section 9.1 (VP8 frame tag), RFC 9628 section 4.2 (VP9
// descriptor and scalability structure), RFC 6184 sections 5.6-5.8 (H.264), and section 4.4 of the
// AOMedia RTP payload format for AV1 (aggregation header).

#include "rtp/keyframe_detector.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

namespace sfu::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes concat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// Every proper prefix of `payload` (including the empty one) shorter than `min_valid` bytes is
// rejected, and none of them is read past its end (ASan checks that: each prefix is copied into
// its own exactly-sized heap buffer).
void expect_prefixes_rejected(VideoCodec codec, const Bytes& payload, size_t min_valid) {
  for (size_t n = 0; n < min_valid && n < payload.size(); ++n) {
    const Bytes prefix(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_FALSE(is_keyframe_start(codec, prefix)) << "prefix of " << n << " bytes";
  }
}

// --- codec names -----------------------------------------------------------------------------------

TEST(KeyframeDetectorTest, CodecFromName) {
  EXPECT_EQ(video_codec_from_name("VP8"), VideoCodec::VP8);
  EXPECT_EQ(video_codec_from_name("vp8"), VideoCodec::VP8);
  EXPECT_EQ(video_codec_from_name("Vp9"), VideoCodec::VP9);
  EXPECT_EQ(video_codec_from_name("h264"), VideoCodec::H264);
  EXPECT_EQ(video_codec_from_name("H264"), VideoCodec::H264);
  EXPECT_EQ(video_codec_from_name("AV1"), VideoCodec::AV1);
  EXPECT_EQ(video_codec_from_name("av1x"), VideoCodec::AV1);
  EXPECT_EQ(video_codec_from_name("video/VP8"), VideoCodec::VP8);
  EXPECT_EQ(video_codec_from_name("VIDEO/h264"), VideoCodec::H264);
  EXPECT_EQ(video_codec_from_name(""), VideoCodec::Unknown);
  EXPECT_EQ(video_codec_from_name("video/"), VideoCodec::Unknown);
  EXPECT_EQ(video_codec_from_name("opus"), VideoCodec::Unknown);
  EXPECT_EQ(video_codec_from_name("H265"), VideoCodec::Unknown);
  EXPECT_EQ(video_codec_from_name("VP8 "), VideoCodec::Unknown);
  EXPECT_EQ(video_codec_from_name("audio/VP8"), VideoCodec::Unknown);
  EXPECT_STREQ(to_string(VideoCodec::VP9), "VP9");
  EXPECT_STREQ(to_string(VideoCodec::Unknown), "unknown");
}

TEST(KeyframeDetectorTest, UnknownCodecIsNeverAKeyframe) {
  EXPECT_FALSE(is_keyframe_start(VideoCodec::Unknown, Bytes{0x10, 0x50, 0, 0, 0x9d, 0x01, 0x2a, 0, 0, 0, 0}));
}

// --- VP8 -------------------------------------------------------------------------------------------

// Key frame tag: P=0 (bit 0), version 0, show_frame 1, first partition size bits; then the start
// code 9d 01 2a and a 14-bit width and height (640x480).
const Bytes kVp8KeyFrameHeader = {0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01, 0xaa, 0xbb};
// Inter frame tag: P=1.
const Bytes kVp8InterFrameHeader = {0x51, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01, 0xaa, 0xbb};

TEST(KeyframeDetectorTest, Vp8KeyframeWithoutExtensions) {
  const Bytes payload = concat({0x10}, kVp8KeyFrameHeader);  // S=1, PID=0
  EXPECT_TRUE(is_keyframe_start(VideoCodec::VP8, payload));
  EXPECT_TRUE(is_vp8_keyframe_start(payload));
  expect_prefixes_rejected(VideoCodec::VP8, payload, 1 + 10);
}

TEST(KeyframeDetectorTest, Vp8KeyframeWithAllExtensions) {
  // X=1 N=0 S=1 PID=0; I L T K; M=1 15-bit picture id 0x0123; TL0PICIDX 5; TID 0 Y 1 KEYIDX 0.
  const Bytes descriptor = {0x90, 0xf0, 0x81, 0x23, 0x05, 0x20};
  const Bytes payload = concat(descriptor, kVp8KeyFrameHeader);
  EXPECT_TRUE(is_keyframe_start(VideoCodec::VP8, payload));
  expect_prefixes_rejected(VideoCodec::VP8, payload, descriptor.size() + 10);
}

TEST(KeyframeDetectorTest, Vp8KeyframeWithShortPictureIdAndSingleExtensions) {
  EXPECT_TRUE(is_vp8_keyframe_start(concat({0x90, 0x80, 0x7f}, kVp8KeyFrameHeader)));  // I, 7-bit id
  EXPECT_TRUE(is_vp8_keyframe_start(concat({0x90, 0x40, 0x05}, kVp8KeyFrameHeader)));  // L only
  EXPECT_TRUE(is_vp8_keyframe_start(concat({0x90, 0x20, 0x40}, kVp8KeyFrameHeader)));  // T only
  EXPECT_TRUE(is_vp8_keyframe_start(concat({0x90, 0x10, 0x01}, kVp8KeyFrameHeader)));  // K only
  EXPECT_TRUE(is_vp8_keyframe_start(concat({0x90, 0x00}, kVp8KeyFrameHeader)));        // X, nothing set
  EXPECT_TRUE(is_vp8_keyframe_start(concat({0xb0, 0x00}, kVp8KeyFrameHeader)));        // N=1 is fine
  // T and K share one byte: skipping two would put the frame tag one byte off.
  EXPECT_TRUE(is_vp8_keyframe_start(concat({0x90, 0x30, 0x00}, kVp8KeyFrameHeader)));
  EXPECT_FALSE(is_vp8_keyframe_start(concat({0x90, 0x30, 0x00, 0x00}, kVp8KeyFrameHeader)));
  // A 15-bit picture id is two bytes: with M=0 the second byte is taken as the frame tag.
  EXPECT_FALSE(is_vp8_keyframe_start(concat({0x90, 0x80, 0x01, 0x23}, kVp8KeyFrameHeader)));
}

TEST(KeyframeDetectorTest, Vp8DeltaFrameAndOtherPackets) {
  EXPECT_FALSE(is_vp8_keyframe_start(concat({0x10}, kVp8InterFrameHeader)));
  EXPECT_FALSE(is_vp8_keyframe_start(concat({0x90, 0x80, 0x11}, kVp8InterFrameHeader)));
  // Not the start of partition 0: S=0, or S=1 with PID 1.
  EXPECT_FALSE(is_vp8_keyframe_start(concat({0x00}, kVp8KeyFrameHeader)));
  EXPECT_FALSE(is_vp8_keyframe_start(concat({0x11}, kVp8KeyFrameHeader)));
  // P=0 but no start code: not a valid key frame header.
  Bytes bad_start_code = concat({0x10}, kVp8KeyFrameHeader);
  bad_start_code[5] = 0x00;
  EXPECT_FALSE(is_vp8_keyframe_start(bad_start_code));
}

// --- VP9 -------------------------------------------------------------------------------------------

// Non-flexible mode: I=1 P=0 L=1 F=0 B=1 E=0 V=1 Z=0; picture id (M=1) 0x002a; layer byte TID 0
// U 0 SID 0 D 0; TL0PICIDX 7; SS with N_S=0 Y=1 G=1, 640x360, N_G=1 with one picture TID 0 U 0
// R=1 and its P_DIFF 1.
const Bytes kVp9NonFlexibleKeyDescriptor = {0xaa, 0x80, 0x2a, 0x00, 0x07, 0x18, 0x02,
                                            0x80, 0x01, 0x68, 0x01, 0x04, 0x01};
const Bytes kVp9FrameData = {0x82, 0x49, 0x83, 0x42, 0x00};

TEST(KeyframeDetectorTest, Vp9NonFlexibleKeyframeWithScalabilityStructure) {
  const Bytes payload = concat(kVp9NonFlexibleKeyDescriptor, kVp9FrameData);
  EXPECT_TRUE(is_keyframe_start(VideoCodec::VP9, payload));
  EXPECT_TRUE(is_vp9_keyframe_start(payload));
  // Every prefix that ends inside the descriptor, or right after it, is rejected.
  expect_prefixes_rejected(VideoCodec::VP9, payload, kVp9NonFlexibleKeyDescriptor.size() + 1);
}

TEST(KeyframeDetectorTest, Vp9MinimalKeyframe) {
  EXPECT_TRUE(is_vp9_keyframe_start(Bytes{0x08, 0x82}));  // only B set
  EXPECT_TRUE(is_vp9_keyframe_start(Bytes{0x0c, 0x82}));  // B and E: a whole frame
  EXPECT_FALSE(is_vp9_keyframe_start(Bytes{0x08}));       // no payload after the descriptor
}

TEST(KeyframeDetectorTest, Vp9FlexibleModeHasNoTl0PicIdx) {
  // I=1 L=1 F=1 B=1; 7-bit picture id; layer byte; then one byte. In flexible mode that byte is
  // payload; in non-flexible mode it would be TL0PICIDX and leave no payload.
  EXPECT_TRUE(is_vp9_keyframe_start(Bytes{0xb8, 0x11, 0x00, 0x82}));
  EXPECT_FALSE(is_vp9_keyframe_start(Bytes{0xa8, 0x11, 0x00, 0x82}));
  EXPECT_TRUE(is_vp9_keyframe_start(Bytes{0xa8, 0x11, 0x00, 0x00, 0x82}));
}

TEST(KeyframeDetectorTest, Vp9ScalabilityStructureWithThreeLayers) {
  // V=1 B=1 (0x0a); SS: N_S=2 Y=1 G=0, three 4-byte resolutions; then payload.
  const Bytes payload = {0x0a, 0x50, 0x01, 0x40, 0x00, 0xb4, 0x02, 0x80,
                         0x01, 0x68, 0x05, 0x00, 0x02, 0xd0, 0x82};
  EXPECT_TRUE(is_vp9_keyframe_start(payload));
  expect_prefixes_rejected(VideoCodec::VP9, payload, payload.size());
  // SS with G=1 and N_G=0: no picture descriptions follow.
  EXPECT_TRUE(is_vp9_keyframe_start(Bytes{0x0a, 0x08, 0x00, 0x82}));
  EXPECT_FALSE(is_vp9_keyframe_start(Bytes{0x0a, 0x08, 0x00}));
  // G=1, N_G=2 with R=3 and R=0.
  EXPECT_TRUE(is_vp9_keyframe_start(Bytes{0x0a, 0x08, 0x02, 0x0c, 0x01, 0x02, 0x03, 0x20, 0x82}));
  EXPECT_FALSE(is_vp9_keyframe_start(Bytes{0x0a, 0x08, 0x02, 0x0c, 0x01, 0x02, 0x03, 0x20}));
}

TEST(KeyframeDetectorTest, Vp9DeltaFramesAndUpperLayers) {
  // P=1: inter-picture predicted.
  Bytes inter = concat(kVp9NonFlexibleKeyDescriptor, kVp9FrameData);
  inter[0] |= 0x40;
  EXPECT_FALSE(is_vp9_keyframe_start(inter));
  // Flexible mode delta with a P_DIFF: I=1 P=1 L=1 F=1 B=1.
  EXPECT_FALSE(is_vp9_keyframe_start(Bytes{0xf8, 0x11, 0x00, 0x02, 0x82}));
  // B=0: not the start of a frame.
  Bytes middle = concat(kVp9NonFlexibleKeyDescriptor, kVp9FrameData);
  middle[0] &= static_cast<uint8_t>(~0x08);
  EXPECT_FALSE(is_vp9_keyframe_start(middle));
  // Spatial layer 1 of a keyframe (P=0, inter-layer predicted): SID=1 in the layer byte.
  Bytes upper_layer = concat(kVp9NonFlexibleKeyDescriptor, kVp9FrameData);
  upper_layer[3] = 0x03;  // SID 1, D 1
  EXPECT_FALSE(is_vp9_keyframe_start(upper_layer));
  // SID 0 with a temporal id set is still the base spatial layer.
  Bytes with_tid = concat(kVp9NonFlexibleKeyDescriptor, kVp9FrameData);
  with_tid[3] = 0x20;  // TID 1
  EXPECT_TRUE(is_vp9_keyframe_start(with_tid));
}

// --- H.264 -----------------------------------------------------------------------------------------

const Bytes kH264Sps = {0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01};
const Bytes kH264Pps = {0x68, 0xce, 0x3c, 0x80};
const Bytes kH264Idr = {0x65, 0x88, 0x84, 0x00, 0x33};
const Bytes kH264NonIdr = {0x41, 0x9a, 0x02, 0x04};

Bytes stap_a(const std::vector<Bytes>& nal_units) {
  Bytes out = {0x78};  // NRI 3, type 24
  for (const Bytes& nal : nal_units) {
    out.push_back(static_cast<uint8_t>(nal.size() >> 8));
    out.push_back(static_cast<uint8_t>(nal.size()));
    out.insert(out.end(), nal.begin(), nal.end());
  }
  return out;
}

TEST(KeyframeDetectorTest, H264SingleNalUnits) {
  EXPECT_TRUE(is_keyframe_start(VideoCodec::H264, kH264Idr));
  EXPECT_TRUE(is_h264_keyframe_start(kH264Sps));
  EXPECT_FALSE(is_h264_keyframe_start(kH264Pps));
  EXPECT_FALSE(is_h264_keyframe_start(kH264NonIdr));
  EXPECT_FALSE(is_h264_keyframe_start(Bytes{0x06, 0x05, 0x01}));  // SEI
  EXPECT_FALSE(is_h264_keyframe_start(Bytes{0x65}));              // a header and nothing else
  EXPECT_FALSE(is_h264_keyframe_start(Bytes{0xe5, 0x88}));        // forbidden_zero_bit set
  EXPECT_TRUE(is_h264_keyframe_start(Bytes{0x05, 0x88}));         // NRI 0 is still an IDR slice
}

TEST(KeyframeDetectorTest, H264StapA) {
  const Bytes keyframe = stap_a({kH264Sps, kH264Pps, kH264Idr});
  EXPECT_TRUE(is_h264_keyframe_start(keyframe));
  EXPECT_TRUE(is_h264_keyframe_start(stap_a({kH264Pps, kH264Idr})));
  EXPECT_TRUE(is_h264_keyframe_start(stap_a({kH264Sps})));
  EXPECT_FALSE(is_h264_keyframe_start(stap_a({kH264Pps, kH264NonIdr})));
  EXPECT_FALSE(is_h264_keyframe_start(stap_a({})));  // no NAL units at all

  // Cut inside the size field or inside a NAL unit: malformed. (A cut exactly at a NAL unit
  // boundary leaves a valid, shorter STAP-A.)
  const size_t sps_end = 1 + 2 + kH264Sps.size();
  const size_t pps_end = sps_end + 2 + kH264Pps.size();
  for (size_t n = 0; n < keyframe.size(); ++n) {
    const Bytes prefix(keyframe.begin(), keyframe.begin() + static_cast<std::ptrdiff_t>(n));
    const bool at_boundary = n == sps_end || n == pps_end;
    EXPECT_EQ(is_h264_keyframe_start(prefix), at_boundary) << n;
  }
}

TEST(KeyframeDetectorTest, H264MalformedStapA) {
  Bytes too_long = stap_a({kH264Sps});
  too_long[2] = static_cast<uint8_t>(kH264Sps.size() + 1);  // size runs past the end
  EXPECT_FALSE(is_h264_keyframe_start(too_long));
  EXPECT_FALSE(is_h264_keyframe_start(concat(stap_a({kH264Sps}), {0x00, 0x00})));  // zero size
  EXPECT_FALSE(is_h264_keyframe_start(concat(stap_a({kH264Sps}), {0x00})));        // half a size field
  EXPECT_FALSE(is_h264_keyframe_start(stap_a({kH264Sps, {0xe5, 0x00}})));          // forbidden bit inside
  Bytes forbidden = stap_a({kH264Sps});
  forbidden[0] |= 0x80;
  EXPECT_FALSE(is_h264_keyframe_start(forbidden));
}

TEST(KeyframeDetectorTest, H264FuA) {
  // FU indicator: NRI 3, type 28. FU header: S E R type.
  EXPECT_TRUE(is_h264_keyframe_start(Bytes{0x7c, 0x85, 0x88, 0x84}));   // S=1, IDR
  EXPECT_TRUE(is_h264_keyframe_start(Bytes{0x7c, 0x87, 0x42}));         // S=1, SPS
  EXPECT_FALSE(is_h264_keyframe_start(Bytes{0x7c, 0x05, 0x88, 0x84}));  // middle fragment
  EXPECT_FALSE(is_h264_keyframe_start(Bytes{0x7c, 0x45, 0x88, 0x84}));  // last fragment
  EXPECT_FALSE(is_h264_keyframe_start(Bytes{0x7c, 0x81, 0x9a}));        // S=1, non-IDR slice
  EXPECT_FALSE(is_h264_keyframe_start(Bytes{0x7c, 0x85}));              // no fragment data
  EXPECT_FALSE(is_h264_keyframe_start(Bytes{0x7c}));
}

TEST(KeyframeDetectorTest, H264InterleavedModeTypesAreNotRecognised) {
  EXPECT_FALSE(is_h264_keyframe_start(Bytes{0x79, 0x00, 0x01, 0x00, 0x06, 0x65, 0x88}));  // STAP-B
  EXPECT_FALSE(is_h264_keyframe_start(Bytes{0x7a, 0x00, 0x01, 0x00, 0x06, 0x65, 0x88}));  // MTAP16
  EXPECT_FALSE(is_h264_keyframe_start(Bytes{0x7d, 0x85, 0x00, 0x01, 0x88}));              // FU-B
  EXPECT_FALSE(is_h264_keyframe_start(Bytes{0x60, 0x00}));  // type 0 is unspecified
}

// --- AV1 -------------------------------------------------------------------------------------------

// Sequence header OBU (type 1, no size field) and a frame OBU (type 6).
const Bytes kAv1SequenceHeader = {0x08, 0x00, 0x00, 0x00, 0x42, 0xab};
const Bytes kAv1Frame = {0x30, 0x10, 0x20, 0x30};

TEST(KeyframeDetectorTest, Av1NewCodedVideoSequence) {
  // Z=0 Y=0 W=2 N=1; the first element length-prefixed, the last one not.
  Bytes payload = {0x28, static_cast<uint8_t>(kAv1SequenceHeader.size())};
  payload = concat(concat(payload, kAv1SequenceHeader), kAv1Frame);
  EXPECT_TRUE(is_keyframe_start(VideoCodec::AV1, payload));
  EXPECT_TRUE(is_av1_keyframe_start(payload));
  // Cut anywhere before the last element has a byte: rejected.
  expect_prefixes_rejected(VideoCodec::AV1, payload, 2 + kAv1SequenceHeader.size() + 1);
}

TEST(KeyframeDetectorTest, Av1EveryElementLengthPrefixed) {
  // W=0: every element has a LEB128 length.
  Bytes payload = {0x08, static_cast<uint8_t>(kAv1SequenceHeader.size())};
  payload = concat(payload, kAv1SequenceHeader);
  payload.push_back(static_cast<uint8_t>(kAv1Frame.size()));
  payload = concat(payload, kAv1Frame);
  EXPECT_TRUE(is_av1_keyframe_start(payload));
  // A cut anywhere except right after the first element leaves an element running past the end.
  const size_t first_end = 2 + kAv1SequenceHeader.size();
  for (size_t n = 0; n < payload.size(); ++n) {
    const Bytes prefix(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(is_av1_keyframe_start(prefix), n == first_end) << n;
  }
}

TEST(KeyframeDetectorTest, Av1SingleElementAndMultiByteLengths) {
  EXPECT_TRUE(is_av1_keyframe_start(concat({0x18}, kAv1SequenceHeader)));  // W=1
  // A 130-byte element: LEB128 0x82 0x01.
  Bytes big = {0x08, 0x82, 0x01, 0x08};
  big.resize(3 + 130, 0x55);
  EXPECT_TRUE(is_av1_keyframe_start(big));
  big.pop_back();
  EXPECT_FALSE(is_av1_keyframe_start(big));
  // A length of 8 LEB128 bytes is the most allowed; 9 (or one that never ends) is malformed.
  EXPECT_TRUE(is_av1_keyframe_start(Bytes{0x08, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x08}));
  EXPECT_FALSE(
      is_av1_keyframe_start(Bytes{0x08, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x08}));
  EXPECT_FALSE(is_av1_keyframe_start(Bytes{0x08, 0xff, 0xff}));
  // A huge length does not wrap around.
  EXPECT_FALSE(is_av1_keyframe_start(Bytes{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x08}));
}

TEST(KeyframeDetectorTest, Av1NotAKeyframe) {
  // N=0: not the start of a coded video sequence.
  EXPECT_FALSE(is_av1_keyframe_start(concat({0x10}, kAv1Frame)));
  EXPECT_FALSE(is_av1_keyframe_start(concat({0x20, 0x04}, concat(kAv1Frame, kAv1Frame))));
  // Z=1 (continues an OBU from the previous packet) cannot start a sequence.
  EXPECT_FALSE(is_av1_keyframe_start(concat({0x98}, kAv1SequenceHeader)));
  // Only the aggregation header.
  EXPECT_FALSE(is_av1_keyframe_start(Bytes{0x08}));
  EXPECT_FALSE(is_av1_keyframe_start(Bytes{0x18}));
  // W=2 but only one element.
  EXPECT_FALSE(is_av1_keyframe_start(concat({0x28, 0x06}, kAv1SequenceHeader)));
  // W=3 with two length-prefixed elements and nothing for the third.
  EXPECT_FALSE(is_av1_keyframe_start(Bytes{0x38, 0x01, 0x08, 0x01, 0x30}));
  // An empty element.
  EXPECT_FALSE(is_av1_keyframe_start(Bytes{0x28, 0x00, 0x08, 0x01}));
  // OBU forbidden bit set.
  EXPECT_FALSE(is_av1_keyframe_start(Bytes{0x18, 0x88, 0x00}));
}

// --- all codecs ------------------------------------------------------------------------------------

TEST(KeyframeDetectorTest, RandomInputNeverReadsPastTheEnd) {
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> length(0, 40);
  size_t keyframes = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes payload(length(rng));
    for (uint8_t& b : payload) b = static_cast<uint8_t>(byte(rng));
    for (const VideoCodec codec : {VideoCodec::VP8, VideoCodec::VP9, VideoCodec::H264, VideoCodec::AV1}) {
      keyframes += is_keyframe_start(codec, payload) ? 1 : 0;
    }
  }
  // Some random payloads do look like keyframe starts (e.g. H.264 byte 0x65); most do not.
  EXPECT_GT(keyframes, 0u);
  EXPECT_LT(keyframes, 20000u);
}

}  // namespace
}  // namespace sfu::rtp
