// The server's codec and header-extension support (sfu/sdp/codec_catalog.h).

#include "sfu/sdp/codec_catalog.h"

#include <algorithm>
#include <array>
#include <charconv>

namespace sfu::sdp {
namespace {

std::optional<uint8_t> hex_byte(std::string_view two) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(two.data(), two.data() + two.size(), value, 16);
  if (ec != std::errc() || end != two.data() + two.size()) return std::nullopt;
  return static_cast<uint8_t>(value);
}

// RFC 6184 section 8.1: without profile-level-id the stream is Baseline level 1.0.
H264ProfileLevelId h264_profile_of(const Codec& codec) {
  const std::string* text = codec.fmtp_value("profile-level-id");
  if (text == nullptr) return H264ProfileLevelId{0x42, 0x00, 0x0a};
  // A malformed value matches no catalog profile: constraint byte 0xff is not one.
  return H264ProfileLevelId::parse(*text).value_or(H264ProfileLevelId{0, 0xff, 0});
}

std::string fmtp_or(const Codec& codec, std::string_view key, std::string_view fallback) {
  const std::string* value = codec.fmtp_value(key);
  return value ? *value : std::string(fallback);
}

}  // namespace

std::optional<H264ProfileLevelId> H264ProfileLevelId::parse(std::string_view hex) {
  if (hex.size() != 6) return std::nullopt;
  auto idc = hex_byte(hex.substr(0, 2));
  auto iop = hex_byte(hex.substr(2, 2));
  auto level = hex_byte(hex.substr(4, 2));
  if (!idc || !iop || !level) return std::nullopt;
  return H264ProfileLevelId{*idc, *iop, *level};
}

std::string H264ProfileLevelId::to_string() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t byte : {profile_idc, profile_iop, level_idc}) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0x0f]);
  }
  return out;
}

bool H264ProfileLevelId::same_profile(const H264ProfileLevelId& other) const {
  // Level 1b is signalled in Baseline, Main and Extended as level_idc 11 plus constraint_set3.
  auto profile_flags = [](const H264ProfileLevelId& p) -> uint8_t {
    bool level_1b =
        p.level_idc == 11 && (p.profile_idc == 0x42 || p.profile_idc == 0x4d || p.profile_idc == 0x58);
    return level_1b ? static_cast<uint8_t>(p.profile_iop & ~0x10) : p.profile_iop;
  };
  return profile_idc == other.profile_idc && profile_flags(*this) == profile_flags(other);
}

std::optional<Codec> CodecCatalog::answer_codec(MediaKind kind, const Codec& offered) const {
  Codec answer;
  answer.payload_type = offered.payload_type;
  answer.name = offered.name;
  answer.rtcp_fb = filter_feedback(kind, offered.rtcp_fb);
  if (kind == MediaKind::kAudio) return answer_audio(offered, std::move(answer));
  if (kind != MediaKind::kVideo || offered.clock_rate != 90000 || offered.channels > 1) return std::nullopt;
  answer.clock_rate = 90000;
  if (offered.is_named("VP8")) return answer;  // no fmtp: the server sets no max-fs/max-fr limit
  if (offered.is_named("VP9") && options_.enable_vp9) {
    std::string profile = fmtp_or(offered, "profile-id", "0");
    if (profile != "0" && profile != "2") return std::nullopt;
    if (offered.fmtp_value("profile-id")) answer.fmtp = {{"profile-id", profile}};
    return answer;
  }
  if (offered.is_named("H264") && options_.enable_h264) return answer_h264(offered);
  if (offered.is_named("AV1") && options_.enable_av1) {
    if (fmtp_or(offered, "profile", "0") != "0") return std::nullopt;  // Main profile only
    answer.fmtp = offered.fmtp;  // level-idx and tier describe the stream; the server decodes nothing
    return answer;
  }
  return std::nullopt;
}

std::optional<Codec> CodecCatalog::answer_audio(const Codec& offered, Codec answer) const {
  if (is_red(offered)) {
    if (!options_.enable_red || !red_wrapped_payload_type(offered)) return std::nullopt;
    answer.clock_rate = offered.clock_rate;
    answer.channels = offered.channels;
    answer.fmtp = offered.fmtp;
    return answer;
  }
  if (!offered.is_named("opus") || offered.clock_rate != 48000 || offered.channels != 2) return std::nullopt;
  answer.clock_rate = 48000;
  answer.channels = 2;
  // 10 ms packets at the least and in-band FEC: what Chromium offers and answers itself.
  answer.fmtp = {{"minptime", "10"}, {"useinbandfec", "1"}};
  return answer;
}

