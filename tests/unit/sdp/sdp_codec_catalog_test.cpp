// Tests for sfu/sdp/codec_catalog.h: which codecs, feedback and extensions the server takes, and how
// it answers them (H.264 profile matching per RFC 6184 section 8.2.2).

#include <gtest/gtest.h>

#include "sfu/sdp/codec_catalog.h"

namespace sfu::sdp {
namespace {

Codec make(uint8_t pt, std::string name, uint32_t clock, uint8_t channels = 0,
           std::vector<FmtpParam> fmtp = {}, std::vector<RtcpFeedback> fb = {}) {
  Codec codec;
  codec.payload_type = pt;
  codec.name = std::move(name);
  codec.clock_rate = clock;
  codec.channels = channels;
  codec.fmtp = std::move(fmtp);
  codec.rtcp_fb = std::move(fb);
  return codec;
}

Codec h264(uint8_t pt, std::string profile_level_id, std::string mode = "1") {
  return make(pt, "H264", 90000, 0,
              {{"level-asymmetry-allowed", "1"},
               {"packetization-mode", mode},
               {"profile-level-id", profile_level_id}});
}

std::string fmtp_of(const Codec& codec) {
  std::string out;
  for (const auto& p : codec.fmtp)
    out += (out.empty() ? "" : ";") + p.key + (p.value.empty() ? "" : "=" + p.value);
  return out;
}

TEST(H264ProfileLevelId, ParsesAndPrints) {
  auto p = H264ProfileLevelId::parse("42e01f");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->profile_idc, 0x42);
  EXPECT_EQ(p->profile_iop, 0xe0);
  EXPECT_EQ(p->level_idc, 0x1f);
  EXPECT_EQ(p->to_string(), "42e01f");
  EXPECT_EQ(H264ProfileLevelId::parse("4D001F")->to_string(), "4d001f");
  EXPECT_FALSE(H264ProfileLevelId::parse("42e01"));
  EXPECT_FALSE(H264ProfileLevelId::parse("42e01f0"));
  EXPECT_FALSE(H264ProfileLevelId::parse("42g01f"));
  EXPECT_FALSE(H264ProfileLevelId::parse("+2e01f"));
}

TEST(H264ProfileLevelId, SameProfileComparesIdcAndConstraintFlags) {
  auto cb31 = *H264ProfileLevelId::parse("42e01f");
  EXPECT_TRUE(cb31.same_profile(*H264ProfileLevelId::parse("42e034")));   // level differs only
  EXPECT_FALSE(cb31.same_profile(*H264ProfileLevelId::parse("42001f")));  // Baseline, not Constrained
  EXPECT_FALSE(cb31.same_profile(*H264ProfileLevelId::parse("4de01f")));
  // Level 1b: constraint_set3 in Baseline/Main is a level marker, not a profile difference.
  EXPECT_TRUE(H264ProfileLevelId::parse("42f00b")->same_profile(*H264ProfileLevelId::parse("42e01f")));
  EXPECT_FALSE(H264ProfileLevelId::parse("42f01f")->same_profile(*H264ProfileLevelId::parse("42e01f")));
}

TEST(CodecCatalog, AnswersOpusWithServerFmtp) {
  CodecCatalog catalog;
  Codec offered = make(111, "opus", 48000, 2, {{"minptime", "10"}, {"useinbandfec", "1"}, {"stereo", "1"}},
                       {{"transport-cc", ""}, {"nack", ""}});
  auto answer = catalog.answer_codec(MediaKind::kAudio, offered);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->payload_type, 111);
  EXPECT_EQ(answer->name, "opus");
  EXPECT_EQ(answer->clock_rate, 48000u);
  EXPECT_EQ(answer->channels, 2);
  EXPECT_EQ(fmtp_of(*answer), "minptime=10;useinbandfec=1");
  EXPECT_EQ(answer->rtcp_fb, (std::vector<RtcpFeedback>{{"transport-cc", ""}}));  // nack dropped for audio
  EXPECT_FALSE(catalog.answer_codec(MediaKind::kAudio, make(111, "opus", 48000, 1)));
  EXPECT_FALSE(catalog.answer_codec(MediaKind::kVideo, offered));
}

TEST(CodecCatalog, RejectsWhatIsNotForwarded) {
  CodecCatalog catalog;
  for (const Codec& codec : {make(0, "PCMU", 8000), make(9, "G722", 8000), make(63, "red", 48000, 2),
                             make(13, "CN", 8000), make(126, "telephone-event", 8000)}) {
    EXPECT_FALSE(catalog.answer_codec(MediaKind::kAudio, codec)) << codec.name;
  }
  for (const Codec& codec :
       {make(118, "red", 90000), make(120, "ulpfec", 90000), make(35, "flexfec-03", 90000),
        make(97, "rtx", 90000, 0, {{"apt", "96"}}), make(96, "VP8", 8000), make(96, "", 0)}) {
    EXPECT_FALSE(catalog.answer_codec(MediaKind::kVideo, codec)) << codec.name;
  }
}

