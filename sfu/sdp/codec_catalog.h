// What the server can forward: codecs, their parameters, RTCP feedback and RTP header extensions.
//
// The server never transcodes, so "supported" means: the server can route the codec's packets
// (it knows how to find key frames and layers for it, and can rewrite its header fields) and a
// browser on the other side will be able to decode it. Supported: Opus/48000/2; VP8; VP9 profiles
// 0 and 2; H264 with packetization-mode=1 in the profiles listed in CodecCatalog::Options; AV1
// profile 0; RTX (RFC 4588) for each video codec; audio RED (RFC 2198, Chromium's red/48000/2
// with fmtp "111/111") when every block it names is a negotiated Opus (Options::enable_red,
// config audio.red). ULPFEC is never forwarded (the server repairs video loss with NACK/RTX per
// hop), nor are G.711, G.722, CN or telephone-event.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sfu/sdp/sdp.h"

namespace sfu::sdp {

// RTP header extension URIs the server understands.
inline constexpr std::string_view kExtMid = "urn:ietf:params:rtp-hdrext:sdes:mid";
inline constexpr std::string_view kExtAbsSendTime =
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
inline constexpr std::string_view kExtTransportCc =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
inline constexpr std::string_view kExtAudioLevel = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
inline constexpr std::string_view kExtRid = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
inline constexpr std::string_view kExtDependencyDescriptor =
    "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension";
inline constexpr std::string_view kExtRepairedRid = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";

// H.264 profile-level-id (RFC 6184 section 8.1): profile_idc, profile-iop (constraint flags) and
// level_idc, written as six hex digits.
struct H264ProfileLevelId {
  uint8_t profile_idc = 0x42;
  uint8_t profile_iop = 0x00;
  uint8_t level_idc = 0x0a;

  static std::optional<H264ProfileLevelId> parse(std::string_view hex);
  std::string to_string() const;  // six lower-case hex digits
  // Same profile per RFC 6184 section 8.2.2: profile_idc and constraint flags equal (the
  // constraint_set3 flag that marks level 1b in Baseline/Main is not a profile difference).
  bool same_profile(const H264ProfileLevelId& other) const;
};

class CodecCatalog {
 public:
  struct H264Profile {
    uint8_t profile_idc;
    uint8_t profile_iop;
  };

  struct Options {
    bool enable_vp9 = true;
    bool enable_h264 = true;
    bool enable_av1 = true;
    // Audio RED: answered when its fmtp names only payload types of an Opus the answer also
    // takes (see red_wrapped_payload_type). Off here, so that the catalog alone answers as the
    // Chromium-verified answers in tests/data/sdp; the server sets it from config audio.red
    // (default true).
    bool enable_red = false;
    // Constrained Baseline (42e0, 42c0), Baseline (4200), Main (4d00), Constrained High (640c), High (6400).
    std::vector<H264Profile> h264_profiles = {{0x42, 0xe0}, {0x42, 0xc0}, {0x42, 0x00},
                                              {0x4d, 0x00}, {0x64, 0x0c}, {0x64, 0x00}};
    // Highest H.264 level answered; a higher offered level is answered with this one. 0x34 = 5.2.
    uint8_t h264_max_level = 0x34;
  };

  CodecCatalog() : CodecCatalog(Options{}) {}
  explicit CodecCatalog(Options options) : options_(std::move(options)) {}

  // The codec as the server answers it, if it can forward `offered` in an m-section of `kind`:
  // same payload type and name, the server's fmtp (see the .cpp for each codec) and the offered
  // rtcp-fb filtered to those the server uses. nullopt for RTX (see answer_rtx), ULPFEC and
  // anything unknown. An audio red codec is answered as offered (its fmtp names the payload type
  // it wraps); whether that payload type is a taken Opus is for the caller to check.
  std::optional<Codec> answer_codec(MediaKind kind, const Codec& offered) const;

  // The answer form of an offered rtx codec whose apt points at `primary` (already answered).
  Codec answer_rtx(const Codec& offered_rtx, const Codec& primary) const;
  bool supports_rtx(MediaKind kind) const { return kind == MediaKind::kVideo; }

  // RTCP feedback the server keeps: video nack, nack pli, ccm fir, goog-remb, transport-cc;
  // audio transport-cc.
  std::vector<RtcpFeedback> filter_feedback(MediaKind kind, const std::vector<RtcpFeedback>& offered) const;

  bool supports_extension(MediaKind kind, std::string_view uri) const;

  // True if two codec descriptions denote the same stream format, so packets of one can be sent
  // as the other: same name, clock rate and channels, and for H264 the same packetization-mode
  // and profile, for VP9 the same profile-id, for AV1 the same profile. Payload types may differ.
  static bool same_format(const Codec& a, const Codec& b);

  const Options& options() const { return options_; }

  // The payload type an audio RED codec wraps, from its fmtp (RFC 2198 section 5: "111/111", one
  // payload type per block, the primary last). The server forwards RED of a single codec only, so
  // every entry must name the same payload type; nullopt when they differ, for no or a malformed
  // fmtp, and for a codec that is not red/48000/2.
  static std::optional<uint8_t> red_wrapped_payload_type(const Codec& codec);
  static bool is_red(const Codec& codec) { return codec.is_named("red"); }

 private:
  std::optional<Codec> answer_h264(const Codec& offered) const;
  // Opus, or RED around it; `answer` has the offer's payload type, name and filtered feedback.
  std::optional<Codec> answer_audio(const Codec& offered, Codec answer) const;

  Options options_;
};

}  // namespace sfu::sdp