std::optional<Codec> CodecCatalog::answer_h264(const Codec& offered) const {
  // Only packetization-mode=1: the mode is a property of the stream, every browser sends and
  // receives mode 1, and mode 0 (one NAL unit per packet, no FU-A) would cap frame sizes.
  if (fmtp_or(offered, "packetization-mode", "0") != "1") return std::nullopt;
  H264ProfileLevelId profile = h264_profile_of(offered);
  bool known =
      std::any_of(options_.h264_profiles.begin(), options_.h264_profiles.end(), [&](const H264Profile& p) {
        return profile.same_profile(H264ProfileLevelId{p.profile_idc, p.profile_iop, profile.level_idc});
      });
  if (!known) return std::nullopt;
  // The answer's level is the highest level the server accepts to receive: the offerer's, unless
  // that is above the server's maximum (RFC 6184 section 8.2.2 lets the answerer lower it).
  if (profile.level_idc > options_.h264_max_level) profile.level_idc = options_.h264_max_level;
  Codec answer;
  answer.payload_type = offered.payload_type;
  answer.name = offered.name;
  answer.clock_rate = 90000;
  answer.rtcp_fb = filter_feedback(MediaKind::kVideo, offered.rtcp_fb);
  if (fmtp_or(offered, "level-asymmetry-allowed", "0") == "1")
    answer.fmtp.push_back({"level-asymmetry-allowed", "1"});
  answer.fmtp.push_back({"packetization-mode", "1"});
  answer.fmtp.push_back({"profile-level-id", profile.to_string()});
  return answer;
}

Codec CodecCatalog::answer_rtx(const Codec& offered_rtx, const Codec& primary) const {
  Codec answer;
  answer.payload_type = offered_rtx.payload_type;
  answer.name = offered_rtx.name.empty() ? "rtx" : offered_rtx.name;
  answer.clock_rate = offered_rtx.clock_rate != 0 ? offered_rtx.clock_rate : primary.clock_rate;
  answer.fmtp = {{"apt", std::to_string(primary.payload_type)}};
  return answer;
}

std::vector<RtcpFeedback> CodecCatalog::filter_feedback(MediaKind kind,
                                                        const std::vector<RtcpFeedback>& offered) const {
  static const std::array<RtcpFeedback, 5> kVideo = {
      {{"goog-remb", ""}, {"transport-cc", ""}, {"ccm", "fir"}, {"nack", ""}, {"nack", "pli"}}};
  static const std::array<RtcpFeedback, 1> kAudio = {{{"transport-cc", ""}}};
  std::vector<RtcpFeedback> kept;  // in the offer's order, without duplicates
  for (const auto& feedback : offered) {
    bool known = kind == MediaKind::kVideo ? std::find(kVideo.begin(), kVideo.end(), feedback) != kVideo.end()
                 : kind == MediaKind::kAudio
                     ? std::find(kAudio.begin(), kAudio.end(), feedback) != kAudio.end()
                     : false;
    if (known && std::find(kept.begin(), kept.end(), feedback) == kept.end()) kept.push_back(feedback);
  }
  return kept;
}

bool CodecCatalog::supports_extension(MediaKind kind, std::string_view uri) const {
  if (uri == kExtMid || uri == kExtAbsSendTime || uri == kExtTransportCc) {
    return kind == MediaKind::kAudio || kind == MediaKind::kVideo;
  }
  if (uri == kExtAudioLevel) return kind == MediaKind::kAudio;
  if (uri == kExtRid || uri == kExtRepairedRid || uri == kExtDependencyDescriptor)
    return kind == MediaKind::kVideo;
  return false;
}

std::optional<uint8_t> CodecCatalog::red_wrapped_payload_type(const Codec& codec) {
  if (!is_red(codec) || codec.clock_rate != 48000 || codec.channels != 2 || codec.fmtp.size() != 1 ||
      !codec.fmtp.front().value.empty())
    return std::nullopt;
  std::string_view list = codec.fmtp.front().key;  // "111/111" parses as one key without a value
  std::optional<uint8_t> wrapped;
  while (true) {
    const size_t slash = list.find('/');
    const std::string_view item = list.substr(0, slash);
    unsigned pt = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), pt);
    if (ec != std::errc() || end != item.data() + item.size() || item.empty() || pt > 127)
      return std::nullopt;
    if (wrapped && *wrapped != pt) return std::nullopt;
    wrapped = static_cast<uint8_t>(pt);
    if (slash == std::string_view::npos) return wrapped;
    list.remove_prefix(slash + 1);
  }
}

bool CodecCatalog::same_format(const Codec& a, const Codec& b) {
  if (!a.is_named(b.name) || a.clock_rate != b.clock_rate) return false;
  if (std::max<uint8_t>(a.channels, 1) != std::max<uint8_t>(b.channels, 1)) return false;
  if (a.is_named("H264")) {
    return fmtp_or(a, "packetization-mode", "0") == fmtp_or(b, "packetization-mode", "0") &&
           h264_profile_of(a).same_profile(h264_profile_of(b));
  }
  if (a.is_named("VP9")) return fmtp_or(a, "profile-id", "0") == fmtp_or(b, "profile-id", "0");
  if (a.is_named("AV1")) return fmtp_or(a, "profile", "0") == fmtp_or(b, "profile", "0");
  if (a.is_rtx()) return a.rtx_apt() == b.rtx_apt();
  if (is_red(a)) return red_wrapped_payload_type(a) == red_wrapped_payload_type(b);
  return true;
}

}  // namespace sfu::sdp