TEST(CodecCatalog, AnswersVideoCodecs) {
  CodecCatalog catalog;
  std::vector<RtcpFeedback> all_fb = {{"goog-remb", ""}, {"transport-cc", ""}, {"ccm", "fir"}, {"nack", ""},
                                      {"nack", "pli"},   {"ccm", "tmmbr"},     {"nack", "sli"}};
  auto vp8 =
      catalog.answer_codec(MediaKind::kVideo, make(120, "VP8", 90000, 0, {{"max-fs", "12288"}}, all_fb));
  ASSERT_TRUE(vp8.has_value());
  EXPECT_TRUE(vp8->fmtp.empty());
  EXPECT_EQ(vp8->rtcp_fb,
            (std::vector<RtcpFeedback>{
                {"goog-remb", ""}, {"transport-cc", ""}, {"ccm", "fir"}, {"nack", ""}, {"nack", "pli"}}));

  EXPECT_EQ(
      fmtp_of(*catalog.answer_codec(MediaKind::kVideo, make(98, "VP9", 90000, 0, {{"profile-id", "0"}}))),
      "profile-id=0");
  EXPECT_EQ(
      fmtp_of(*catalog.answer_codec(MediaKind::kVideo, make(100, "VP9", 90000, 0, {{"profile-id", "2"}}))),
      "profile-id=2");
  EXPECT_TRUE(catalog.answer_codec(MediaKind::kVideo, make(121, "VP9", 90000, 0, {{"max-fs", "12288"}})));
  EXPECT_FALSE(catalog.answer_codec(MediaKind::kVideo, make(100, "VP9", 90000, 0, {{"profile-id", "1"}})));

  auto av1 = catalog.answer_codec(
      MediaKind::kVideo, make(45, "AV1", 90000, 0, {{"level-idx", "5"}, {"profile", "0"}, {"tier", "0"}}));
  ASSERT_TRUE(av1.has_value());
  EXPECT_EQ(fmtp_of(*av1), "level-idx=5;profile=0;tier=0");
  EXPECT_FALSE(catalog.answer_codec(MediaKind::kVideo, make(45, "AV1", 90000, 0, {{"profile", "1"}})));
}

TEST(CodecCatalog, H264NeedsModeOneAndAKnownProfile) {
  CodecCatalog catalog;
  auto answer = catalog.answer_codec(MediaKind::kVideo, h264(108, "42e01f"));
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(fmtp_of(*answer), "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
  EXPECT_TRUE(catalog.answer_codec(MediaKind::kVideo, h264(102, "42001f")));  // Baseline
  EXPECT_TRUE(catalog.answer_codec(MediaKind::kVideo, h264(116, "4d001f")));  // Main
  EXPECT_TRUE(catalog.answer_codec(MediaKind::kVideo, h264(112, "640c1f")));  // Constrained High
  EXPECT_FALSE(catalog.answer_codec(MediaKind::kVideo, h264(104, "42e01f", "0")));
  EXPECT_FALSE(
      catalog.answer_codec(MediaKind::kVideo, make(97, "H264", 90000, 0, {{"profile-level-id", "42e01f"}})));
  EXPECT_FALSE(catalog.answer_codec(MediaKind::kVideo, h264(110, "f4001f")));  // High 4:4:4 Predictive
  EXPECT_FALSE(catalog.answer_codec(MediaKind::kVideo, h264(110, "42e0")));    // malformed
  // No profile-level-id means Baseline level 1.0 (RFC 6184 section 8.1), which is supported.
  auto defaulted =
      catalog.answer_codec(MediaKind::kVideo, make(99, "H264", 90000, 0, {{"packetization-mode", "1"}}));
  ASSERT_TRUE(defaulted.has_value());
  EXPECT_EQ(fmtp_of(*defaulted), "packetization-mode=1;profile-level-id=42000a");
}

TEST(CodecCatalog, H264LevelIsCappedAtTheServerMaximum) {
  CodecCatalog::Options options;
  options.h264_max_level = 0x1f;
  CodecCatalog catalog(options);
  EXPECT_EQ(*catalog.answer_codec(MediaKind::kVideo, h264(108, "42e034"))->fmtp_value("profile-level-id"),
            "42e01f");
  EXPECT_EQ(*catalog.answer_codec(MediaKind::kVideo, h264(108, "42e015"))->fmtp_value("profile-level-id"),
            "42e015");
  options.h264_profiles = {{0x42, 0xe0}};
  CodecCatalog only_cb(options);
  EXPECT_FALSE(only_cb.answer_codec(MediaKind::kVideo, h264(116, "4d001f")));
}

TEST(CodecCatalog, OptionsDisableCodecs) {
  CodecCatalog::Options options;
  options.enable_vp9 = false;
  options.enable_h264 = false;
  options.enable_av1 = false;
  CodecCatalog catalog(options);
  EXPECT_FALSE(catalog.answer_codec(MediaKind::kVideo, make(98, "VP9", 90000)));
  EXPECT_FALSE(catalog.answer_codec(MediaKind::kVideo, h264(108, "42e01f")));
  EXPECT_FALSE(catalog.answer_codec(MediaKind::kVideo, make(45, "AV1", 90000)));
  EXPECT_TRUE(catalog.answer_codec(MediaKind::kVideo, make(96, "VP8", 90000)));
}

TEST(CodecCatalog, AnswersRtxForItsPrimary) {
  CodecCatalog catalog;
  Codec rtx = catalog.answer_rtx(make(97, "rtx", 90000, 0, {{"apt", "96"}, {"rtx-time", "3000"}}),
                                 make(96, "VP8", 90000));
  EXPECT_EQ(rtx.payload_type, 97);
  EXPECT_EQ(rtx.name, "rtx");
  EXPECT_EQ(rtx.clock_rate, 90000u);
  EXPECT_EQ(fmtp_of(rtx), "apt=96");
  EXPECT_TRUE(catalog.supports_rtx(MediaKind::kVideo));
  EXPECT_FALSE(catalog.supports_rtx(MediaKind::kAudio));
}

TEST(CodecCatalog, HeaderExtensionsPerKind) {
  CodecCatalog catalog;
  for (std::string_view uri : {kExtMid, kExtAbsSendTime, kExtTransportCc}) {
    EXPECT_TRUE(catalog.supports_extension(MediaKind::kAudio, uri)) << uri;
    EXPECT_TRUE(catalog.supports_extension(MediaKind::kVideo, uri)) << uri;
    EXPECT_FALSE(catalog.supports_extension(MediaKind::kApplication, uri)) << uri;
  }
  EXPECT_TRUE(catalog.supports_extension(MediaKind::kAudio, kExtAudioLevel));
  EXPECT_FALSE(catalog.supports_extension(MediaKind::kVideo, kExtAudioLevel));
  EXPECT_TRUE(catalog.supports_extension(MediaKind::kVideo, kExtRid));
  EXPECT_TRUE(catalog.supports_extension(MediaKind::kVideo, kExtRepairedRid));
  EXPECT_FALSE(catalog.supports_extension(MediaKind::kAudio, kExtRid));
  EXPECT_FALSE(catalog.supports_extension(MediaKind::kVideo, "urn:ietf:params:rtp-hdrext:toffset"));
  EXPECT_FALSE(catalog.supports_extension(MediaKind::kVideo, "urn:3gpp:video-orientation"));
}

TEST(CodecCatalog, SameFormat) {
  EXPECT_TRUE(CodecCatalog::same_format(make(96, "VP8", 90000), make(120, "vp8", 90000)));
  EXPECT_FALSE(CodecCatalog::same_format(make(96, "VP8", 90000), make(96, "VP9", 90000)));
  EXPECT_TRUE(CodecCatalog::same_format(make(111, "opus", 48000, 2), make(111, "opus", 48000, 2)));
  EXPECT_FALSE(CodecCatalog::same_format(make(111, "opus", 48000, 2), make(111, "opus", 48000, 1)));
  EXPECT_TRUE(CodecCatalog::same_format(make(0, "PCMU", 8000, 0), make(0, "PCMU", 8000, 1)));
  EXPECT_TRUE(CodecCatalog::same_format(h264(108, "42e01f"), h264(102, "42e034")));
  EXPECT_FALSE(CodecCatalog::same_format(h264(108, "42e01f"), h264(102, "42001f")));
  EXPECT_FALSE(CodecCatalog::same_format(h264(108, "42e01f"), h264(108, "42e01f", "0")));
  EXPECT_FALSE(CodecCatalog::same_format(make(98, "VP9", 90000, 0, {{"profile-id", "0"}}),
                                         make(98, "VP9", 90000, 0, {{"profile-id", "2"}})));
  EXPECT_TRUE(
      CodecCatalog::same_format(make(98, "VP9", 90000), make(98, "VP9", 90000, 0, {{"profile-id", "0"}})));
  EXPECT_FALSE(CodecCatalog::same_format(make(97, "rtx", 90000, 0, {{"apt", "96"}}),
                                         make(97, "rtx", 90000, 0, {{"apt", "98"}})));
}

}  // namespace
}  // namespace sfu::sdp
